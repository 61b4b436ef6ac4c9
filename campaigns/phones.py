"""Phone numbers: reading them into E.164 and masking them for logs. Pure."""
from __future__ import annotations

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

