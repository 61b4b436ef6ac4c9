"""The model's graph run node by node in dependency order, without dask's scheduler; and the
understanding of a message kept by its text.

Rasa 3.6 runs a turn's graph (message understanding, then the policies) through dask's local
scheduler, about a tenth of a turn's CPU here. `InOrder` runs the same nodes (those the targets
need), each given its parents' outputs and after them, with the same outputs and errors. The
in-process bot (dry runs, tests) and the live Rasa server (bot.rasa_runtime) both use it.

Understanding a message was about a quarter of a turn, and residents say the same few things
("yes", "no", keypad digits): `ParseCache` keeps the parse of each recent text, when every part
of the understanding graph is a pure function of the text (`PURE_NLU`).
"""
from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from typing import Any, Callable, Optional

from rasa.core.agent import Agent
from rasa.engine.constants import PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class InOrder:
    """The model's graph run as Rasa's DaskGraphRunner runs it, node by node in this thread,
    without dask's scheduler (about a tenth of a turn): the same nodes (those the targets need),
    each given its parents' outputs, each after its parents; the same outputs and errors."""

    def __init__(self, runner: DaskGraphRunner) -> None:
        self.runner = runner
        self._orders: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}

    def run(self, inputs: Optional[dict[str, Any]] = None, targets: Optional[list[str]] = None) -> dict[str, Any]:
        runner = self.runner
        run_targets = targets if targets else runner._graph_schema.target_names
        order = self._orders.get(tuple(run_targets))
        if order is None:
            order = self._orders[tuple(run_targets)] = _in_order(
                runner._graph_schema.minimal_graph_schema(run_targets))
        values: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and any(name == value for name, _ in order):
                raise GraphRunError(f"Input value '{value}' clashes with a node name.")
            values[name] = (name, value)  # as dask hands an input to a node
        try:
            for name, needs in order:  # a need nothing provides is passed by its name, as dask does
                values[name] = runner._instantiated_nodes[name](*(values.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(values[target] for target in run_targets)


def _in_order(schema) -> list[tuple[str, tuple[str, ...]]]:
    """The schema's nodes, each after every node it needs, with the names of what it needs."""
    order: list[tuple[str, tuple[str, ...]]] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in schema.nodes:
            return
        done.add(name)
        needs = tuple(schema.nodes[name].needs.values())
        for need in needs:
            visit(need)
        order.append((name, needs))

    for name in schema.nodes:
        visit(name)
    return order


PARSES_KEPT = 4096  # texts; a parse is about 1 KB
LONGEST_KEPT = 200  # characters: a longer text (free chat) is rarely said twice
# The understanding components whose output depends on the message text alone (and the model):
# no clock, no randomness, no metadata, no tracker. A graph with any other is never cached.
PURE_NLU = frozenset({
    "NLUMessageConverter", "HanCharacterTokenizer", "WhitespaceTokenizer", "CountVectorsFeaturizer",
    "LogisticRegressionClassifier", "FallbackClassifier", "RegexMessageHandler", "DomainProvider",
})


class ParseCache:
    """MessageProcessor._parse_message_with_graph, remembered by the message text for the most
    recent texts. What it returns (the parse Rasa puts in the user's event) depends on the text
    alone for a pure graph: the message id and metadata are not among its output properties.
    Each call gets a copy of its own (unpickled), so a caller changing it changes nothing kept."""

    def __init__(self, parse: Callable[..., dict[str, Any]], kept: int = PARSES_KEPT) -> None:
        self.parse = parse
        self.kept = kept
        self._parses: "OrderedDict[str, bytes]" = OrderedDict()
        self._lock = threading.Lock()  # a dry run's bot may be called from several threads
        self.hits = self.misses = 0

    def __call__(self, message: Any, tracker: Any, only_output_properties: bool = True) -> dict[str, Any]:
        text = message.text
        if not only_output_properties or not isinstance(text, str) or len(text) > LONGEST_KEPT:
            return self.parse(message, tracker, only_output_properties)  # its output carries the metadata
        with self._lock:
            pickled = self._parses.get(text)
            if pickled is not None:
                self._parses.move_to_end(text)
                self.hits += 1
        if pickled is not None:
            return pickle.loads(pickled)
        parsed = self.parse(message, tracker, only_output_properties)
        with self._lock:
            self.misses += 1
            self._parses[text] = pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL)
            while len(self._parses) > self.kept:
                self._parses.popitem(last=False)
        return parsed


def understands_text_only(runner: Any, nlu_target: Optional[str]) -> bool:
    """Whether the graph's understanding part reads the message text alone: only PURE_NLU
    components, and none of them given the tracker."""
    schema = getattr(runner, "_graph_schema", None)
    if schema is None or not nlu_target or nlu_target not in schema.nodes:
        return False
    nodes = schema.minimal_graph_schema([nlu_target]).nodes.values()
    return all(node.uses.__name__ in PURE_NLU and PLACEHOLDER_TRACKER not in node.needs.values()
               for node in nodes)


def run_graph_in_order(agent: Agent) -> None:
    """Have the agent's processor run its graph with InOrder, and keep the parses of recent texts
    when its understanding is a pure function of the text (an agent without a model is left)."""
    processor = agent.processor
    if processor is not None and isinstance(processor.graph_runner, DaskGraphRunner):
        dask = processor.graph_runner
        processor.graph_runner = InOrder(dask)
        if understands_text_only(dask, processor.model_metadata.nlu_target) \
                and not isinstance(processor.__dict__.get("_parse_message_with_graph"), ParseCache):
            processor._parse_message_with_graph = ParseCache(processor._parse_message_with_graph)
