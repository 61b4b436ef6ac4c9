"""The hot-path fixes must behave exactly like Rasa's own code."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot import rasa_runtime

RESPONSES = {
    "valid, empty": {"events": [], "responses": []},
    "valid, slot": {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
    "event without a name": {"events": [{"name": "x"}], "responses": []},
    "responses not a list": {"events": [], "responses": "hello"},
    "events not a list": {"events": {"event": "slot"}},
    "unknown event": {"events": [{"event": "no_such_event"}]},
}


@pytest.fixture(autouse=True, scope="module")
def _applied():
    rasa_runtime.apply()


@pytest.mark.parametrize("result", list(RESPONSES.values()), ids=list(RESPONSES))
def test_validate_action_result_matches_jsonschema_validate(result):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(result, schema)
        expected = None
    except jsonschema.ValidationError as error:
        expected = error.message
    action = RemoteAction("action_x", None)
    if expected is None:
        assert action._validate_action_result(result) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as raised:
            action._validate_action_result(result)
        assert raised.value.message.startswith(expected)
        assert "Failed to validate Action server response" in raised.value.message


def test_event_lookup_finds_the_same_class_as_a_full_walk():
    for cls in all_subclasses(Event):
        name = getattr(cls, "type_name", None)
        if not isinstance(name, str):
            continue
        first = next(c for c in all_subclasses(Event) if c.type_name == name)
        assert Event.resolve_by_type(name) is first
        assert Event.resolve_by_type(name) is first  # and again, from the memo


def test_event_lookup_keeps_defaults_and_errors():
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered  # defaults never memoized
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_apply_twice_changes_nothing():
    before = (RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"])
    rasa_runtime.apply()
    assert (RemoteAction._validate_action_result, Event.__dict__["resolve_by_type"]) == before
