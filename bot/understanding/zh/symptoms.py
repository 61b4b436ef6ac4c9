"""Mandarin answers to "今天有以下症状吗？", read into symptom and red-flag codes.

How an answer is read (Chinese has no spaces, so phrases are found anywhere):

1. Symptom and red-flag phrases are found first, longest phrase wins where phrases overlap, so
   "闻不到" is a loss of smell and "喘不上气" a red flag: the "不" is part of the phrase.
   "头不疼" is read as "不头疼", so the negative stands before the phrase it denies.
2. Negated before: a negator (没, 没有, 不, 无, 未) before a phrase in the same clause, outside
   every matched phrase: "没有咳嗽", "不发烧也不咳嗽", "没有发烧咳嗽". A clause ends at
   punctuation (but not at "、", which lists), at "但是", "不过", "就是", "除了", "还有" ...,
   and at a "有" that is no "没有": "没发烧有点咳嗽" is a cough.
3. Negated after, as Mandarin also says it: a phrase followed in its clause only by other
   phrases, "和"/"、" and a final "没有"/"没": "咳嗽没有", "发烧和咳嗽都没有". "都没有"
   ("none of them") also reaches back over commas through a list of phrases: "发烧，咳嗽，
   都没有"; it stops at anything else: in "头疼，别的都没有" the headache stays.
4. core.symptoms decides: anything named gives a report; otherwise an uncertain answer
   ("不知道") is None, negated phrases or a plain negative ("没有", "都没有", "都正常") an
   empty report, anything else (no Chinese at all, "什么？") None.
"""

from __future__ import annotations

import re

from bot.understanding.core import symptoms
from bot.understanding.core.phrases import BOUNDARY, Match, compile_phrases, find_phrases, masked, negated_before
from bot.understanding.core.symptoms import SymptomReport
from bot.understanding.core.text import fold

