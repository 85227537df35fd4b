"""The DaVinci engine: runs a flow's graph from its entry nodes (or from the node the interaction
waits on) until it waits for the user, completes, or fails.

Semantics (those of DaVinci's own state machine, as the exports' `orx` documents show them):
- a CONNECTION node runs its connector capability; when it ends, each successor runs: a
  CONNECTION successor directly, an EVAL successor decides for each of its targets by that
  target's rule over the EVAL's triggers (the nodes leading into it): `allTriggersTrue` (the
  default), `allTriggersFalse`, `anyTriggersTrue`, `anyTriggersFalse`, `allTriggersComplete`;
- a node that fails without any successor taking its failure ends the flow with its error;
- nodes run one at a time, first queued first; a sub-flow (flowConnector) runs on top of its
  caller, whose node ends when the sub-flow returns;
- `MAX_STEPS` nodes at most run between two pauses, so a cycle without a pause ends in an error
  instead of running forever; sub-flows nest at most `MAX_DEPTH` deep.

Everything the engine keeps is in the `InteractionState` (JSON), so a run can stop at a pause and
another process can go on from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehouse.davinci.connectors import registry
from gatehouse.davinci.connectors.base import (
    CallFlow,
    Done,
    Fail,
    Finish,
    Jump,
    NodeCall,
    NodeError,
    Pause,
    Result,
    Return,
    Submission,
)
from gatehouse.davinci.engine import graph as g
from gatehouse.davinci.engine.context import RunContext, VariableStore
from gatehouse.davinci.engine.state import Frame, InteractionState
from gatehouse.davinci.engine.values import MISSING, Lookup, path_value

MAX_STEPS = 200
MAX_DEPTH = 8


@dataclass
class Waiting:
    node: g.Node
    screen: dict[str, Any]


@dataclass
class Completed:
    kind: str  # success | authenticated
    data: dict[str, Any]
    node: g.Node


@dataclass
class Failed:
    error: NodeError
    node: g.Node | None


Outcome = Waiting | Completed | Failed


class _CachedVariables:
    """The variable store with each flow's values read once per run."""

    def __init__(self, store: VariableStore) -> None:
        self._store = store
        self._values: dict[str, dict[str, Any]] = {}

    async def values(self, flow_id: str) -> dict[str, Any]:
        if flow_id not in self._values:
            self._values[flow_id] = dict(await self._store.values(flow_id))
        return self._values[flow_id]

    async def set(self, name: str, value: Any, flow_id: str | None) -> bool:
        stored = await self._store.set(name, value, flow_id)
        if stored:
            for values in self._values.values():
                if name in values:
                    values[name] = value
        return stored


def engine_error(code: str, message: str) -> NodeError:
    return NodeError(code, message, category="Unexpected", expected=False, http_status=400)


