"""A small client for the management API and the authorization server, as tests use them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Credentials:
    environment_id: str
    client_id: str
    client_secret: str
    organization_id: str


class Api:
    """httpx with the admin's bearer token; paths are relative to /v1."""

    def __init__(self, client: httpx.AsyncClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def with_token(self, token: str | None) -> Api:
        return Api(self.client, token)

    def _headers(self, headers: dict[str, str] | None, media_type: str | None) -> dict[str, str]:
        merged = dict(headers or {})
        if self.token and "authorization" not in {k.lower() for k in merged}:
            merged["Authorization"] = f"Bearer {self.token}"
        if media_type:
            merged["Content-Type"] = media_type
        return merged

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        media_type: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"/v1{path}"
        if json is not None:
            import orjson

            content = orjson.dumps(json)
            media_type = media_type or "application/json"
        return await self.client.request(
            method, url, content=content, headers=self._headers(headers, media_type), params=params
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def client_credentials_token(
        self, environment_id: str, client_id: str, client_secret: str, **form: str
    ) -> httpx.Response:
        return await self.client.post(
            f"/{environment_id}/as/token",
            data={"grant_type": "client_credentials", **form},
            auth=(client_id, client_secret),
        )

    async def token_for(self, environment_id: str, client_id: str, client_secret: str) -> str:
        response = await self.client_credentials_token(environment_id, client_id, client_secret)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def create(
        self, path: str, body: dict[str, Any], media_type: str | None = None
    ) -> dict[str, Any]:
        """POST and expect 201: the created resource's body."""
        response = await self.post(path, json=body, media_type=media_type)
        assert response.status_code == 201, f"{response.status_code} {response.text}"
        return response.json()


def assert_error(
    response: httpx.Response,
    status: int,
    code: str,
    *,
    detail: str | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    """Assert a PingOne error body; returns it."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert body["code"] == code, body
    assert body["id"] and body["message"], body
    if detail is not None or target is not None:
        details = body.get("details") or []
        assert any(
            (detail is None or item.get("code") == detail)
            and (target is None or item.get("target") == target)
            for item in details
        ), body
    return body
