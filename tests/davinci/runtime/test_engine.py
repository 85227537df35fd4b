"""The DaVinci engine on the reference exports and on small graphs: EVAL rules, references,
pauses and resumption from JSON, sub-flows, errors, the step budget."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from gatehouse.davinci.connectors import catalog, registry
from gatehouse.davinci.connectors.base import Submission
from gatehouse.davinci.engine.context import RunContext
from gatehouse.davinci.engine.runner import Completed, Failed, FlowRunner, Outcome, Waiting
from gatehouse.davinci.engine.state import InteractionState, new_state
from tests.davinci.runtime.support import (
    Flows,
    Variable,
    Variables,
    evaluator,
    export,
    graph,
    node,
)

pytestmark = pytest.mark.anyio


def runner(flows: Flows, variables: Variables | None = None) -> FlowRunner:
    return FlowRunner(RunContext(uuid.uuid4(), flows, variables or Variables()))


async def start(
    flows: Flows, flow_id: str, variables: Variables | None = None, **parameters: Any
) -> tuple[Outcome, dict[str, Any]]:
    state = new_state(flow_id, flows.flows[flow_id].version, parameters, {"ip": "192.0.2.1"})
    outcome = await runner(flows, variables).start(state)
    return outcome, json.loads(json.dumps(state.to_json()))


async def submit(
    flows: Flows,
    stored: dict[str, Any],
    variables: Variables | None = None,
    action: str = "submit",
    **form: Any,
) -> tuple[Outcome, dict[str, Any]]:
    """Resume from the stored JSON with a new runner, as another process would."""
    state = InteractionState.from_json(stored)
    outcome = await runner(flows, variables).submit(state, Submission("submit", action, form))
    return outcome, json.loads(json.dumps(state.to_json()))


# --- reference exports -------------------------------------------------------------------------


async def test_minimal_export_ends_with_its_error_message() -> None:
    flows = Flows()
    data = export("full-minimal.json")
    flows.add(data["flowId"], data["graphData"])
    outcome, _ = await start(flows, data["flowId"])
    assert isinstance(outcome, Failed)
    assert outcome.node is not None and outcome.node.id == "2pzouq7el7"
    assert outcome.error.code == "customErrorMessage"
    assert outcome.error.message == "This is an error"
    assert outcome.error.cause == "This is an error, really"


def _multiple_flows() -> tuple[Flows, str, Variables]:
    data = export("multiple-flows.json")
    flows = Flows()
    for flow in data["flows"]:
        flows.add(flow["flowId"], flow["graphData"])
    main = next(flow for flow in data["flows"] if flow["name"] == "full-basic")["flowId"]
    variables = Variables(
        {
            "fdgdfgfdg": Variable("string", flow_id=main),
            "test123": Variable("number", flow_id=main),
        }
    )
    return flows, main, variables


def _save_node(flows: Flows, flow_id: str) -> dict[str, Any]:
    nodes = flows.flows[flow_id].graph_data["elements"]["nodes"]
    return next(n for n in nodes if n["data"]["id"] == "3zvjdgdljx")["data"]


async def test_multiple_flows_export_refuses_a_number_variable_given_text() -> None:
    flows, main, variables = _multiple_flows()
    outcome, _ = await start(flows, main, variables)
    assert isinstance(outcome, Failed)  # the export saves "test456" into a number variable
    assert outcome.error.code == "invalidValue" and "test123" in outcome.error.message
    assert outcome.node is not None and outcome.node.id == "3zvjdgdljx"
    assert variables.defined["test123"].value is None


async def test_multiple_flows_export_runs_through_its_sub_flow_to_success() -> None:
    flows, main, variables = _multiple_flows()
    _save_node(flows, main)["properties"]["saveFlowVariables"]["value"][1]["value"] = "7"
    outcome, stored = await start(flows, main, variables)
    assert isinstance(outcome, Waiting)
    assert outcome.node.id == "1u2m5vzr49"
    assert outcome.screen["message"] == "Hello, world?"
    assert variables.defined["fdgdfgfdg"].value == "test124"
    assert variables.defined["test123"].value == 7  # the entry's type: number

    outcome, stored = await submit(flows, stored, variables)
    assert isinstance(outcome, Waiting)  # the sub-flow the true branch calls shows its message
    assert outcome.screen["message"] == "Subflow 1"
    assert len(stored["frames"]) == 2

    outcome, stored = await submit(flows, stored, variables)
    assert isinstance(outcome, Completed)
    assert outcome.kind == "success" and outcome.node.id == "ikt13crnhy"
    results = stored["frames"][0]["results"]
    assert results["nx0o1b2cmw"]["success"] is True
    assert "xb74p6rkd8" not in results  # anyTriggersFalse: the false branch never ran


async def test_full_basic_vars_export_reads_company_variables_and_fails_on_a_missing_sub_flow() -> (
    None
):
    data = export("full-basic-vars.json")
    flows = Flows()
    flows.add(data["flowId"], data["graphData"])
    variables = Variables(
        {
            "testVariable": Variable("string", "company value"),
            "fdgdfgfdg": Variable("string", flow_id=data["flowId"]),
            "test123": Variable("number", flow_id=data["flowId"]),
        }
    )
    outcome, stored = await start(flows, data["flowId"], variables)
    assert isinstance(outcome, Waiting)
    assert outcome.screen["message"] == "Hello, world?company value"
    assert stored["flow_instance"] == {
        "testuser": "testuserValue",
        "flowInstanceVariable1": "flowInstanceVariable1Value",
    }
    outcome, _ = await submit(flows, stored, variables)
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "subFlowNotFound"
    assert outcome.node is not None and outcome.node.id == "kq5ybvwvro"


async def test_flow_variable_that_refuses_the_value_fails_the_node() -> None:
    data = export("full-basic.json")
    flows = Flows()
    flows.add(data["flowId"], data["graphData"])
    outcome, _ = await start(flows, data["flowId"], Variables())  # no such flow variables
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "variableNotSaved"


# --- small graphs ------------------------------------------------------------------------------


def _record(name: str) -> dict[str, Any]:
    entry = {"name": name, "type": "boolean", "value": "true"}
    return node(name, "variablesConnector", "saveValue", saveVariables=[entry])


async def test_eval_rules_decide_over_every_trigger() -> None:
    rules = ["allTriggersTrue", "allTriggersFalse", "anyTriggersTrue", "anyTriggersFalse"]
    rules.append("allTriggersComplete")
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node("yes", "functionsConnector", "AEqualsB", leftValueA="1", rightValueB="1.0"),
                node("no", "functionsConnector", "AEqualsB", leftValueA="a", rightValueB="b"),
                evaluator("e", **{rule: rule for rule in rules}),
                *[_record(rule) for rule in rules],
            ],
            [("yes", "e"), ("no", "e"), *[("e", rule) for rule in rules]],
        ),
    )
    outcome, stored = await start(flows, "f")
    assert isinstance(outcome, Failed) and outcome.error.code == "flowEndedWithoutResponse"
    assert set(stored["flow_instance"]) == {
        "anyTriggersTrue",
        "anyTriggersFalse",
        "allTriggersComplete",
    }


async def test_an_unhandled_failure_ends_the_flow_with_the_node_error() -> None:
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node("cmp", "functionsConnector", "AGreaterThanB", leftValueA="1", rightValueB="2"),
                evaluator("e"),
                node("ok", "httpConnector", "createSuccessResponse"),
            ],
            [("cmp", "e"), ("e", "ok")],
        ),
    )
    outcome, _ = await start(flows, "f")
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "conditionNotMet" and outcome.node is not None
    assert outcome.node.id == "cmp"


async def test_a_cycle_without_a_pause_stops_at_the_step_budget() -> None:
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node("s", "functionsConnector", "AEqualsB", leftValueA="1", rightValueB="1"),
                node("a", "functionsConnector", "AEqualsB", leftValueA="1", rightValueB="1"),
                evaluator("e"),
                node("b", "functionsConnector", "AEqualsB", leftValueA="1", rightValueB="1"),
            ],
            [("s", "a"), ("a", "e"), ("e", "b"), ("b", "a")],
        ),
    )
    outcome, _ = await start(flows, "f")
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "stepLimitExceeded"


async def test_unknown_connector_reaches_a_clear_error_naming_the_node() -> None:
    flows = Flows()
    flows.add("f", graph([node("x1", "someVendorConnector", "doThings")], []))
    outcome, _ = await start(flows, "f")
    assert isinstance(outcome, Failed)
    assert outcome.error.code == "unknownCapability"
    assert "x1" in outcome.error.message and "someVendorConnector" in outcome.error.message


FORM_HTML = "<form><input name='username'><p>Hello {{global.parameters.name}}</p></form>"


def _form_flow() -> Flows:
    fields = [
        {"propertyName": "username", "displayName": "Username"},
        {"propertyName": "password", "displayName": "Password", "hashedVisibility": True},
        {"propertyName": "buttonValue"},
    ]
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node(
                    "form",
                    "httpConnector",
                    "customHTMLTemplate",
                    customHTML=FORM_HTML + "<button data-skbuttonvalue='SIGNON'>Sign On</button>",
                    formFieldsList=fields,
                    nodeTitle="Sign on",
                ),
                evaluator("e"),
                node(
                    "echo",
                    "httpConnector",
                    "customHtmlMessage",
                    message="Hi {{local.form.payload.output.username}}",
                    customHTML="<p>{{local.form.payload.output.username}}</p>",
                ),
            ],
            [("form", "e"), ("e", "echo")],
        ),
    )
    return flows


async def test_a_form_screen_escapes_values_and_lists_fields_and_buttons() -> None:
    flows = _form_flow()
    outcome, stored = await start(flows, "f", name="<b>&</b>")
    assert isinstance(outcome, Waiting)
    screen = outcome.screen
    assert "Hello &lt;b&gt;&amp;&lt;/b&gt;" in screen["html"]
    assert screen["fields"] == [
        {"key": "username", "label": "Username", "hidden": False},
        {"key": "password", "label": "Password", "hidden": True},
    ]
    assert screen["buttons"] == [{"key": "SIGNON", "label": "Sign On"}]
    assert screen["properties"]["customHTML"]["value"] == screen["html"]
    assert stored["waiting"]["nodeId"] == "form"


async def test_submitted_values_are_data_never_resolved_again() -> None:
    flows = _form_flow()
    variables = Variables({"secret": Variable("string", "s3cr3t")})
    _, stored = await start(flows, "f", variables)
    injected = "{{global.company.variables.secret}}<script>"
    outcome, stored = await submit(
        flows, stored, variables, "SIGNON", username=injected, password="pw", other="dropped"
    )
    assert isinstance(outcome, Waiting)
    assert outcome.screen["message"] == "Hi " + injected
    assert "s3cr3t" not in json.dumps(outcome.screen)
    assert "&lt;script&gt;" in outcome.screen["properties"]["customHTML"]["value"]
    output = stored["frames"][0]["results"]["form"]["output"]
    assert output == {"username": injected, "password": "pw", "buttonValue": "SIGNON"}


async def test_a_whole_reference_keeps_the_value_type() -> None:
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node(
                    "cmp",
                    "functionsConnector",
                    "AGreaterThanB",
                    leftValueA="{{global.parameters.n}}",
                    rightValueB="4",
                ),
                evaluator("e"),
                node(
                    "ok",
                    "httpConnector",
                    "createSuccessResponse",
                    successResponseFields=[{"name": "n", "value": "{{global.parameters.n}}"}],
                ),
            ],
            [("cmp", "e"), ("e", "ok")],
        ),
    )
    outcome, _ = await start(flows, "f", n=5)
    assert isinstance(outcome, Completed)
    assert outcome.data == {"n": 5}


async def test_sub_flow_returns_its_fields_to_the_calling_node() -> None:
    flows = Flows()
    flows.add(
        "child",
        graph(
            [
                node(
                    "ret",
                    "flowConnector",
                    "returnSuccessResponse",
                    returnFields=[{"name": "greeting", "value": "hi {{global.parameters.who}}"}],
                )
            ],
            [],
        ),
        version=3,
    )
    flows.add(
        "main",
        graph(
            [
                node(
                    "call",
                    "flowConnector",
                    "startSubFlow",
                    subFlowId={"label": "child", "value": "child"},
                    subFlowVersionId=-1,
                    subFlowParameters=[{"name": "who", "value": "{{global.parameters.name}}"}],
                ),
                evaluator("e"),
                node(
                    "done",
                    "httpConnector",
                    "createSuccessResponse",
                    successResponseFields={"said": "{{local.call.payload.output.greeting}}"},
                ),
            ],
            [("call", "e"), ("e", "done")],
        ),
    )
    outcome, stored = await start(flows, "main", name="ada")
    assert isinstance(outcome, Completed)
    assert outcome.data == {"said": "hi ada"}
    assert len(stored["frames"]) == 1


async def test_sub_flow_error_fails_the_calling_node_and_a_false_branch_handles_it() -> None:
    flows = Flows()
    flows.add(
        "child",
        graph([node("err", "errorConnector", "customErrorMessage", errorMessage="nope")], []),
    )
    flows.add(
        "main",
        graph(
            [
                node("call", "flowConnector", "startUiSubFlow", subFlowId="child"),
                evaluator("e", handled="anyTriggersFalse"),
                node(
                    "handled",
                    "httpConnector",
                    "createSuccessResponse",
                    successResponseFields={"why": "{{local.call.payload.error.message}}"},
                ),
            ],
            [("call", "e"), ("e", "handled")],
        ),
    )
    outcome, _ = await start(flows, "main")
    assert isinstance(outcome, Completed)
    assert outcome.data == {"why": "nope"}


async def test_go_to_node_passes_its_values_to_the_start_node() -> None:
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node("go", "nodeConnector", "goToNode", nodeInstanceId="target", userId="u-1"),
                node("target", "nodeConnector", "startNode"),
                evaluator("e"),
                node(
                    "done",
                    "httpConnector",
                    "createSuccessResponse",
                    successResponseFields={"user": "{{local.target.payload.output.userId}}"},
                ),
            ],
            [("target", "e"), ("e", "done")],
        ),
    )
    outcome, _ = await start(flows, "f")
    assert isinstance(outcome, Completed)
    assert outcome.data == {"user": "u-1"}


async def test_create_error_response_carries_its_status_and_code() -> None:
    flows = Flows()
    flows.add(
        "f",
        graph(
            [
                node(
                    "bad",
                    "httpConnector",
                    "createErrorResponse",
                    errorCode="tooMany",
                    errorMessage="Slow down",
                    httpResponseCode=429,
                )
            ],
            [],
        ),
    )
    outcome, _ = await start(flows, "f")
    assert isinstance(outcome, Failed)
    assert (outcome.error.code, outcome.error.message, outcome.error.http_status) == (
        "tooMany",
        "Slow down",
        429,
    )


def test_the_catalog_lists_exactly_the_implemented_capabilities() -> None:
    listed = {(c.id, name) for c in catalog.connectors() for name in c.capabilities}
    assert listed == registry.implemented()
    pausing = {
        (c.id, n) for c in catalog.connectors() for n, s in c.capabilities.items() if s.pauses
    }
    assert pausing == {
        ("httpConnector", "customHTMLTemplate"),
        ("httpConnector", "customHtmlMessage"),
    }
    for connector_id, name in pausing:
        capability = registry.find(connector_id, name)
        assert capability is not None and capability.submit is not None
