"""HAL rendering: `_links.self` on every resource; collections under `_embedded` with count/size."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from pydantic import BaseModel
from starlette.responses import Response


class HalResponse(Response):
    media_type = "application/hal+json;charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def resource(view: BaseModel | Mapping[str, Any], href: str, **links: str) -> dict[str, Any]:
    body = dump(view) if isinstance(view, BaseModel) else dict(view)
    body["_links"] = {"self": {"href": href}, **{rel: {"href": url} for rel, url in links.items()}}
    return body


def collection(
    name: str,
    items: Iterable[dict[str, Any]],
    href: str,
    *,
    query: Mapping[str, Any] | None = None,
    count: int | None = None,
    next_cursor: str | None = None,
) -> dict[str, Any]:
    embedded = list(items)
    params = {key: value for key, value in (query or {}).items() if value is not None}
    links: dict[str, Any] = {"self": {"href": _with_query(href, params)}}
    if next_cursor:
        links["next"] = {"href": _with_query(href, {**params, "cursor": next_cursor})}
    return {
        "_links": links,
        "_embedded": {name: embedded},
        "count": len(embedded) if count is None else count,
        "size": len(embedded),
    }


def dump(view: BaseModel) -> dict[str, Any]:
    return view.model_dump(mode="json", by_alias=True, exclude_none=True)


def ok(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> HalResponse:
    return HalResponse(body, status_code=status, headers=dict(headers or {}))


def created(body: Any) -> HalResponse:
    return HalResponse(body, status_code=201)


def no_content() -> Response:
    return Response(status_code=204)


def _with_query(href: str, params: Mapping[str, Any]) -> str:
    return f"{href}?{urlencode(params)}" if params else href
