"""The served OpenAPI schema describes every route, its request bodies and media types."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

BODY_METHODS = ("post", "put", "patch")


async def test_openapi_is_served_and_valid_json(admin) -> None:
    response = await admin.client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/v1/environments" in schema["paths"]


async def test_every_management_write_documents_its_request_body(admin) -> None:
    schema = (await admin.client.get("/openapi.json")).json()
    missing = []
    for path, operations in schema["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            if method in BODY_METHODS and "requestBody" not in operation:
                missing.append(f"{method.upper()} {path}")
    assert missing == []


async def test_documented_schema_references_resolve(admin) -> None:
    schema = (await admin.client.get("/openapi.json")).json()
    components = schema.get("components", {}).get("schemas", {})
    dangling = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if (
                isinstance(ref, str)
                and ref.startswith("#/components/schemas/")
                and ref.rsplit("/", 1)[1] not in components
            ):
                dangling.add(ref)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert dangling == set()


async def test_custom_media_types_are_documented(admin) -> None:
    schema = (await admin.client.get("/openapi.json")).json()
    media_types = {
        media_type
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for media_type in operation.get("requestBody", {}).get("content", {})
    }
    assert "application/x-www-form-urlencoded" in media_types
    assert "application/json" in media_types