_DEG = r"(?:有点儿?|有一点|有些|一点|很|比较|特别|非常|挺|太|老是|总是|一直|还|也|都|好|更|越来越|稍微|略)?"
_PHRASES: dict[str, tuple[str, ...]] = {
    "fever": (r"发烧", r"发热", r"发高烧", r"发低烧", r"高烧", r"低烧", r"高热", r"低热", r"烧起来",
              r"有点烧", r"体温" + _DEG + r"(?:偏高|高|升高)", r"热度", r"发烫",
              r"(?:身上|身体|浑身|全身|额头)" + _DEG + r"(?:发)?烫"),
    "chills": (r"发冷", r"怕冷", r"畏寒", r"寒战", r"寒颤", r"打寒战", r"打寒颤", r"打冷战", r"打冷颤",
               r"发抖", r"打哆嗦", r"哆嗦", r"(?:身上|浑身|全身)" + _DEG + r"(?:发)?冷", r"冷得发抖"),
    "cough": (r"咳嗽", r"咳", r"干咳", r"咳痰", r"有痰", r"痰多", r"吐痰"),
    "shortness_of_breath": (r"气短", r"气促", r"气急", r"气喘", r"喘气", r"喘", r"呼吸急促", r"气不够用",
                            r"上气不接下气", r"憋气", r"憋得慌"),
    "fatigue": (r"乏力", r"无力", r"没劲", r"没有劲", r"没力气", r"没有力气", r"没精神", r"没有精神",
                r"没精打采", r"累", r"疲劳", r"疲倦", r"疲惫", r"疲乏", r"犯困", r"嗜睡", r"困(?!难)",
                r"虚弱", r"浑身无力", r"全身无力", r"四肢无力"),
    "muscle_aches": (r"(?:浑身|全身|身上|身体|肌肉|关节|四肢)" + _DEG + r"(?:酸痛|酸疼|疼痛|疼|痛|酸)",
                     r"酸痛", r"酸疼", r"腰酸背痛"),
    "headache": (r"(?:头|脑袋|头部)" + _DEG + r"(?:疼|痛|胀痛|胀)", r"偏头痛"),
    "loss_of_taste_or_smell": (
        r"(?:闻|尝)不(?:到|出|见)(?:来)?(?:味道|气味|味儿|东西|任何味道)?", r"吃不出(?:味道|味儿)?",
        r"吃(?:东西|饭|什么)?(?:都)?没(?:有)?(?:什么)?味(?:道|儿)?",
        r"没(?:有)?了?(?:味觉|嗅觉)", r"失去(?:了)?(?:味觉|嗅觉)(?:和|或|或者)?(?:味觉|嗅觉)?",
        r"(?:味觉|嗅觉)(?:和|或)?(?:味觉|嗅觉)?" + _DEG + r"(?:消失|丧失|失灵|减退|下降|没了|不灵|变差|异常)"),
    "sore_throat": (r"(?:嗓子|喉咙|咽喉|咽部|嗓门)" + _DEG
                    + r"(?:疼|痛|干|痒|哑|肿|发炎|不舒服|难受|沙哑|冒火)", r"咽痛", r"咽炎",
                    r"扁桃体(?:发炎|肿大|肿)", r"(?:吞咽|吞东西|咽东西)" + _DEG + r"(?:疼|痛|困难)"),
    "runny_nose": (r"流(?:清)?鼻涕", r"流鼻水", r"鼻涕", r"鼻塞", r"鼻子" + _DEG + r"(?:塞|堵|不通气|不通|不透气|痒)",
                   r"打喷嚏", r"喷嚏", r"感冒"),  # "感冒", like English "a cold"
    "nausea_vomiting": (r"恶心", r"想吐", r"要吐", r"呕吐", r"干呕", r"反胃", r"吐(?!痰)"),
    "diarrhea": (r"拉肚子", r"腹泻", r"拉稀", r"闹肚子", r"跑肚", r"大便稀", r"稀便", r"水样便", r"拉水"),
    "difficulty_breathing": (r"呼吸困难", r"呼吸" + _DEG + r"(?:困难|费劲|费力|吃力|不上来|不过来|不了)",
                             r"喘不(?:上|过|动)(?:气)?(?:来)?", r"上不来气", r"透不过气", r"吸不上气",
                             r"(?:没法|无法|不能)呼吸", r"窒息"),
    "chest_pain": (r"胸" + _DEG + r"(?:痛|疼|闷)", r"胸(?:口|部)" + _DEG
                   + r"(?:疼|痛|疼痛|闷|发紧|紧|压|压着|难受|不舒服)", r"心口" + _DEG + r"(?:疼|痛)"),
    "confusion": (r"意识(?:不清|模糊|障碍)", r"神志(?:不清|模糊)", r"糊涂", r"迷糊", r"说胡话", r"胡言乱语",
                  r"认不出人", r"不认人", r"反应迟钝", r"精神恍惚", r"脑子(?:不清楚|不清醒|糊涂|乱)", r"叫不醒",
                  r"昏迷"),
    "bluish_lips": (r"(?:嘴唇|口唇|嘴巴|脸色|脸|面色|指甲)" + _DEG + r"(?:发紫|发青|发乌|青紫|紫|青)", r"发绀",
                    r"紫绀"),
    # Consumed, naming nothing: their "不"/"没" negate nothing, and other aches are not these.
    symptoms.IGNORE: (r"不太?舒服", r"不停", r"不断", r"不止", r"不得了", r"不行", r"受不了", r"睡不着",
                      r"睡不好", r"吃不下", r"没胃口", r"不想吃", r"退烧(?:药|贴|了)?", r"没(?:有)?好",
                      r"(?:肚子|胃|牙|腰|背|腿)" + _DEG + r"(?:疼|痛)", r"没问题", r"有没有", r"不严重",
                      r"不厉害", r"好转"),
}
_PATTERNS = tuple((code, compile_phrases(phrases, whole_words=False)) for code, phrases in _PHRASES.items())

