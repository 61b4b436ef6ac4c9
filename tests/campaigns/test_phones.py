"""Phone numbers: masking in text and in every logger's records."""
from __future__ import annotations

import logging

import pytest

from campaigns.phones import mask_phone, mask_phones_in, mask_phones_in_logs


@pytest.mark.parametrize("text, masked", [
    ("sender '+14155550101' tripped", "sender '+14*******01' tripped"),
    ("from 4155550101.", "from 415*****01."),
    ("port 5005, year 2026, 37.5 degrees, id 12345678", "port 5005, year 2026, 37.5 degrees, id 12345678"),
    ("conversation H-1:a22-ab12cd", "conversation H-1:a22-ab12cd"),
    ("two +8613810000001 and +442071838750", "two +86*********01 and +44********50"),
], ids=["e164", "national", "short-numbers", "ids", "two"])
def test_mask_phones_in_text(text, masked):
    assert mask_phones_in(text) == masked


def test_every_logger_writes_masked_numbers(caplog):
    mask_phones_in_logs()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("rasa.core.processor").warning(
            "Circuit breaker tripped. Stopped predicting more actions for sender '%s'.", "+14155550101")
        logging.getLogger("sanic.error").warning("from %s", 4155550199)
    text = caplog.text
    assert "+14155550101" not in text and "4155550199" not in text
    assert mask_phone("+14155550101") in text

