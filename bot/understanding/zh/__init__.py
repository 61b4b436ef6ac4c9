"""Mandarin answer readers, for text as people type it and as Twilio's cmn-Hans-CN recogniser writes it."""

from bot.understanding.core.readers import Readers
from bot.understanding.zh.callback import mentions_callback, parse_callback_time
from bot.understanding.zh.counts import parse_count
from bot.understanding.zh.symptoms import parse_symptoms
from bot.understanding.zh.temperature import parse_temperature, says_not_measured
from bot.understanding.zh.yesno import parse_yes_no

READERS = Readers(
    language="zh",
    temperature=parse_temperature,
    not_measured=says_not_measured,
    yes_no=parse_yes_no,
    symptoms=parse_symptoms,
    count=parse_count,
    callback_time=parse_callback_time,
    mentions_callback=mentions_callback,
)
