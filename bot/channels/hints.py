"""Speech-recognition hints for each screening question and language, for Twilio's `<Gather hints="...">`.

Pure, stdlib-only. A hint string is a comma-separated list of words and phrases
the resident is likely to say; Twilio accepts up to 500 entries of at most 100
characters each. Only plain phrases are used: the `$OOV_CLASS_...` class tokens
depend on the speech-to-text provider Twilio picks, and an unsupported token
makes the hints invalid (Twilio warning 13330).

The phrases are ones the answer readers in `bot.understanding` understand, so a
better transcript is also a better-read answer. The voice channel looks hints up
by the response name the bot sent (`message["utter_action"]`) and the call's
language with `hints_for`. Each question's string is joined once per language, at import (about
half a millisecond for both languages), never per request.
"""

from __future__ import annotations

from functools import lru_cache

from bot.questions import question_of

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS = {3: "thirty", 4: "forty"}


def _said(whole: int) -> str:
    tens, unit = divmod(whole, 10)
    return _TENS[tens] if unit == 0 else f"{_TENS[tens]} {_DIGITS[unit]}"


def _temperatures() -> tuple[str, ...]:
    """Body temperatures as spoken: "thirty six", "thirty six point eight" ... "forty point nine"."""
    said: list[str] = []
    for whole in range(35, 41):
        said.append(_said(whole))
        said.extend(f"{_said(whole)} point {_DIGITS[tenth]}" for tenth in range(10))
    return tuple(said)


_YES_NO = (
    "yes", "no", "yeah", "yep", "nope", "sure", "okay", "of course", "not really", "not at all",
    "I don't know", "not sure",
)
_CALLBACK = (
    "not now", "later", "call me later", "I'm busy", "in half an hour", "in an hour", "in two hours",
    "in three hours", "this afternoon", "this evening", "tonight", "tomorrow", "tomorrow morning",
    "tomorrow afternoon", "tomorrow evening", "tomorrow at nine", "day after tomorrow",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)
_TEMPERATURE = _temperatures() + (
    "degrees", "celsius", "fahrenheit", "ninety eight point six", "a hundred", "a hundred and one",
    "a hundred and two", "no thermometer", "I don't have a thermometer", "not measured",
    "I haven't measured", "I didn't check",
)
_SYMPTOMS = (
    "fever", "feverish", "chills", "shivering", "cough", "dry cough", "shortness of breath",
    "short of breath", "breathless", "tired", "tiredness", "exhausted", "body aches", "aches",
    "muscle aches", "headache", "loss of taste", "loss of smell", "can't taste", "can't smell",
    "sore throat", "runny nose", "blocked nose", "sneezing", "nausea", "feel sick", "vomiting",
    "diarrhoea", "diarrhea", "difficulty breathing", "can't breathe", "chest pain", "confused",
    "blue lips", "none", "no symptoms", "nothing", "I feel fine",
)
_COUNTS = (
    "none", "nobody", "no one", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "just one", "both", "both of them", "two of them", "three of them",
)


def _join(*groups: tuple[str, ...]) -> str:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return ", ".join(seen)


HINTS: dict[str, str] = {
    "go_on": _join(_YES_NO, ("go on", "carry on", "continue", "end", "stop", "stop here")),
    "good_time": _join(_YES_NO, _CALLBACK),
    "callback_when": _join(_CALLBACK, ("no", "never", "don't call me")),
    "temperature": _join(_TEMPERATURE),
    "feels_feverish": _join(_YES_NO, ("hot", "feverish", "I feel hot", "I feel fine")),
    "symptoms": _join(_SYMPTOMS),
    "others_unwell": _join(_YES_NO, ("nobody", "no one", "just me", "one", "two", "both")),
    "others_count": _join(_COUNTS),
    "other_temperature": _join(_TEMPERATURE),
    "other_feels_feverish": _join(_YES_NO, ("hot", "feverish", "fine")),
    "other_symptoms": _join(_SYMPTOMS),
}


# --- Mandarin (Twilio's cmn-Hans-CN recogniser writes simplified characters) ------------------

