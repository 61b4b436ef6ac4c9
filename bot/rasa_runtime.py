"""Rasa as this project runs it: Rasa 3.6 with the custom actions in its own process, fixes on the
per-turn hot path, and a quieter log.

1. An `action_endpoint` that names an actions module (`actions_module: bot.actions`, the key
   later Rasa versions read for the same thing) runs those actions in the Rasa server's
   process: each Sanic worker, as it loads its agent, gets its own
   `bot.inprocess_actions.InProcessActions` (rasa_sdk's executor, called directly). An endpoint
   with a `url` is an action server, called over HTTP as Rasa always does.
2. Rasa checks every action server response with `jsonschema.validate()`, which first
   checks the schema itself against the JSON Schema metaschema, on every call. With the
   jsonschema that Rasa 3.6 installs, that is about 50 ms per action and more than 80% of
   a turn. Here the validator is built once; responses over HTTP are checked exactly as
   before and fail with the same error. In-process answers (our own code, in this process)
   are not checked: that still cost about 1 ms an action.
3. Every event read back from the tracker store finds its class by walking all subclasses
   of `Event` (about 17% of a turn). Here each type name is looked up once.
4. Rasa's processor, forms and rule policy deep-copy the events, states and messages they hand
   to their debug log calls, even when debug logging is off (a few % of a turn). In those
   modules every copy is such a copy (tests/bot/test_rasa_runtime.py reads their source to be
   sure); they are made only while debug logging is on.
5. Every tracker Rasa makes (about six a turn: copies for actions, replays for forms and rules)
   copies every slot with `copy.copy`, which goes through the pickle protocol. Here a slot is
   copied as that protocol copies it (a new object of its class sharing its attributes' values),
   directly: about 4 times faster, a few % of a turn. A slot class that changes how it is
   pickled is copied the general way.
6. Every message asks whether the domain is empty, which builds an empty domain to compare with
   (45 µs). Here the empty domain is built once.
7. Before each action Rasa copies the tracker, by replaying every event of the conversation on a
   fresh tracker (about 0.1 ms for a call's 50 events). Everything the replay sets is a function of
   the events, which the tracker itself has applied already; here the copy takes that state
   directly: the same events, slots copied, the loop and latest action copied, and, as Rasa's copy
   has them, no model id, assistant id or sender source. tests/bot/test_rasa_runtime.py makes
   every copy of whole conversations both ways and compares them.

Usage: python -m bot.rasa_runtime <rasa arguments>   (as `rasa ...`, with the fix applied)
"""
from __future__ import annotations

import copy
import importlib
import logging
import sys
from functools import lru_cache
from typing import Any, Optional

from bot.endpoints import IN_PROCESS_KEY
from campaigns.phones import mask_phones_in_logs

_applied = False


@lru_cache(maxsize=1)
def _response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, not per response
    return cls(schema)


