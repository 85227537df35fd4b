"""The username/password DaVinci flow the runtime tests run (customHTMLTemplate -> PingOne
checkPassword -> returnSuccessResponseRedirect), set up through the admin API: a DaVinci
application, the flow (deployed), and a flow policy running it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.api import Api

DEPLOY = "application/vnd.pingidentity.flow.deploy+json"
HTTP_CONNECTION = "867ed4363b2bc21c860085ad2baa817d"
SSO_CONNECTION = "94141bf2f1b9b59a5f5365ff135e02bb"
AUTH_CONNECTION = "054d0c6ac38a15f82497469675634cab"

FORM_HTML = (
    '<div class="app-container"><h1>Sign on</h1>'
    '<input type="text" name="username" id="username" placeholder="Username">'
    '<input type="password" name="password" id="password" placeholder="Password">'
    '<button type="submit" data-skbuttonvalue="SIGNON">Sign On</button></div>'
)
FIELDS = [
    {
        "preferredControlType": "textField",
        "preferredDataType": "string",
        "propertyName": "username",
        "displayName": "Username",
        "hashedVisibility": False,
    },
    {
        "preferredControlType": "textField",
        "preferredDataType": "string",
        "propertyName": "password",
        "displayName": "Password",
        "hashedVisibility": True,
    },
    {
        "preferredControlType": "textField",
        "preferredDataType": "string",
        "propertyName": "buttonValue",
    },
]


def _node(node_id: str, connection: str, connector: str, capability: str, **props: Any) -> dict:
    return {
        "data": {
            "id": node_id,
            "nodeType": "CONNECTION",
            "connectionId": connection,
            "connectorId": connector,
            "capabilityName": capability,
            "type": "action",
            "properties": {name: {"value": value} for name, value in props.items()},
        },
        "position": {"x": 0, "y": 0},
        "group": "nodes",
    }


def _eval(node_id: str) -> dict:
    return {"data": {"id": node_id, "nodeType": "EVAL", "label": "Evaluator"}, "group": "nodes"}


def _edge(edge_id: str, source: str, target: str) -> dict:
    return {"data": {"id": edge_id, "source": source, "target": target}, "group": "edges"}


def slate(*parts: dict[str, Any]) -> str:
    """A property value as DaVinci's editor writes it."""
    return json.dumps([{"children": [{"text": ""}, *parts, {"text": ""}]}])


def ref(path: str) -> dict[str, Any]:
    return {"type": "link", "data": "{{" + path + "}}", "children": [{"text": path}]}


SIGN_ON_GRAPH = {
    "elements": {
        "nodes": [
            _node(
                "howu8n9hsc",
                HTTP_CONNECTION,
                "httpConnector",
                "customHTMLTemplate",
                customHTML=FORM_HTML,
                formFieldsList=FIELDS,
                nodeTitle="Username/Password Form",
                button={"constructType": "button", "displayName": "Submit"},
            ),
            _eval("ev1"),
            _node(
                "chkpwd0001",
                SSO_CONNECTION,
                "pingOneSSOConnector",
                "checkPassword",
                username=slate(ref("local.howu8n9hsc.payload.output.username")),
                password=slate(ref("local.howu8n9hsc.payload.output.password")),
            ),
            _eval("ev2"),
            _node(
                "success001",
                AUTH_CONNECTION,
                "pingOneAuthenticationConnector",
                "returnSuccessResponseRedirect",
                userId=slate(ref("local.chkpwd0001.payload.output.user.id")),
                authenticationMethods="pwd",
            ),
        ],
        "edges": [
            _edge("e1", "howu8n9hsc", "ev1"),
            _edge("e2", "ev1", "chkpwd0001"),
            _edge("e3", "chkpwd0001", "ev2"),
            _edge("e4", "ev2", "success001"),
        ],
    },
    "renderer": {"name": "null"},
}


@dataclass
class DavinciSetup:
    application: dict[str, Any]
    flow_id: str
    policy_id: str


async def davinci_flow(
    admin: Api, env: str, graph: dict[str, Any] | None = None, **oauth: Any
) -> DavinciSetup:
    application = await admin.create(
        f"/environments/{env}/davinciApplications", {"name": "Sign-on"}
    )
    if oauth:
        replaced = await admin.put(
            f"/environments/{env}/davinciApplications/{application['id']}",
            json={"name": "Sign-on", "oauth": oauth},
        )
        assert replaced.status_code == 200, replaced.text
        application = replaced.json()
    flow = await admin.create(
        f"/environments/{env}/flows",
        {"name": "Username and password", "graphData": graph or SIGN_ON_GRAPH},
    )
    deployed = await admin.post(
        f"/environments/{env}/flows/{flow['id']}", content=b"", media_type=DEPLOY
    )
    assert deployed.status_code == 201, deployed.text
    policy = await admin.create(
        f"/environments/{env}/davinciApplications/{application['id']}/flowPolicies",
        {
            "name": "Sign on policy",
            "status": "enabled",
            "flowDistributions": [{"id": flow["id"], "version": 1, "weight": 100}],
        },
    )
    return DavinciSetup(application, flow["id"], policy["id"])


def created_over_http(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def davinci_flow_over_http(api: httpx.Client, **oauth: Any) -> dict[str, Any]:
    """`davinci_flow` for end-to-end tests, through `api` (a client of an environment's
    management API on a real server): {application, flow, policy}."""
    application = created_over_http(api.post("/davinciApplications", json={"name": "DaVinci"}))
    if oauth:
        replaced = api.put(
            f"/davinciApplications/{application['id']}", json={"name": "DaVinci", "oauth": oauth}
        )
        assert replaced.status_code == 200, replaced.text
        application = replaced.json()
    graph = {"name": "Sign on", "graphData": SIGN_ON_GRAPH}
    flow = created_over_http(api.post("/flows", json=graph))
    deployed = api.post(f"/flows/{flow['id']}", content=b"", headers={"Content-Type": DEPLOY})
    assert deployed.status_code == 201, deployed.text
    distribution = {"id": flow["id"], "version": 1, "weight": 100}
    policy = created_over_http(
        api.post(
            f"/davinciApplications/{application['id']}/flowPolicies",
            json={"name": "Sign on policy", "flowDistributions": [distribution]},
        )
    )
    return {"application": application, "flow": flow, "policy": policy}


def assign_flow_policy(api: httpx.Client, application_id: str, policy_id: str) -> None:
    created_over_http(
        api.post(
            f"/applications/{application_id}/flowPolicyAssignments",
            json={"flowPolicy": {"id": policy_id}, "priority": 1},
        )
    )
