"""English answer readers: numbers, temperature, yes/no, symptoms, counts and callback times."""

from bot.understanding.core.readers import Readers
from bot.understanding.en.callback import mentions_callback, parse_callback_time
from bot.understanding.en.counts import parse_count
from bot.understanding.en.symptoms import parse_symptoms
from bot.understanding.en.temperature import parse_temperature, says_not_measured
from bot.understanding.en.yesno import parse_yes_no

READERS = Readers(
    language="en",
    temperature=parse_temperature,
    not_measured=says_not_measured,
    yes_no=parse_yes_no,
    symptoms=parse_symptoms,
    count=parse_count,
    callback_time=parse_callback_time,
    mentions_callback=mentions_callback,
)
