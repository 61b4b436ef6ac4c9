"""Phone numbers: reading them into E.164, masking them, and masking them in every log line."""
from __future__ import annotations

import logging
import re
from typing import Optional

import phonenumbers


def normalize_phone(raw: str, *, region: str) -> Optional[str]:
    """E.164 form of a phone number, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: Optional[str]) -> str:
    """A phone number fit for logs: country code and the last two digits."""
    if not phone:
        return "-"
    if len(phone) <= 5:
        return "*" * len(phone)
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


# A phone number as it may appear in a log line: E.164, or a long run of digits (a national
# number, a sender id). Short numbers (counts, ids, ports, years) are left alone.
_LOGGED_PHONE = re.compile(r"(?<![\w+])(?<!\d\.)\+?\d{9,15}(?!\w)(?!\.\d)")
_installed = False


def mask_phones_in(text: str) -> str:
    """`text` with every phone-like number masked as `mask_phone` does."""
    return _LOGGED_PHONE.sub(lambda match: mask_phone(match.group(0)), text)


def mask_phones_in_logs() -> None:
    """Mask phone numbers in every log record of this process, whichever logger wrote it
    (Rasa's and Sanic's included): records are made masked, before any handler sees them."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it for logging's own error report
            return record
        masked = mask_phones_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
