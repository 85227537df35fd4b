"""Request and response models of groups and group memberships, named after PingOne's `Group` and
`GroupMembership`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from gatehouse.common.schemas import (
    Description,
    HalView,
    Name,
    Ref,
    RequestModel,
    Timestamp,
    ViewModel,
)

ExternalId = Annotated[str, StringConstraints(max_length=1024)]
MAX_CUSTOM_DATA_DEPTH = 32


def _shallow(data: dict[str, Any]) -> dict[str, Any]:
    """customData nests at most MAX_CUSTOM_DATA_DEPTH objects or arrays deep."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_CUSTOM_DATA_DEPTH:
            raise ValueError(f"customData can nest at most {MAX_CUSTOM_DATA_DEPTH} levels deep")
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return data


CustomData = Annotated[dict[str, Any], AfterValidator(_shallow)]


class GroupWrite(RequestModel):
    """The body of POST and PUT. `userFilter` (dynamic groups) is refused by the service."""

    name: Name
    description: Description | None = None
    population: Ref | None = None
    external_id: ExternalId | None = Field(default=None, alias="externalId")
    custom_data: CustomData | None = Field(default=None, alias="customData")
    user_filter: str | None = Field(default=None, alias="userFilter")


class MembershipCreate(RequestModel):
    """POST /users/{userId}/memberOfGroups: the group to join."""

    id: uuid.UUID


class MemberCounts(ViewModel):
    users: int


class GroupView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    display_name: str = Field(alias="displayName")
    description: str | None = None
    population: dict[str, str] | None = None
    external_id: str | None = Field(default=None, alias="externalId")
    custom_data: dict[str, Any] | None = Field(default=None, alias="customData")
    direct_member_counts: MemberCounts = Field(alias="directMemberCounts")
    total_member_counts: MemberCounts = Field(alias="totalMemberCounts")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class MembershipView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    type: Literal["DIRECT"] = "DIRECT"
    embedded: dict[str, Any] | None = Field(default=None, alias="_embedded")