_ZH_DIGITS = "零一二三四五六七八九"


def _zh_temperatures() -> tuple[str, ...]:
    """Body temperatures as said: "三十七度", "三十七度五", "三十七点五", "三十七点五度", "三十七度半"."""
    said: list[str] = []
    for whole in range(35, 41):
        tens, unit = divmod(whole, 10)
        number = f"{_ZH_DIGITS[tens]}十{_ZH_DIGITS[unit] if unit else ''}"
        said += [f"{number}度", f"{number}度半"]
        said += [f"{number}度{_ZH_DIGITS[tenth]}" for tenth in range(1, 10)]
        said += [f"{number}点{_ZH_DIGITS[tenth]}{unit}" for tenth in range(10) for unit in ("", "度")]
    return tuple(said)


_ZH_YES_NO = (
    "是", "是的", "不是", "对", "对的", "不对", "好", "好的", "可以", "不可以", "行", "不行", "有", "没有",
    "嗯", "不用", "不要", "不知道", "不确定",
)
_ZH_CALLBACK = (
    "现在不方便", "不方便", "我在忙", "在开车", "晚点再打", "等会儿再打", "以后再说", "半小时后", "一个小时后",
    "两个小时后", "三个小时后", "今天下午", "今天晚上", "今晚", "明天", "明天上午", "明天下午", "明天晚上",
    "明天上午九点", "后天", *(f"星期{day}" for day in "一二三四五六天"),
)
_ZH_TEMPERATURE = _zh_temperatures() + (
    "摄氏度", "体温", "没量", "没有量", "还没量", "没测", "没有测", "没有体温计", "家里没有体温计",
)
_ZH_SYMPTOMS = (
    "发烧", "发热", "低烧", "发冷", "怕冷", "发抖", "咳嗽", "干咳", "有痰", "气短", "气喘", "喘不上气", "乏力",
    "没劲", "累", "浑身酸痛", "肌肉酸痛", "头痛", "头疼", "闻不到味道", "尝不出味道", "没有味觉", "没有嗅觉",
    "嗓子疼", "喉咙痛", "流鼻涕", "鼻塞", "打喷嚏", "恶心", "想吐", "呕吐", "拉肚子", "腹泻", "呼吸困难",
    "胸口疼", "胸闷", "糊涂", "意识不清", "嘴唇发紫", "没有", "都没有", "没有症状",
)
_ZH_COUNTS = (
    "没有人", "都没有", "一个", "两个", "三个", "四个", "五个", "六个", "七个", "八个", "九个", "十个",
    "一个人", "两个人", "三个人", "俩",
)

ZH_HINTS: dict[str, str] = {
    "go_on": _join(_ZH_YES_NO, ("继续", "结束", "停止", "不继续", "到此结束")),
    "good_time": _join(_ZH_YES_NO, ("方便", "有空"), _ZH_CALLBACK),
    "callback_when": _join(_ZH_CALLBACK, ("不用", "别再打了", "不需要")),
    "temperature": _join(_ZH_TEMPERATURE),
    "feels_feverish": _join(_ZH_YES_NO, ("发热", "发烫", "有点烫", "不热")),
    "symptoms": _join(_ZH_SYMPTOMS),
    "others_unwell": _join(_ZH_YES_NO, ("没有人", "一个", "两个")),
    "others_count": _join(_ZH_COUNTS),
    "other_temperature": _join(_ZH_TEMPERATURE),
    "other_feels_feverish": _join(_ZH_YES_NO, ("发热", "发烫", "不热")),
    "other_symptoms": _join(_ZH_SYMPTOMS),
}
BY_LANGUAGE: dict[str, dict[str, str]] = {"en": HINTS, "zh": ZH_HINTS}


@lru_cache(maxsize=512)
def hints_for(response_name: str | None, language: str = "en") -> str | None:
    """The `<Gather hints>` value for a bot response in a conversation's language, or None when it
    asks no question. A language without hints of its own gets none: another language's words
    would only mislead its recogniser."""
    return BY_LANGUAGE.get(language, {}).get(question_of(response_name) or "")
