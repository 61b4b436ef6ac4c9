"""Speech-recognition hints for each screening question, for Twilio's `<Gather hints="...">`.

Pure, stdlib-only. A hint string is a comma-separated list of words and phrases
the resident is likely to say; Twilio accepts up to 500 entries of at most 100
characters each. Only plain phrases are used: the `$OOV_CLASS_...` class tokens
depend on the speech-to-text provider Twilio picks, and an unsupported token
makes the hints invalid (Twilio warning 13330).

The phrases are ones the answer readers in `bot.understanding` understand, so a
better transcript is also a better-read answer. The voice channel looks hints up
by the response name the bot sent (`message["utter_action"]`) with `hints_for`.
"""

from __future__ import annotations

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


def hints_for(response_name: str | None) -> str | None:
    """The `<Gather hints>` value for a bot response, or None when it asks no question."""
    return HINTS.get(question_of(response_name) or "")
