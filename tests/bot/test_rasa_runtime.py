"""The hot-path fixes must behave exactly like Rasa's own code."""
from __future__ import annotations

import ast
import copy
import importlib
import inspect
import logging

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, Event, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot, CategoricalSlot, Slot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
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


def _copy_uses_outside_debug_log_calls(source: str) -> list[int]:
    """Lines where a module uses `copy` other than inside a `structlogger.<level>(...)` call."""
    tree = ast.parse(source)
    inside_logs: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "structlogger":
            inside_logs.update(id(child) for child in ast.walk(node))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "copy"
            and id(node) not in inside_logs]


@pytest.mark.parametrize("name", rasa_runtime.LOG_ONLY_COPIES)
def test_modules_given_log_copies_copy_only_what_they_log(name):
    module = importlib.import_module(name)
    assert _copy_uses_outside_debug_log_calls(inspect.getsource(module)) == []
    assert module.copy is rasa_runtime.LogCopies


def test_log_copies_are_made_only_while_debug_is_logged():
    import rasa.core.processor

    value = {"events": [{"event": "slot", "value": [1, 2]}]}
    rasa_runtime.quiet_rasa()  # warnings and errors, as the in-process bot logs
    assert not rasa_runtime.debug_logged()
    assert rasa.core.processor.copy.deepcopy(value) is value
    rasa_runtime.quiet_rasa(logging.DEBUG)
    try:
        assert rasa_runtime.debug_logged()
        copied = rasa.core.processor.copy.deepcopy(value)
        assert copied == value and copied is not value and copied["events"][0] is not value["events"][0]
    finally:
        rasa_runtime.quiet_rasa()
    assert not rasa_runtime.debug_logged()



def _pickle_protocol_copy(value):
    """copy.copy as Python makes it without a __copy__ method: through __reduce_ex__."""
    return copy._reconstruct(value, None, *value.__reduce_ex__(4))


def test_slots_are_copied_as_the_pickle_protocol_copies_them():
    rasa_runtime.apply()
    assert Slot.__copy__ is rasa_runtime._copy_slot
    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker("someone", domain.slots)
    tracker.update(SlotSet("household_members", ["Ana", "Bo"]), domain)
    assert tracker.slots["household_members"].value == ["Ana", "Bo"]
    assert {type(slot) for slot in tracker.slots.values()} >= {TextSlot, CategoricalSlot, AnySlot}
    for slot in [*domain.slots, *tracker.slots.values()]:
        copied, reference = copy.copy(slot), _pickle_protocol_copy(slot)
        assert copied is not slot and type(copied) is type(reference)
        assert copied.__dict__ == reference.__dict__
        assert all(copied.__dict__[name] is value for name, value in slot.__dict__.items())  # shallow
        copied.value = "changed"
        assert slot.value != "changed"


class _KeepsOnlyItsName(TextSlot):
    """A slot class that changes what is copied: copied the general way."""

    def __getstate__(self):
        return {"name": self.name, "_value": None}


def test_a_slot_class_that_changes_its_pickling_is_copied_the_general_way():
    rasa_runtime.apply()
    slot = _KeepsOnlyItsName("note", mappings=[])
    slot.value = "kept?"
    assert copy.copy(slot).__dict__ == {"name": "note", "_value": None} == _pickle_protocol_copy(slot).__dict__


def test_the_domain_is_empty_exactly_when_rasa_says_so():
    rasa_runtime.apply()
    assert Domain.is_empty is rasa_runtime._domain_is_empty
    assert Domain.from_dict({}).is_empty() and Domain.empty().is_empty()
    assert not Domain.load("domain.yml").is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()
    assert not Domain.from_dict({"responses": {"utter_hi": [{"text": "hi"}]}}).is_empty()


def _tracker_state(tracker) -> dict:
    """Everything a tracker holds, comparable."""
    return {**{name: value for name, value in vars(tracker).items() if name not in ("events", "slots")},
            "events": [id(event) for event in tracker.events], "maxlen": tracker.events.maxlen,
            "slots": {name: (type(slot), vars(slot)) for name, slot in tracker.slots.items()},
            "current": tracker.current_state(EventVerbosity.ALL)}


@pytest.fixture
def copies_made_both_ways(monkeypatch):
    """Each tracker copy Rasa makes is made both ways, ours and Rasa's replay, and compared."""
    rasa_runtime.apply()
    compared = []

    def both_ways(tracker):
        ours, replayed = rasa_runtime._copy_tracker(tracker), rasa_runtime._replayed_copy(tracker)
        assert _tracker_state(ours) == _tracker_state(replayed)
        assert ours.slots.keys() == tracker.slots.keys()
        assert all(ours.slots[name] is not slot for name, slot in tracker.slots.items())
        compared.append(len(tracker.events))
        return ours

    monkeypatch.setattr(DialogueStateTracker, "copy", both_ways)
    return compared


def test_a_tracker_copy_equals_rasas_replay_through_whole_conversations(resident, copies_made_both_ways):
    resident().talk("hi", "yes", "45", "51", "no symptoms", "no")  # an implausible answer, asked again
    resident().talk("hi", "yes", "36.5", "no", "yes", "two", "38.4", "a cough", "37", "none")  # others
    resident().talk("hi", "yes", "I need medicine", "36.7", "no", "no")  # a request in the middle
    resident().talk("hi", "yes", "38.5", "stop calling me")  # opted out half-way
    resident().talk("hi", "no, call me tomorrow at 9")
    resident("chat:web-copies", channel="chat").talk("你好", "是的", "三十八度六", "咳嗽和嗓子疼", "没有")
    assert len(copies_made_both_ways) > 60 and max(copies_made_both_ways) > 40


def test_a_tracker_copy_is_its_own(resident):
    rasa_runtime.apply()
    assert DialogueStateTracker.copy is rasa_runtime._copy_tracker
    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker.from_events("someone", [SlotSet("household_members", ["Ana"])], domain.slots)
    tracker.model_id = "a model"
    copied = tracker.copy()
    copied.update(SlotSet("household_members", ["Bo"]), domain)
    copied.update(ActiveLoop("screening_form"), domain)
    copied.update(ActionExecuted("utter_greet"), domain)
    assert tracker.slots["household_members"].value == ["Ana"] and len(tracker.events) == 1
    assert tracker.active_loop is None and tracker.latest_action == {}
    assert (copied.model_id, tracker.model_id) == (None, "a model")
    tracker.update(ConversationPaused(), domain)
    assert tracker.copy().is_paused() and _tracker_state(tracker.copy()) == _tracker_state(
        rasa_runtime._replayed_copy(tracker))
