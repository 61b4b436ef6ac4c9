"""How a question's responses are named, and reading the question back from a response name. Pure.

The form asks `utter_ask_<question>`, rephrases with `utter_reask_<question>`, asks again
after an implausible value with `utter_reask_<value>_implausible`, and comes back to a
question after an interruption with `utter_resume_<question>` where the first asking would
not fit (the greeting is said once). Channels (to repeat a
question and pick speech hints) and carriers (to know what the bot is waiting for) read the
question back with `question_of`.
"""
from __future__ import annotations

from typing import Optional

ASK = "utter_ask_"
REASK = "utter_reask_"
RESUME = "utter_resume_"
IMPLAUSIBLE = "_implausible"


def response_for(question: str, *, reask: bool = False, implausible: bool = False, resume: bool = False) -> str:
    """The response that asks `question`: first, again after an unclear answer, or on coming back to it."""
    if resume and not reask:
        return RESUME + question
    if not reask:
        return ASK + question
    if implausible:  # one text serves the contact's and the other members' implausible values
        return REASK + question.removeprefix("other_") + IMPLAUSIBLE
    return REASK + question


def question_of(response: Optional[str]) -> Optional[str]:
    """The question a response asks ("utter_reask_temperature_implausible" -> "temperature"), or None."""
    if not response:
        return None
    for prefix in (ASK, REASK, RESUME):
        if response.startswith(prefix):
            return response.removeprefix(prefix).removesuffix(IMPLAUSIBLE)
    return None


def is_question(response: Optional[str]) -> bool:
    return question_of(response) is not None
