"""Mandarin yes/no answers, by chat, SMS, Twilio's cmn-Hans-CN recogniser or telephone keypad.

Mandarin answers a yes/no question by echoing its verb: "是"/"不是", "有"/"没有",
"方便"/"不方便", "可以"/"不可以", "要"/"不要". Chinese has no spaces, so phrases are found
anywhere in the folded text, longest first: "不方便" is one no, never "不" and a yes. Phrases
that hold a negative but are no answer ("不好意思", "对不起", "不舒服") are consumed and
ignored; agreement idioms with a negative read as yes ("没问题", "没关系", "不错"). "嗯" is
also "um": it means yes only when nothing else was said ("嗯，不方便" is no). core.yesno
decides: uncertain or both is None. A bare keypad digit is 1 = yes, 2 = no.
"""

from __future__ import annotations

import re

from bot.understanding.core import yesno
from bot.understanding.core.phrases import compile_phrases, find_phrases
from bot.understanding.core.text import fold

_DEGREE = r"(?:有点|有些|有一点|太|很|现在|暂时|今天)?"
_PHRASES: dict[str, tuple[str, ...]] = {
    yesno.YES: (
        r"是", r"是的", r"是啊", r"是呀", r"对", r"对的", r"对啊", r"对呀", r"没错", r"对头", r"确实",
        r"好", r"好的", r"好啊", r"好吧", r"好呀", r"嗯嗯", r"可以", r"可以的", r"行", r"行的", r"行啊",
        r"没问题", r"没关系", r"当然", r"当然可以", r"不错", r"方便", r"有空", r"有时间",
        r"有", r"有的", r"有啊", r"有点", r"有一点", r"有些", r"继续", r"愿意", r"要", r"需要",
        r"请讲", r"请说", r"你说", r"您说", r"说吧", r"问吧", r"来吧", r"开始吧",
        r"(?<![a-z])(?:ok|okay|yes|y)(?![a-z])",
    ),
    yesno.NO: (
        r"不", r"不是", r"不是的", r"不对", r"没有", r"没", r"没有的", r"没有了", r"还没", r"否",
        rf"{_DEGREE}不方便", r"不(?:是很|是太|太|怎么|大)(?:方便|好|行|可以|需要|想)", r"不用", r"不用了", r"不行", r"不要", r"不可以", r"不好", r"不需要",
        r"不想", r"不愿意", r"不继续", r"没空", r"没时间", rf"{_DEGREE}忙", r"在忙", r"正在忙", r"有事",
        r"在开车", r"在开会", r"在上班",
        r"结束", r"停", r"停止", r"算了", r"别", r"错", r"晚点", r"以后再说", r"改天", r"下次",
        r"(?<![a-z])(?:no|n)(?![a-z])",
    ),
    yesno.UNSURE: (
        r"不知道", r"不清楚", r"不确定", r"不一定", r"说不好", r"说不准", r"不好说", r"说不定",
        r"可能", r"也许", r"或许", r"大概", r"好像", r"应该吧", r"看情况", r"还好", r"还行",
        r"还可以", r"差不多", r"有时候", r"有时", r"一般般", r"记不清", r"不记得",
    ),
    yesno.WEAK_YES: (r"嗯", r"恩"),
    yesno.IGNORE: (
        r"不好意思", r"对不起", r"不客气", r"不用谢", r"你好", r"您好", r"喂", r"不舒服", r"不太舒服",
        r"是不是", r"是吗", r"对不对", r"有没有", r"行不行", r"可不可以", r"要不要", r"好不好",
        r"方不方便", r"没事", r"要是", r"好多了", r"不过", r"但是", r"可是", r"还是", r"对了", r"特别",
        r"别的", r"说错了", r"你说什么", r"您说什么",
    ),
}
_PATTERNS = tuple((polarity, compile_phrases(phrases, whole_words=False)) for polarity, phrases in _PHRASES.items())


def parse_yes_no(text: str) -> bool | None:
    """True for yes ("是", "好的", "可以", "方便", keypad "1"), False for no ("不是", "没有",
    "不方便", keypad "2"), None when neither, both, or uncertain ("不知道", "可能", "").
    Never raises for any str."""
    if not isinstance(text, str):
        return None
    folded = fold(text)
    keys = re.sub(r"[\W_]+", "", folded)
    if keys.isascii() and keys.isdigit():
        return yesno.keypad(keys)
    return yesno.decide(match.code for match in find_phrases(folded, _PATTERNS))
