"""httpConnector: the screens (customHTMLTemplate, customHtmlMessage), the flow's own responses
(createSuccessResponse, createErrorResponse) and an outbound REST call (makeRestApiCall).

A screen is kept in the interaction state as: its verbose `properties` (every property of the
capability with its catalog description and resolved value; `customHTML` rendered with each
`{{...}}` value HTML-escaped), the form `fields` (from `formFieldsList`; `hashedVisibility`
makes a password field), the `buttons` (from the template's `data-skbuttonvalue` elements, else
the `button` property), the title and description.

makeRestApiCall goes through federation.outbound's policy (https only unless allowed, public
addresses only unless allowed, one time limit, a size limit). The time limit is the smallest of
the node's `timeoutInSeconds`, the flow's `flowHttpTimeoutInSeconds` and the deployment's
outbound timeout. A 2xx answer succeeds with `{statusCode, headers, body}` (JSON bodies parsed);
anything else fails with the same output in the error's details.
"""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from gatehouse.davinci.connectors import catalog
from gatehouse.davinci.connectors.base import (
    Done,
    Fail,
    Finish,
    NodeCall,
    NodeError,
    Pause,
    Result,
    Submission,
    failure,
)
from gatehouse.davinci.connectors.registry import capability
from gatehouse.davinci.engine.values import render_html
from gatehouse.federation.outbound import OutboundError, OutboundPolicy, request

HTTP = "httpConnector"
BUTTON_VALUE = "buttonValue"
MAX_FIELD_LENGTH = 4096
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- screens -----------------------------------------------------------------------------------


class _Buttons(HTMLParser):
    """The elements of a template carrying `data-skbuttonvalue`, with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        key = values.get("data-skbuttonvalue")
        if key:
            self._open = {"key": key, "label": ""}
            self.buttons.append(self._open)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["label"] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag in ("button", "a"):
            self._open["label"] = self._open["label"].strip() or self._open["key"]
            self._open = None


def template_buttons(template: str) -> list[dict[str, str]]:
    parser = _Buttons()
    parser.feed(template)
    parser.close()
    return [{"key": b["key"], "label": b["label"].strip() or b["key"]} for b in parser.buttons]


def form_fields(call: NodeCall) -> list[dict[str, Any]]:
    fields = []
    for entry in call.node.property_value("formFieldsList") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("propertyName"), str):
            continue
        key = entry["propertyName"]
        if key == BUTTON_VALUE:
            continue
        fields.append(
            {
                "key": key,
                "label": entry.get("displayName") or key,
                "hidden": bool(entry.get("hashedVisibility")),
            }
        )
    return fields


def verbose_properties(call: NodeCall, resolved: dict[str, Any]) -> dict[str, Any]:
    """Every property of the capability (catalog description + value), then the node's others."""
    spec = catalog.find(HTTP).capabilities[call.node.capability_name]  # type: ignore[union-attr]
    properties: dict[str, Any] = {}
    for name, description in spec.properties.items():
        entry = {key: value for key, value in description.items() if key != "required"}
        if resolved.get(name) is not None:
            entry["value"] = resolved[name]
        properties[name] = entry
    for name in call.node.properties:
        if name not in properties:
            properties[name] = {"value": resolved.get(name)}
    return properties


def _resolved_properties(call: NodeCall) -> dict[str, Any]:
    resolved = {name: call.prop(name) for name in call.node.properties if name != "customHTML"}
    template = call.node.property_value("customHTML")
    if isinstance(template, str):
        resolved["customHTML"] = render_html(template, call.lookup)
    return resolved


def _buttons(call: NodeCall, rendered: str) -> list[dict[str, str]]:
    found = template_buttons(rendered)
    if found:
        return found
    button = call.node.property_value("button")
    label = button.get("displayName") if isinstance(button, dict) else None
    key = button.get("value") if isinstance(button, dict) else None
    return [{"key": str(key or "submit"), "label": str(label or "Submit")}]


def _screen(call: NodeCall, category: str) -> dict[str, Any]:
    resolved = _resolved_properties(call)
    rendered = resolved.get("customHTML") or ""
    return {
        "connectorName": "HTTP",
        "category": category,
        "title": call.text("nodeTitle") or call.node.label or "",
        "description": call.text("nodeDescription"),
        "html": rendered,
        "message": call.text("message"),
        "messageTitle": call.text("messageTitle"),
        "fields": form_fields(call) if category == "CUSTOM_HTML" else [],
        "buttons": _buttons(call, rendered) if category == "CUSTOM_HTML" else [],
        "properties": verbose_properties(call, resolved),
    }


