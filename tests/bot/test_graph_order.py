"""The model's graph run in order (bot.graph_order) gives exactly what Rasa's dask runner gives,
for message understanding and for the next action, on the real trained model; the live Rasa
server's agent loader installs it."""
from __future__ import annotations

import asyncio

from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.core.channels.channel import UserMessage

from bot.graph_order import InOrder

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
