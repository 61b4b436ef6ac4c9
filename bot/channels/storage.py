"""The channels' database work, kept off the event loop: call contexts and carrier events."""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Callable, Optional

from sqlmodel import Session

from campaigns.records.carrier_events import add_carrier_event
from campaigns.records.contacts import CallContext, call_context
from campaigns.records.db import get_engine
from campaigns.records.models import Attempt
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
_CONTEXTS: "OrderedDict[int, CallContext]" = OrderedDict()
_CONTEXTS_KEPT = 4096  # an attempt's context never changes; a call makes ~8 webhooks


async def in_database(work: Callable[[Session], Any]) -> Any:
    """Run `work(session)` in a worker thread and commit, so the event loop never waits on the database."""
    def run() -> Any:
        with Session(get_engine(get_settings().database_url)) as session:
            result = work(session)
            session.commit()
            return result

    return await asyncio.get_running_loop().run_in_executor(None, run)


async def context_of(attempt_id: int) -> Optional[CallContext]:
    """The attempt's context, read from the database once per attempt and process."""
    found = _CONTEXTS.get(attempt_id)
    if found is None:
        found = await in_database(lambda session: call_context(session, attempt_id=attempt_id))
        if found is None:
            return None
        _CONTEXTS[attempt_id] = found
        while len(_CONTEXTS) > _CONTEXTS_KEPT:
            _CONTEXTS.popitem(last=False)
    return found


async def carrier_event(*, attempt_id: Optional[int], status: str, carrier_ref: str,
                        detail: Optional[str] = None, opted_out: bool = False) -> bool:
    """Queue a status for the dispatchers; a repeat or an unknown attempt is dropped with a log line."""
    if attempt_id is None:
        log.warning("status %s for %s names no attempt; ignored", status, carrier_ref)
        return False

    def add(session: Session) -> bool:
        if session.get(Attempt, attempt_id) is None:
            log.warning("status %s for unknown attempt %s ignored", status, attempt_id)
            return False
        return add_carrier_event(session, attempt_id=attempt_id, status=status,
                                 carrier_ref=carrier_ref, detail=detail, opted_out=opted_out)

    return await in_database(add)