def _validate_action_result(self, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with a prebuilt validator; same errors. An in-process
    answer is not checked (bot.inprocess_actions.InProcessActions)."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(self.action_endpoint, "in_process", False):
        return True
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _memoized_event_lookup(original):
    found: dict[str, type] = {}

    def resolve_by_type(type_name, default=None):
        """Event.resolve_by_type, remembering each class it finds (not defaults)."""
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if getattr(cls, "type_name", None) == type_name:
                found[type_name] = cls
        return cls

    return staticmethod(resolve_by_type)


# Rasa modules whose every use of `copy` is a deep copy of a value passed to a debug log call.
LOG_ONLY_COPIES = ("rasa.core.processor", "rasa.core.actions.forms", "rasa.core.policies.rule_policy")


def debug_logged() -> bool:
    """Whether Rasa's structured log keeps debug messages (configure_structlog's filtering
    logger makes a level below its own a no-op called `_nop`); True when it cannot tell."""
    import structlog

    debug = getattr(structlog.get_config().get("wrapper_class"), "debug", None)
    return getattr(debug, "__name__", "") != "_nop"


class LogCopies:
    """The `copy` module for LOG_ONLY_COPIES: a deep copy only when debug messages are kept,
    else the value itself (the log call drops it unread)."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: Optional[dict] = None) -> Any:
        return copy.deepcopy(value, memo) if debug_logged() else value


@lru_cache(maxsize=None)
def _pickles_plainly(cls: type) -> bool:
    """Whether the pickle protocol copies `cls`'s objects as plain objects: a new object of the class
    given the same attribute dict (nothing overrides the protocol, no slot holds attributes)."""
    overrides = ("__reduce_ex__", "__reduce__", "__getstate__", "__setstate__", "__getnewargs__",
                 "__getnewargs_ex__")
    return (not any(name in vars(klass) for klass in cls.__mro__[:-1] for name in overrides)
            and not any(vars(klass).get("__slots__") for klass in cls.__mro__))


def _copy_slot(slot: Any) -> Any:
    """copy.copy(slot) as the pickle protocol makes it, without going through the protocol."""
    cls = type(slot)
    if not _pickles_plainly(cls):
        return copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # what copy.copy does
    new = cls.__new__(cls)
    new.__dict__.update(slot.__dict__)
    return new


@lru_cache(maxsize=1)
def _empty_domain_dict() -> dict:
    from rasa.shared.core.domain import Domain

    return Domain.empty().as_dict()


def _domain_is_empty(self) -> bool:
    """Domain.is_empty, comparing with an empty domain built once."""
    return self.as_dict() == _empty_domain_dict()


def _copy_tracker(self):
    """DialogueStateTracker.copy: the state replaying all its events on a fresh tracker gives."""
    from collections import deque

    from rasa.shared.core.trackers import DEFAULT_SENDER_ID, DialogueStateTracker

    if type(self) is not DialogueStateTracker:
        return _replayed_copy(self)
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    new._max_event_history = self._max_event_history
    new.events = deque(self.events, self._max_event_history)
    new.sender_id = self.sender_id or DEFAULT_SENDER_ID
    new.slots = {slot.name: copy.copy(slot) for slot in self.slots.values()}
    new.sender_source = None
    new.is_rule_tracker = self.is_rule_tracker
    new._paused = self._paused
    new.followup_action = self.followup_action
    new.latest_action = copy.copy(self.latest_action)
    new.latest_message = self.latest_message
    new.latest_bot_utterance = self.latest_bot_utterance
    new.active_loop = copy.copy(self.active_loop)
    new.model_id = new.assistant_id = None
    return new


def _replayed_copy(tracker):
    """Rasa's own DialogueStateTracker.copy."""
    return tracker.travel_back_in_time(float("inf"))


def actions_module(endpoint: Any) -> Optional[str]:
    """The module an action endpoint runs in-process (`actions_module`), None for an action server."""
    kwargs = getattr(endpoint, "kwargs", None) or {}
    return None if getattr(endpoint, "url", None) else kwargs.get(IN_PROCESS_KEY)


def _in_process_actions(load_agent):
    async def load_agent_with_actions(*args: Any, endpoints: Any = None, **kwargs: Any):
        """rasa.core.agent.load_agent, with in-process actions for an endpoint that names them,
        and the graph run in order (bot.graph_order).
        Sanic runs this in each worker, after forking, so each has its own executor."""
        module = actions_module(getattr(endpoints, "action", None))
        if module:
            from bot.inprocess_actions import InProcessActions

            endpoints = copy.copy(endpoints)
            endpoints.action = InProcessActions(module)
        agent = await load_agent(*args, endpoints=endpoints, **kwargs)
        if agent is not None:
            from bot.graph_order import run_graph_in_order

            run_graph_in_order(agent)  # the graph without dask's scheduler
        return agent

    return load_agent_with_actions


def apply() -> None:
    """Install the in-process actions and the fixes; safe to call more than once."""
    global _applied
    if _applied:
        return
    import rasa.core.agent
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.slots import Slot
    from rasa.shared.core.trackers import DialogueStateTracker

    mask_phones_in_logs()  # Rasa names senders (phone numbers, for texts) in its own warnings
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = _memoized_event_lookup(Event.resolve_by_type)
    Slot.__copy__ = _copy_slot
    Domain.is_empty = _domain_is_empty
    DialogueStateTracker.copy = _copy_tracker
    for name in LOG_ONLY_COPIES:
        importlib.import_module(name).copy = LogCopies
    # rasa.core.run calls it as `agent.load_agent(...)`: the module's name, looked up each time.
    rasa.core.agent.load_agent = _in_process_actions(rasa.core.agent.load_agent)
    _applied = True


def quiet_rasa(level: int = logging.WARNING) -> None:
    """Rasa's structured debug log is loud by default; keep warnings and errors."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(level)
    for name in ("rasa", "rasa_sdk", "apscheduler", "sanic", "matplotlib", "absl"):
        logging.getLogger(name).setLevel(level)


def main() -> None:
    apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
