"""Odd values in every field of every DaVinci admin write: a PingOne error or success, never a
500 (on PostgreSQL too, where oversized numbers and strings would break the columns)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.davinci.admin.conftest import create_app, create_flow
from tests.support.api import Api

pytestmark = pytest.mark.anyio

ODD: list[Any] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "x" * 300,
    "d" * 1100,
    [],
    {},
    [1],
    {"a": 1},
    {"value": None},
    {"id": None},
    {"id": 5},
    {"id": "0" * 32},
    "<script>",
    "${x}",
    "\u00e9",
    2**40,
    -(2**40),
    10**20,
    1e300,
]
JSON = "application/json"
IMPORT = "application/vnd.pingidentity.flow.import+json"
VALIDATE = "application/vnd.pingidentity.flow.validate+json"
CLONE = "application/vnd.pingidentity.flow.clone+json"
EXPORT = "application/vnd.pingidentity.flowversion.export+json"
GRAPH = {"elements": {"nodes": [], "edges": []}}
VARIABLE = {"name": "v2", "context": "company", "dataType": "number", "mutable": True}
INSTANCE = {"name": "i", "connector": {"id": "httpConnector"}, "properties": {}}
LEGACY = {
    "context": "company",
    "name": "x##SK##company",
    "fields": {
        "type": "number",
        "displayName": "X",
        "mutable": True,
        "min": 0,
        "max": 9,
        "value": 1,
    },
}
Target = tuple[str, str, dict[str, Any], str]


async def _targets(admin: Api, env: str) -> list[Target]:
    """(method, path, a valid body, media type) of every write."""
    app = await create_app(admin, env)
    flow = await create_flow(admin, env)
    instance = await admin.create(f"/environments/{env}/connectorInstances", INSTANCE)
    variable = await admin.create(f"/environments/{env}/variables", {**VARIABLE, "name": "v"})
    base = f"/environments/{env}"
    flow_href = f"{base}/flows/{flow['id']}"
    distribution = {"id": flow["id"], "version": 1, "weight": 1}
    flow_body = {"name": "f", "description": "d", "color": "#fff", "graphData": GRAPH}
    export = {"flowId": "a" * 32, "companyId": env, "name": "f", "graphData": GRAPH}
    return [
        ("POST", f"{base}/davinciApplications", {"name": "a"}, JSON),
        (
            "PUT",
            f"{base}/davinciApplications/{app['id']}",
            {"name": "a", "apiKey": {"enabled": True}, "oauth": {"scopes": ["openid"]}},
            JSON,
        ),
        (
            "POST",
            f"{base}/davinciApplications/{app['id']}/flowPolicies",
            {"name": "p", "status": "enabled", "flowDistributions": [distribution]},
            JSON,
        ),
        ("POST", f"{base}/flows", {**flow_body, "settings": {}, "inputSchema": []}, JSON),
        ("POST", f"{base}/flows", {**export, "versionId": 1, "variables": [LEGACY]}, IMPORT),
        ("POST", f"{base}/flows", {"flows": [export]}, IMPORT),
        ("PUT", flow_href, flow_body, JSON),
        ("POST", flow_href, {"graphData": GRAPH}, VALIDATE),
        ("POST", flow_href, {"name": "c"}, CLONE),
        ("POST", f"{flow_href}/versions/1", {"includeSubFlows": True}, EXPORT),
        ("PUT", f"{flow_href}/enabled", {"enabled": True}, JSON),
        ("PUT", f"{flow_href}/versions/1/alias", {"alias": "x"}, JSON),
        ("POST", f"{base}/connectorInstances", INSTANCE, JSON),
        ("PUT", f"{base}/connectorInstances/{instance['id']}", INSTANCE, JSON),
        ("POST", f"{base}/variables", {**VARIABLE, "min": 0, "max": 10, "value": 1}, JSON),
        ("PUT", f"{base}/variables/{variable['id']}", {**VARIABLE, "name": "v"}, JSON),
    ]


def _variants(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The body with one field (or one field of a nested object or list item) made odd."""
    for field, original in body.items():
        for value in ODD:
            yield {**body, field: value}
        if isinstance(original, dict) and original:
            for inner in _variants(original):
                yield {**body, field: inner}
        if isinstance(original, list) and original and isinstance(original[0], dict):
            for inner in _variants(original[0]):
                yield {**body, field: [inner]}


async def test_odd_values_never_answer_500(admin: Api, env: str) -> None:
    failures = []
    for method, path, body, media_type in await _targets(admin, env):
        for index, variant in enumerate(_variants(body)):
            if "name" in body and variant["name"] == body["name"]:
                variant["name"] = f"{body['name']}{index}"  # past the uniqueness checks
            response = await admin.request(
                method, path, content=json.dumps(variant), media_type=media_type
            )
            if response.status_code >= 500:
                failures.append((method, path, variant, response.text[:200]))
            elif response.status_code >= 400:
                assert response.json()["code"], response.text
    assert failures == []
