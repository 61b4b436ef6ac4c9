"""The model's graph run in order (bot.graph_order) gives exactly what Rasa's dask runner gives,
for message understanding and for the next action, on the real trained model; the live Rasa
server's agent loader installs it. A kept parse is the model's own, and nobody can change it."""
from __future__ import annotations

import asyncio
import copy

from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.core.channels.channel import UserMessage

from bot.graph_order import InOrder, ParseCache, understands_text_only

MESSAGES = ["yes", "38.6", "I have a cough and a headache", "nobody else", "我发烧了，三十八度六", "stop calling me",
            "", "🙂", "call me back tomorrow at 9"]


def test_in_order_gives_what_dask_gives(screening_bot):
    processor = screening_bot.agent.processor
    assert isinstance(processor.graph_runner, InOrder)
    in_order, dask = processor.graph_runner, processor.graph_runner.runner
    assert isinstance(dask, DaskGraphRunner)
    for text in MESSAGES:
        target = processor.model_metadata.nlu_target
        inputs = {PLACEHOLDER_MESSAGE: [UserMessage(text)], PLACEHOLDER_TRACKER: DialogueStateTracker("x", [])}
        mine, theirs = in_order.run(inputs=inputs, targets=[target]), dask.run(inputs=inputs, targets=[target])
        assert [m.as_dict() for m in mine[target]] == [m.as_dict() for m in theirs[target]], text
        assert mine[target][0].get("intent"), text


def test_next_action_predictions_agree(screening_bot, event_loop_for_bot):
    processor = screening_bot.agent.processor
    in_order = processor.graph_runner
    tracker = event_loop_for_bot.run_until_complete(
        processor.fetch_tracker_with_initial_session("graph-order"))
    predictions = []
    for runner in (in_order, in_order.runner):
        processor.graph_runner = runner
        try:
            predictions.append(processor._predict_next_with_tracker(tracker).__dict__)
        finally:
            processor.graph_runner = in_order
    assert predictions[0] == predictions[1]
    assert max(predictions[0]["probabilities"]) > 0


def test_the_live_loader_installs_it(model_path):
    import rasa.core.agent

    from bot import rasa_runtime

    rasa_runtime.apply()
    agent = asyncio.new_event_loop().run_until_complete(rasa.core.agent.load_agent(model_path=str(model_path)))
    assert isinstance(agent.processor.graph_runner, InOrder)
    assert isinstance(agent.processor._parse_message_with_graph, ParseCache)


# Repeated answers, keypad digits, Mandarin, nothing at all, an intent typed in, a long free text.
PARSED = [*MESSAGES, "2", "366", "1", "no", "是的", "没有", "/greet", "/session_start", "  yes  ", "x" * 300]


def _tracker() -> DialogueStateTracker:
    return DialogueStateTracker("parse-cache", [])


def test_the_bot_keeps_parses_when_its_understanding_reads_only_the_text(screening_bot):
    processor = screening_bot.agent.processor
    assert isinstance(processor._parse_message_with_graph, ParseCache)
    assert understands_text_only(processor.graph_runner.runner, processor.model_metadata.nlu_target)
    # The policies read the conversation: never a pure function of a text.
    assert not understands_text_only(processor.graph_runner.runner, processor.model_metadata.core_target)


def test_a_kept_parse_is_what_the_model_says(screening_bot):
    processor = screening_bot.agent.processor
    cache = ParseCache(processor._parse_message_with_graph.parse)
    for text in PARSED:
        for turn, metadata in enumerate(({"attempt_id": 1}, {"attempt_id": 2, "now": "2026-01-01T00:00:00"}, None)):
            message = UserMessage(text, metadata=metadata, message_id=f"m{turn}")
            assert cache(message, _tracker()) == cache.parse(message, _tracker()), (text, turn)
    kept = {UserMessage(text).text for text in PARSED if len(text) <= 200}  # Rasa strips a text; a long one is not kept
    assert cache.misses == len(kept) and cache.hits == 3 * (len(PARSED) - 1) - len(kept)
    # The whole parse (metadata included) is never kept.
    message = UserMessage("yes", metadata={"attempt_id": 3})
    assert cache(message, _tracker(), False) == cache.parse(message, _tracker(), False)


def test_a_changed_parse_does_not_change_the_next(screening_bot):
    cache = ParseCache(screening_bot.agent.processor._parse_message_with_graph.parse)
    first = cache(UserMessage("stop calling me"), _tracker())
    expected = copy.deepcopy(first)
    for parsed in (first, cache(UserMessage("stop calling me"), _tracker())):
        parsed["intent"]["name"] = "changed"
        parsed["entities"].append({"entity": "x"})
        parsed["intent_ranking"].clear()
    assert cache(UserMessage("stop calling me"), _tracker()) == expected


def test_parses_kept_are_bounded_and_the_least_recent_goes(screening_bot):
    cache = ParseCache(screening_bot.agent.processor._parse_message_with_graph.parse, kept=2)
    for text in ("yes", "no", "yes", "2"):  # "no" is the least recently used when "2" comes
        cache(UserMessage(text), _tracker())
    assert list(cache._parses) == ["yes", "2"] and (cache.hits, cache.misses) == (1, 3)
