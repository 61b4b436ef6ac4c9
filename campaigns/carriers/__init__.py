"""Carriers, registered here and nowhere else: the name given to `screening run --carrier`."""
from __future__ import annotations

from campaigns.carriers.base import Carrier
from campaigns.carriers.simulated import SimulatedCarrier
from campaigns.carriers.twilio import TwilioCarrier

CARRIERS: dict[str, type[Carrier]] = {
    "simulated": SimulatedCarrier,
    "twilio": TwilioCarrier,
}
