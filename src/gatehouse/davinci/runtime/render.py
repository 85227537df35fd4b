"""The DaVinci runtime's JSON bodies (pingone/10 section 2; seed 002; the Ping SDK's fixtures):

- a screen, verbose (`screen{name, properties, userViews}`, for clients rendering the HTML) or
  concise (`form.components.fields`, `formData`, for the SDK: with `X-Requested-With: ping-sdk`);
  both carry `interactionId`, `interactionToken` and an absolute `_links.next.href`, and never a
  `session` (the SDK reads a body with one as a success);
- the success of a completed flow (`environment`, `session`, `authorizeResponse`, `status:
  COMPLETED`, `success`, `sessionToken`, ...);
- a DaVinci error (`code`, `message`, `cause`, `errorCategory`, `expected`, `httpResponseCode`,
  `details`, and the node it happened at).
"""

from __future__ import annotations

from typing import Any

from gatehouse.davinci.connectors.base import NodeError
from gatehouse.davinci.runtime.models import DavinciInteraction

SDK_HEADER = "x-requested-with"
SDK_VALUE = "ping-sdk"
CONTINUE = "continue"
SCREEN_TEMPLATES = {"CUSTOM_HTML": "CustomHTMLTemplate", "MESSAGE": "CustomHtmlMessage"}


def continue_href(auth_base: str, environment_id: Any, waiting: dict[str, Any]) -> str:
    return (
        f"{auth_base}/{environment_id}/davinci/connections/{waiting['connectionId']}"
        f"/capabilities/{waiting['capabilityName']}"
    )


def start_href(auth_base: str, environment_id: Any, policy_id: str | None) -> str:
    return f"{auth_base}/{environment_id}/davinci/policy/{policy_id}/start"


def _node_fields(row: DavinciInteraction, waiting: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": waiting["nodeId"],
        "companyId": str(row.environment_id),
        "flowId": waiting["flowId"],
        "connectionId": waiting["connectionId"],
        "capabilityName": waiting["capabilityName"],
    }


def concise_fields(screen: dict[str, Any]) -> list[dict[str, Any]]:
    if screen.get("category") == "MESSAGE":
        return [
            {"type": "LABEL", "content": screen.get("message") or ""},
            {"type": "SUBMIT_BUTTON", "key": CONTINUE, "label": "Continue"},
        ]
    fields: list[dict[str, Any]] = [
        {
            "type": "PASSWORD" if field["hidden"] else "TEXT",
            "key": field["key"],
            "label": field["label"],
        }
        for field in screen.get("fields", [])
    ]
    fields += [
        {"type": "SUBMIT_BUTTON", "key": button["key"], "label": button["label"]}
        for button in screen.get("buttons", [])
    ]
    return fields


def screen_body(
    row: DavinciInteraction, state: dict[str, Any], token: str, auth_base: str, *, concise: bool
) -> dict[str, Any]:
    waiting = state["waiting"]
    screen = waiting["screen"]
    links = {"next": {"href": continue_href(auth_base, row.environment_id, waiting)}}
    if concise:
        return {
            "interactionId": str(row.id),
            "interactionToken": token,
            "_links": links,
            "eventName": CONTINUE,
            "isResponseCompatibleWithMobileAndWebSdks": True,
            **_node_fields(row, waiting),
            "formData": {"value": {field["key"]: "" for field in screen.get("fields", [])}},
            "form": {
                "name": screen.get("title") or "",
                "description": screen.get("description") or "",
                "category": screen.get("category", "CUSTOM_HTML"),
                "components": {"fields": concise_fields(screen)},
            },
        }
    policy_id = row.flow_policy_id.hex if row.flow_policy_id else None
    links["self"] = {"href": start_href(auth_base, row.environment_id, policy_id)}
    return {
        **_node_fields(row, waiting),
        "screen": {
            "name": screen.get("connectorName", "HTTP"),
            "properties": screen.get("properties", {}),
            "userViews": [
                {
                    "screenTemplateName": SCREEN_TEMPLATES.get(screen.get("category"), "Screen"),
                    "items": [{"propertyName": name} for name in screen.get("properties", {})],
                }
            ],
        },
        "interactionId": str(row.id),
        "interactionToken": token,
        "_links": links,
    }


def success_body(
    row: DavinciInteraction,
    token: str,
    node: dict[str, Any],
    *,
    session_id: Any,
    session_token: str | None,
    session_max_age: int,
    authorize_response: dict[str, Any] | None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "interactionId": str(row.id),
        "interactionToken": token,
        "companyId": str(row.environment_id),
        **node,
        "environment": {"id": str(row.environment_id)},
        "status": "COMPLETED",
        "success": True,
        "isResponseCompatibleWithMobileAndWebSdks": True,
    }
    if session_id is not None:
        body["session"] = {"id": str(session_id)}
    if session_token is not None:
        body.update(sessionToken=session_token, sessionTokenMaxAge=session_max_age)
        body["resetCookie"] = False
    if authorize_response is not None:
        body["authorizeResponse"] = authorize_response
    if data:
        body["additionalProperties"] = data
    return body


def error_body(
    row: DavinciInteraction | None, error: NodeError, node: dict[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if row is not None:
        body["interactionId"] = str(row.id)
        body["companyId"] = str(row.environment_id)
    if node:
        body.update(node)
    body.update(error.to_json())
    body["isResponseCompatibleWithMobileAndWebSdks"] = True
    return body


def node_of(
    connection_id: Any, connector_id: Any, node_id: Any, capability: Any, flow_id: Any
) -> dict[str, Any]:
    return {
        "connectionId": connection_id,
        "connectorId": connector_id,
        "id": node_id,
        "capabilityName": capability,
        "flowId": flow_id,
    }


def authorize_response_json(params: dict[str, str]) -> dict[str, Any]:
    """The authorization response parameters with `expires_in` as a number (seed 002)."""
    body: dict[str, Any] = dict(params)
    if "expires_in" in body:
        body["expires_in"] = int(body["expires_in"])
    return body
