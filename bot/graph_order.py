"""The model's graph run node by node in dependency order, without dask's scheduler.

Rasa 3.6 runs a turn's graph (message understanding, then the policies) through dask's local
scheduler, about a tenth of a turn's CPU here. `InOrder` runs the same nodes (those the targets
need), each given its parents' outputs and after them, with the same outputs and errors. The
in-process bot (dry runs, tests) and the live Rasa server (bot.rasa_runtime) both use it.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.agent import Agent
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


def run_graph_in_order(agent: Agent) -> None:
    """Have the agent's processor run its graph with InOrder (an agent without a model is left)."""
    processor = agent.processor
    if processor is not None and isinstance(processor.graph_runner, DaskGraphRunner):
        processor.graph_runner = InOrder(processor.graph_runner)
