"""Reading the bodies of DaVinci actions selected by Content-Type, whose body may be empty."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request

from gatehouse.common.bodies import read_json, require_media_type, validate

M = TypeVar("M", bound=BaseModel)


async def read_action(request: Request, media_type: str, model: type[M]) -> M:
    """The body of an action named by `media_type` (415 otherwise); an empty body is `{}`."""
    require_media_type(request, media_type)
    if not (await request.body()).strip():
        return validate(model, {})
    return validate(model, await read_json(request))
