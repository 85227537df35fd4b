"""Request bodies chosen by media type: 415 for one we do not offer, PingOne errors for bad JSON.

Routes call `read_body` instead of declaring a FastAPI body parameter, so every body error has the
PingOne shape, and `body_doc` documents each accepted media type in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from gatehouse.common.errors import Detail, Problem, unsupported_media_type

JSON = "application/json"
MAX_BODY_BYTES = 1_048_576

M = TypeVar("M", bound=BaseModel)

_documented: dict[str, type[BaseModel]] = {}


def media_type_of(request: Request) -> str | None:
    raw = request.headers.get("content-type")
    return raw.split(";", 1)[0].strip().lower() if raw else None


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise Problem(413, "INVALID_REQUEST", "The request body is too large.")
    if not raw.strip():
        raise Problem(
            400, "INVALID_REQUEST", "The request could not be completed. The request body is empty."
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Problem(
            400,
            "INVALID_REQUEST",
            "The request could not be completed. The request body is not valid JSON.",
            [Detail("INVALID_VALUE", f"Malformed JSON at position {exc.pos}.")],
        ) from None
    if b"\\u0000" in raw and _contains_nul(data):
        raise Problem(
            400,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
            [Detail("INVALID_VALUE", "Text values cannot contain the NUL character (\\u0000).")],
        )
    return data


def _contains_nul(data: Any) -> bool:
    """Whether a string of the document holds U+0000, which PostgreSQL cannot store as text."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def offered_media_type(request: Request, offered: Iterable[str]) -> str:
    """Which of the offered media types the request's Content-Type names, as offered. Media types
    compare case-insensitively (RFC 9110 8.3.1), and PingOne's `+json` suffix may be left out, as
    its documentation sometimes writes them; 415 for anything else."""
    media_type = media_type_of(request)
    for candidate in offered:
        if media_type is not None and media_type in (
            candidate.lower(),
            candidate.lower().removesuffix("+json"),
        ):
            return candidate
    raise unsupported_media_type(media_type)


async def read_body(request: Request, models: dict[str, type[M]]) -> tuple[str, M]:
    """Return (media type, parsed body) for the media types this operation offers."""
    media_type = offered_media_type(request, models)
    return media_type, validate(models[media_type], await read_json(request))


async def read_model(request: Request, model: type[M]) -> M:
    return (await read_body(request, {JSON: model}))[1]


def require_media_type(request: Request, *offered: str) -> str:
    """For action requests selected by Content-Type alone."""
    return offered_media_type(request, offered)


def validation_problem(exc: ValidationError) -> Problem:
    details = [_detail(error) for error in exc.errors(include_url=False)]
    return Problem(
        400,
        "INVALID_DATA",
        "The request could not be completed. One or more validation errors were in the request.",
        details,
    )


def _detail(error: Any) -> Detail:
    target = ".".join(str(part) for part in error["loc"] if not isinstance(part, int)) or None
    kind = error["type"]
    if kind == "missing":
        return Detail("REQUIRED_VALUE", f"{target} is required", target)
    if kind in ("string_too_long", "too_long"):
        return Detail("SIZE_LIMIT_EXCEEDED", error["msg"], target)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return Detail("OUT_OF_RANGE", error["msg"], target, dict(error.get("ctx") or {}) or None)
    if kind == "literal_error" or kind == "enum":
        allowed = (error.get("ctx") or {}).get("expected")
        return Detail(
            "INVALID_VALUE", error["msg"], target, {"allowedValues": allowed} if allowed else None
        )
    if kind == "extra_forbidden":
        return Detail("INVALID_VALUE", f"{target} is not a recognized attribute", target)
    return Detail("INVALID_VALUE", error["msg"], target)


def body_doc(models: dict[str, type[BaseModel]], required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for an operation that reads its body with `read_body`."""
    content: dict[str, Any] = {}
    for media_type, model in models.items():
        _documented[model.__name__] = model
        content[media_type] = {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    return {"requestBody": {"required": required, "content": content}}


def media_doc(*media_types: str) -> dict[str, Any]:
    """`openapi_extra` for an action selected by Content-Type that takes no body."""
    return {
        "requestBody": {
            "required": False,
            "content": {media_type: {"schema": {"type": "object"}} for media_type in media_types},
        }
    }


def documented_models() -> dict[str, type[BaseModel]]:
    return dict(_documented)
