"""Campaigns dialled through Twilio for real: the dispatcher on the real clock, the Twilio
carrier, the local Twilio emulator, and the live Rasa server with its action server."""
from __future__ import annotations

import asyncio
import itertools
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session, select

from campaigns.outreach import lifecycle
from campaigns.outreach.campaign_file import parse_campaign
from campaigns.carriers.twilio import TwilioCarrier
from campaigns.outreach.clock import RealClock
from campaigns.outreach.dispatcher import Dispatcher
from campaigns.records.models import Attempt, Household
from campaigns.settings import Settings
from tests.live import ACCOUNT_SID, AUTH_TOKEN, BOT_TOKEN, CALLER_ID, LiveServer
from tests.twilio_emulator import Resident, TwilioEmulator

_numbers = itertools.count(1)
_names = itertools.count(1)


def new_phone() -> str:
    """A fresh valid US number per household, so tests sharing the live database never meet."""
    return f"+1415555{next(_numbers) % 10000:04d}"


def live_spec(**fields: Any):
    """A campaign whose round is due now and whose window is open for hours, on today's date."""
    now = datetime.now(timezone.utc)
    opens = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
    closes = now + timedelta(hours=3)
    data = {
        "name": f"live-{next(_names)}-{int(time.time() * 1000) % 100000}",
        "schedule": {"start": opens.date().isoformat(), "days": 2, "rounds": [opens.strftime("%H:%M")]},
        "calling_window": {"start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")},
        "caller_id": CALLER_ID,
        **fields,
    }
    return parse_campaign(data, path=Path("campaigns/live.yml"))


def settings_for(server: LiveServer, emulator: TwilioEmulator) -> Settings:
    return Settings(database_url=server.database_url, twilio_account_sid=ACCOUNT_SID,
                    twilio_auth_token=AUTH_TOKEN, twilio_caller_id=CALLER_ID, public_url=server.url,
                    rasa_url=server.url, twilio_api_url=emulator.api_url, bot_token=BOT_TOKEN)


class LiveCampaign:
    """One started campaign over the given households, and a dispatcher to run it."""

    def __init__(self, engine, server: LiveServer, emulator: TwilioEmulator, households: list[Household],
                 **spec_fields: Any) -> None:
        self.engine, self.emulator = engine, emulator
        self.household_ids = [row.id for row in households]
        self.spec = live_spec(households={"community": households[0].community}, **spec_fields)
        with Session(engine) as session:
            for row in households:
                session.merge(row)  # new, or already imported from a list
            session.commit()
            lifecycle.start_campaign(session, spec=self.spec, source="test", now=datetime.now(timezone.utc))
            session.commit()
        clock = RealClock()
        settings = settings_for(server, emulator)
        self.dispatcher = Dispatcher(engine, clock=clock, tick_seconds=0.2,
                                     carrier=lambda d: TwilioCarrier(d.on_status, clock=clock, settings=settings))

    @property
    def id(self) -> str:
        return self.spec.name

    def attempts(self) -> list[Attempt]:
        with Session(self.engine) as session:
            return list(session.exec(select(Attempt).where(Attempt.campaign_id == self.id)
                                     .order_by(Attempt.household_id, Attempt.try_no)).all())

    async def run_until(self, done: Callable[[], bool], timeout: float = 40.0) -> None:
        """Tick the dispatcher (as APScheduler would) until `done()`; fail after `timeout` s."""
        deadline = time.monotonic() + timeout
        await self.dispatcher.housekeeping()
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"not done after {timeout} s; attempts: "
                                     f"{[(a.id, a.status, a.detail) for a in self.attempts()]}")
            await self.dispatcher.tick()
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        await self.dispatcher.carrier.close()


def community_households(*phones: str, members: int = 1, languages: dict[str, str] | None = None) -> list[Household]:
    """Households in a community of their own, so a campaign picks exactly these. `languages` gives
    a phone's household its list language ("" for none: the campaign's); the others are English."""
    community = f"c{next(_names)}-{int(time.time() * 1000) % 100000}"
    return [Household(id=f"{community}-h{i}", phone=phone, timezone="UTC", members=members, community=community,
                      contact_name=f"Resident {i}", language=(languages or {}).get(phone, "en"))
            for i, phone in enumerate(phones, start=1)]


SMS = {"channels": [{"type": "sms"}]}
_OPEN = ("due", "claimed", "dialing", "in_progress")


def run_campaign(live_server: LiveServer, engine, residents: dict[str, Resident], *, until, after=None,
                 emulator_options=None, households: list[Household] | None = None, **spec_fields):
    """Start a voice campaign over households with these phones (or the `households` given) and run it
    until `until(campaign)`; then `after(emulator, campaign)`, if given, and a few more dispatcher ticks."""
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, **(emulator_options or {})) as emulator:
            emulator.residents.update(residents)
            campaign = LiveCampaign(engine, live_server, emulator, households or community_households(*residents),
                                    **spec_fields)
            try:
                await campaign.run_until(lambda: until(campaign))
                await emulator.wait_idle(timeout=20)
                if after is not None:
                    await after(emulator, campaign)
                    for _ in range(5):
                        await campaign.dispatcher.tick()
            finally:
                await campaign.close()
            return campaign, emulator

    return asyncio.run(main())


def texting(live_server: LiveServer, engine, residents: dict[str, Resident], *, until, after=None,
            households: list[Household] | None = None, **spec_fields):
    """Start an SMS campaign over households with these phones (or the `households` given) and run it
    until `until(campaign, emulator)`; `after(emulator, campaign)` then runs inside the same emulator session."""
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{live_server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            emulator.residents.update(residents)
            campaign = LiveCampaign(engine, live_server, emulator, households or community_households(*residents),
                                    **{**SMS, **spec_fields})
            try:
                await campaign.run_until(lambda: until(campaign, emulator))
                await emulator.wait_idle(timeout=20)
                extra = await after(emulator, campaign) if after else None
            finally:
                await campaign.close()
            return campaign, emulator, extra

    return asyncio.run(main())


def settled(campaign, emulator=None) -> bool:
    """The first attempt has its outcome."""
    attempts = campaign.attempts()
    return bool(attempts) and attempts[0].status not in _OPEN


ended = settled  # the SMS tests' name for it


def all_settled(campaign, emulator=None) -> bool:
    """Every household's first attempt has its outcome."""
    firsts = [a for a in campaign.attempts() if a.try_no == 1]
    return len(firsts) == len(campaign.household_ids) and all(a.status not in _OPEN for a in firsts)