_CLAUSE_PUNCTUATION = re.compile(r"[.,;:!?()\[\]。…—]+")
# "头不疼" -> "不头疼": the negative moves before the phrase it denies (same length).
_BODY_NOT = re.compile(r"(头|嗓子|喉咙|胸口|胸|浑身|全身|身上|肌肉|关节|鼻子)(不|没)(疼|痛|痒|闷|酸|塞|堵|烫)")
_BOUNDARY_WORDS = re.compile(r"但是|但|可是|不过|就是|只是|只有|除了|然后|而且|另外|还有|(?<![没沒])有")
_NEGATOR = re.compile(r"[没沒无無不未]")
_AFTER = re.compile(r"(?P<all>都|全都|全部|全)?也?(?:没有|没)[了啊呀的吧呢哦哈嘛]*(?=\||$)")
_LIST = re.compile(r"(?:[、和跟与及或也都]|或者|以及)*")
_LIST_OF_CLAUSES = re.compile(r"(?:[、和跟与及或也都|]|或者|以及)*")
_UNCERTAIN = re.compile(r"不知道|不清楚|不确定|说不好|说不准|不好说|不记得|记不清|可能|也许|或许|好像|大概")
_NEGATIVE_ANSWER = re.compile(r"没有|没|无|不|正常|挺好|很好|都好|还好|良好|健康|没事")
_NOT_AN_ANSWER = re.compile(
    r"说(?:的)?(?:是)?什么|再说一[遍次]|重复一下|请重复|没(?:有)?听(?:清|懂)|听不(?:清|懂)|不明白|[什啥]么?意思"
    r"|^\|*(?:什么|啥|嗯|啊|喂|哈)\|*$"
)


def parse_symptoms(text: str) -> SymptomReport | None:
    """The symptoms and red flags named and not denied, an empty report for "没有"/"都没有",
    or None when the text is no answer about symptoms ("", "什么？", "不知道", English text).
    Never raises for any str."""
    if not isinstance(text, str):
        return None
    norm = _normalize(text)
    if not re.search(r"[\u4e00-\u9fff]", norm) or _NOT_AN_ANSWER.search(norm):
        return None
    found = find_phrases(norm, _PATTERNS)
    matches = [match for match in found if match.code != symptoms.IGNORE]
    # Ignored phrases are blanked too: the "不" of "不停地咳嗽" denies nothing.
    marks = masked(_mark_boundaries(norm, found), [match for match in found if match.code == symptoms.IGNORE])
    flags = _negated_after(marks, matches, negated_before(marks, matches, _NEGATOR))
    named = {match.code for match, negated in zip(matches, flags) if not negated}
    return symptoms.decide(named, matched=bool(matches), uncertain=_UNCERTAIN.search(norm) is not None,
                           negative=_NEGATIVE_ANSWER.search(masked(norm, found)) is not None)


def _normalize(text: str) -> str:
    """Folded, without spaces, with "|" for clause punctuation and "头不疼" as "不头疼"."""
    folded = _CLAUSE_PUNCTUATION.sub(BOUNDARY, re.sub(r"\s+", "", fold(text)))
    return _BODY_NOT.sub(r"\2\1\3", folded)


def _mark_boundaries(norm: str, found: list[Match]) -> str:
    """The text with the first character of each clause-ending word outside a phrase made "|".

    Phrases are found before, so a "有" inside one ("头有点疼", "有痰") ends nothing; the
    text keeps its length, so the phrases' spans still hold.
    """
    inside = bytearray(len(norm))
    for match in found:
        inside[match.start:match.end] = b"\x01" * (match.end - match.start)
    chars = list(norm)
    for word in _BOUNDARY_WORDS.finditer(norm):
        if not inside[word.start()]:
            chars[word.start()] = BOUNDARY
    return "".join(chars)


def _negated_after(marks: str, matches: list[Match], flags: list[bool]) -> list[bool]:
    """Flags with the phrases a following "没有" denies added (rule 3 of the module docstring)."""
    flags = list(flags)
    for after in _AFTER.finditer(masked(marks, matches)):
        gap = _LIST_OF_CLAUSES if after.group("all") else _LIST
        cursor = after.start()
        for index in range(len(matches) - 1, -1, -1):
            match = matches[index]
            if match.end > cursor:
                continue
            if not gap.fullmatch(marks[match.end:cursor]):
                break
            flags[index] = True
            cursor = match.start
    return flags
