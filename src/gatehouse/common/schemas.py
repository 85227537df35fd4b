"""Pydantic building blocks shared by every context's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from gatehouse.common import clock


class RequestModel(BaseModel):
    """Request bodies: read-only properties PingOne returns (id, _links, createdAt...) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ViewModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class Ref(BaseModel):
    """A reference to another resource: `{"id": "..."}`."""

    model_config = ConfigDict(extra="ignore")
    id: uuid.UUID


class Link(BaseModel):
    href: str


class Links(BaseModel):
    model_config = ConfigDict(extra="allow")
    self: Link


# ISO-8601 UTC with milliseconds and a Z, as PingOne writes createdAt/updatedAt.
Timestamp = Annotated[datetime, PlainSerializer(clock.isoformat, return_type=str)]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Description = Annotated[str, StringConstraints(max_length=1024)]


def ref(value: Any) -> dict[str, str] | None:
    return {"id": str(value)} if value is not None else None


class HalView(ViewModel):
    links: Links | None = Field(default=None, alias="_links")


class Collection(BaseModel):
    """The shape of every collection: `_embedded.<name>`, `count`, `size`, `_links`."""

    links: dict[str, Link] = Field(alias="_links")
    embedded: dict[str, list[Any]] = Field(alias="_embedded")
    count: int
    size: int