class FlowRunner:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.variables = _CachedVariables(ctx.variables)
        ctx.variables = self.variables
        self._graphs: dict[tuple[str, int], g.Graph] = {}

    # --- entry points ------------------------------------------------------------------------

    async def start(self, state: InteractionState) -> Outcome:
        """Run a new interaction from the entry nodes of its flow."""
        try:
            return await self._start(state)
        except g.GraphError as error:
            return Failed(engine_error("invalidFlow", str(error)), None)

    async def submit(self, state: InteractionState, submission: Submission) -> Outcome:
        """Give the waiting node what the user submitted and run on."""
        try:
            return await self._submit(state, submission)
        except g.GraphError as error:
            return Failed(engine_error("invalidFlow", str(error)), None)

    async def _start(self, state: InteractionState) -> Outcome:
        graph = await self._graph(state.frame)
        entries = graph.entry_nodes()
        if not entries:
            return Failed(engine_error("invalidFlow", "The flow has no node to start from."), None)
        state.frame.queue = [[node_id, {}] for node_id in entries]
        return await self._advance(state)

    async def _submit(self, state: InteractionState, submission: Submission) -> Outcome:
        assert state.waiting is not None
        graph = await self._graph(state.frame)
        node = graph.nodes[state.waiting["nodeId"]]
        capability = registry.find(node.connector_id, node.capability_name)
        assert capability is not None and capability.submit is not None
        call = await self._call(state, node, {})
        state.waiting = None
        outcome = await self._apply(state, node, await capability.submit(call, submission))
        return outcome if outcome is not None else await self._advance(state)

    # --- the loop ----------------------------------------------------------------------------

    async def _advance(self, state: InteractionState) -> Outcome:
        steps = 0
        while True:
            frame = state.frame
            if not frame.queue:
                return await self._ended_without_response(state)
            steps += 1
            if steps > MAX_STEPS:
                return Failed(
                    engine_error(
                        "stepLimitExceeded",
                        f"The flow ran {MAX_STEPS} nodes without waiting for the user "
                        "(a cycle without a pause).",
                    ),
                    None,
                )
            node_id, node_input = frame.queue.pop(0)
            graph = await self._graph(frame)
            node = graph.nodes[node_id]
            outcome = await self._apply(state, node, await self._run(state, node, node_input))
            if outcome is not None:
                return outcome

    async def _ended_without_response(self, state: InteractionState) -> Outcome:
        error = engine_error("flowEndedWithoutResponse", "The flow ended without a response.")
        if len(state.frames) > 1:
            return await self._fail(state, None, error)
        return Failed(error, None)

    async def _run(self, state: InteractionState, node: g.Node, node_input: dict) -> Result:
        capability = registry.find(node.connector_id, node.capability_name)
        if capability is None:
            return Fail(
                engine_error(
                    "unknownCapability",
                    f"The node {node.id} uses {node.connector_id}/{node.capability_name}, "
                    "which Gatehouse does not implement.",
                )
            )
        return await capability.run(await self._call(state, node, node_input))

    async def _apply(self, state: InteractionState, node: g.Node, result: Result) -> Outcome | None:
        """Act on a node's result; an Outcome ends the run, None lets it go on."""
        frame = state.frame
        match result:
            case Done(success=success, output=output, error=error):
                frame.record(node.id, success, output, error.to_json() if error else None)
                activated = await self._propagate(frame, node)
                if not success and not activated:
                    return await self._fail(state, node, error or _failed_without_error(node))
                return None
            case Pause(screen=screen):
                state.waiting = {
                    "nodeId": node.id,
                    "flowId": frame.flow_id,
                    "connectionId": node.connection_id,
                    "connectorId": node.connector_id,
                    "capabilityName": node.capability_name,
                    "screen": screen,
                }
                return Waiting(node, screen)
            case Finish(kind="success", data=data) if len(state.frames) > 1:
                return await self._return_to_caller(state, Done(True, data))
            case Finish(kind=kind, data=data):
                frame.record(node.id, True, data, None)
                return Completed(kind, data, node)
            case Fail(error=error):
                frame.record(node.id, False, {}, error.to_json())
                return await self._fail(state, node, error)
            case CallFlow():
                return await self._call_flow(state, node, result)
            case Return(success=success, output=output, error=error):
                if len(state.frames) == 1:
                    if success:
                        return Completed("success", output, node)
                    return Failed(error or _failed_without_error(node), node)
                return await self._return_to_caller(state, Done(success, output, error))
            case Jump(node_id=target, output=output):
                frame.record(node.id, True, output, None)
                graph = await self._graph(frame)
                if target not in graph.nodes or graph.nodes[target].node_type != g.CONNECTION:
                    return await self._fail(
                        state, node, engine_error("invalidFlow", f"No node {target} to go to.")
                    )
                frame.queue.append([target, output])
                return None
        raise AssertionError(f"unexpected result {result!r}")

    async def _fail(
        self, state: InteractionState, node: g.Node | None, error: NodeError
    ) -> Outcome:
        """The flow (or the sub-flow, whose calling node then fails) ends with `error`."""
        if len(state.frames) == 1:
            return Failed(error, node)
        return await self._return_to_caller(state, Done(False, {}, error))

    async def _return_to_caller(self, state: InteractionState, done: Done) -> Outcome | None:
        child = state.frames.pop()
        caller_graph = await self._graph(state.frame)
        assert child.parent_node is not None
        return await self._apply(state, caller_graph.nodes[child.parent_node], done)

    async def _call_flow(
        self, state: InteractionState, node: g.Node, call: CallFlow
    ) -> Outcome | None:
        if len(state.frames) >= MAX_DEPTH:
            error = engine_error(
                "subFlowDepthExceeded", f"Sub-flows nest at most {MAX_DEPTH} deep."
            )
            return await self._apply(state, node, Done(False, {}, error))
        runnable = await self.ctx.flows.load(call.flow_id, call.version)
        if runnable is None:
            error = engine_error("subFlowNotFound", f"The sub-flow {call.flow_id} is not deployed.")
            return await self._apply(state, node, Done(False, {}, error))
        child = Frame(
            flow_id=runnable.flow_id,
            version=runnable.version,
            parameters=call.parameters,
            parent_node=node.id,
        )
        try:
            graph = self._remember(runnable.flow_id, runnable.version, runnable.graph_data)
        except g.GraphError as exc:
            return await self._apply(
                state, node, Done(False, {}, engine_error("invalidFlow", str(exc)))
            )
        entries = graph.entry_nodes()
        if not entries:
            error = engine_error("invalidFlow", "The sub-flow has no node to start from.")
            return await self._apply(state, node, Done(False, {}, error))
        child.queue = [[entry, {}] for entry in entries]
        state.frames.append(child)
        return None

    # --- successors --------------------------------------------------------------------------

    async def _propagate(self, frame: Frame, node: g.Node) -> bool:
        """Queue what runs after `node`; whether anything does."""
        graph = await self._graph(frame)
        activated = False
        for target in graph.successors.get(node.id, []):
            target_node = graph.nodes[target]
            if target_node.node_type == g.EVAL:
                activated |= self._evaluate(frame, graph, target_node, set())
            else:
                frame.queue.append([target, {}])
                activated = True
        return activated

    def _evaluate(self, frame: Frame, graph: g.Graph, evaluator: g.Node, seen: set[str]) -> bool:
        if evaluator.id in seen:
            return False
        seen.add(evaluator.id)
        results = [frame.results.get(trigger) for trigger in graph.triggers_of(evaluator.id)]
        activated = False
        for target in graph.successors.get(evaluator.id, []):
            if not rule_holds(evaluator.rule_for(target), results):
                continue
            target_node = graph.nodes[target]
            if target_node.node_type == g.EVAL:
                frame.record(evaluator.id, True, {}, None)
                activated |= self._evaluate(frame, graph, target_node, seen)
            else:
                frame.queue.append([target, {}])
                activated = True
        return activated

    # --- graphs and references ---------------------------------------------------------------

    async def _graph(self, frame: Frame) -> g.Graph:
        key = (frame.flow_id, frame.version)
        if key not in self._graphs:
            runnable = await self.ctx.flows.load(frame.flow_id, frame.version)
            if runnable is None or runnable.version != frame.version:
                raise g.GraphError(f"The flow {frame.flow_id} version {frame.version} is gone.")
            self._remember(runnable.flow_id, runnable.version, runnable.graph_data)
        return self._graphs[key]

    def _remember(self, flow_id: str, version: int, graph_data: dict[str, Any]) -> g.Graph:
        graph = g.parse_graph(graph_data)
        self._graphs[(flow_id, version)] = graph
        return graph

    async def _call(self, state: InteractionState, node: g.Node, node_input: dict) -> NodeCall:
        frame = state.frame
        variables = await self.variables.values(frame.flow_id)
        return NodeCall(
            ctx=self.ctx,
            node=node,
            state=state,
            input=node_input,
            lookup=reference_lookup(state, frame, variables),
            flow_id=frame.flow_id,
        )