def _value_ok(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_FIELD_LENGTH
    if isinstance(value, list):
        return len(value) <= 64 and all(
            isinstance(item, str) and len(item) <= MAX_FIELD_LENGTH for item in value
        )
    return False


def submitted_values(call: NodeCall, submission: Submission) -> dict[str, Any] | NodeError:
    """The form values the node outputs: the fields of `formFieldsList` (all of them when it
    lists none) and the button as `buttonValue`."""
    wanted = [field["key"] for field in form_fields(call)]
    values: dict[str, Any] = {}
    for key, value in submission.form_data.items():
        if wanted and key not in wanted:
            continue
        if not _value_ok(value):
            return NodeError("invalidFormData", f"The value of {key!r} is not acceptable.")
        values[key] = value
    for key in wanted:
        values.setdefault(key, "")
    values[BUTTON_VALUE] = submission.action_key or ""
    return values


async def _submit_form(call: NodeCall, submission: Submission) -> Result:
    values = submitted_values(call, submission)
    if isinstance(values, NodeError):
        return Done(False, {}, values)
    return Done(True, values)


async def _submit_message(call: NodeCall, submission: Submission) -> Result:
    return Done(True, {BUTTON_VALUE: submission.action_key or ""})


@capability(HTTP, "customHTMLTemplate", submit=_submit_form)
async def custom_html_template(call: NodeCall) -> Result:
    return Pause(_screen(call, "CUSTOM_HTML"))


@capability(HTTP, "customHtmlMessage", submit=_submit_message)
async def custom_html_message(call: NodeCall) -> Result:
    return Pause(_screen(call, "MESSAGE"))


# --- responses ---------------------------------------------------------------------------------


def named_values(value: Any) -> dict[str, Any]:
    """A list of `{name|key, value}` (or an object) as one object."""
    if isinstance(value, dict):
        return dict(value)
    result: dict[str, Any] = {}
    for entry in value or []:
        if isinstance(entry, dict):
            name = entry.get("name") or entry.get("key") or entry.get("propertyName")
            if isinstance(name, str) and name:
                result[name] = entry.get("value")
    return result


@capability(HTTP, "createSuccessResponse")
async def create_success_response(call: NodeCall) -> Result:
    return Finish("success", named_values(call.prop("successResponseFields")))


@capability(HTTP, "createErrorResponse")
async def create_error_response(call: NodeCall) -> Result:
    status = call.prop("httpResponseCode")
    try:
        http_status = int(status) if status is not None else 400
    except (TypeError, ValueError):
        http_status = 400
    if not 400 <= http_status <= 599:
        http_status = 400
    return Fail(
        NodeError(
            call.text("errorCode", "customError"),
            call.text("errorMessage", "The flow ended with an error."),
            cause=call.text("errorDescription") or None,
            http_status=http_status,
        )
    )


# --- outbound calls ----------------------------------------------------------------------------


def _policy(call: NodeCall) -> OutboundPolicy:
    runtime = call.ctx.runtime
    policy = OutboundPolicy.from_settings(runtime.settings) if runtime else OutboundPolicy()
    limits = [policy.timeout]
    for limit in (call.prop("timeoutInSeconds"), call.ctx.http_timeout_seconds):
        try:
            if limit is not None and float(limit) > 0:
                limits.append(float(limit))
        except (TypeError, ValueError):
            continue
    return dataclasses.replace(policy, timeout=min(limits))


def _request_body(call: NodeCall, headers: dict[str, str]) -> bytes | None:
    body = call.prop("body")
    kind = call.text("bodyType", "json" if body is not None else "none")
    if kind == "none" or body is None:
        return None
    if kind == "form":
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return urlencode(named_values(body)).encode()
    if kind == "json":
        headers.setdefault("Content-Type", "application/json")
        return (body if isinstance(body, str) else json.dumps(body)).encode()
    return str(body).encode()


def _parsed(content_type: str, body: bytes) -> Any:
    text = body.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


@capability(HTTP, "makeRestApiCall")
async def make_rest_api_call(call: NodeCall) -> Result:
    url = call.text("url")
    method = call.text("httpMethod", "GET").upper()
    if not url:
        return failure("invalidProperty", "The node has no URL.")
    if method not in METHODS:
        return failure("invalidProperty", f"The HTTP method {method!r} is not supported.")
    headers = {str(k): str(v) for k, v in named_values(call.prop("headers")).items()}
    query = named_values(call.prop("queryParams"))
    if query:
        url += ("&" if "?" in url else "?") + urlencode({k: str(v) for k, v in query.items()})
    content = _request_body(call, headers)
    try:
        response = await request(method, url, _policy(call), headers=headers, content=content)
    except OutboundError as error:
        return failure("httpRequestFailed", error.message, category="Unexpected", expected=False)
    except ValueError as error:  # a header or URL httpx cannot encode
        message = f"The request could not be sent: {error}."
        return failure("httpRequestFailed", message, category="Unexpected", expected=False)
    output = {
        "statusCode": response.status_code,
        "headers": {"content-type": response.content_type},
        "body": _parsed(response.content_type, response.body),
    }
    if 200 <= response.status_code < 300:
        return Done(True, output)
    return Done(
        False,
        output,
        NodeError(
            "httpError",
            f"{url} answered {response.status_code}.",
            details=[{"rawResponse": output["body"], "statusCode": response.status_code}],
        ),
    )