def rule_holds(rule: str, results: list[dict[str, Any] | None]) -> bool:
    completed = [result for result in results if result is not None]
    all_done = bool(results) and len(completed) == len(results)
    successes = [bool(result.get("success")) for result in completed]
    match rule:
        case g.ALL_TRUE:
            return all_done and all(successes)
        case g.ALL_FALSE:
            return all_done and not any(successes)
        case g.ANY_TRUE:
            return any(successes)
        case g.ANY_FALSE:
            return any(not success for success in successes)
        case g.ALL_COMPLETE:
            return all_done
    return False


def reference_lookup(state: InteractionState, frame: Frame, variables: dict[str, Any]) -> Lookup:
    """How `{{path}}` reads in this frame: `local.<nodeId>.payload.output|error|success...`,
    `global.parameters.*`, `global.company|flow.variables.*`, `global.flowInstance|user.variables.*`
    and the other `global.*` values."""

    def lookup(path: str) -> Any:
        parts = path.split(".")
        if parts[0] == "local" and len(parts) >= 2:
            result = frame.results.get(parts[1])
            if result is None:
                return MISSING
            root = {"payload": result, **result}
            return path_value(root, parts[2:])
        if parts[0] != "global" or len(parts) < 2:
            return MISSING
        scope, rest = parts[1], parts[2:]
        if scope == "parameters":
            return path_value(frame.parameters, rest)
        if scope in ("company", "flow") and rest[:1] == ["variables"]:
            return path_value(variables, rest[1:])
        if scope == "flowInstance" and rest[:1] == ["variables"]:
            return path_value(state.flow_instance, rest[1:])
        if scope == "user" and rest[:1] == ["variables"]:
            return path_value(state.user, rest[1:])
        return path_value(state.globals, parts[1:])

    return lookup


def _failed_without_error(node: g.Node) -> NodeError:
    return NodeError("nodeFailed", f"The node {node.id} failed.")
