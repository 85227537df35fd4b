"""Request and response models of roles and role assignments, named after PingOne's."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from gatehouse.common.schemas import HalView, Ref, RequestModel, ViewModel

ScopeType = Literal["ORGANIZATION", "ENVIRONMENT", "POPULATION"]


class Permission(ViewModel):
    id: str
    classifier: str | None = None
    description: str | None = None


class RoleView(HalView):
    id: uuid.UUID
    name: str
    description: str | None = None
    applicable_to: list[str] = Field(alias="applicableTo")
    permissions: list[Permission]


class Scope(RequestModel):
    id: uuid.UUID
    type: ScopeType


class RoleAssignmentCreate(RequestModel):
    role: Ref
    scope: Scope


class ScopeView(ViewModel):
    id: uuid.UUID
    type: str


class RoleAssignmentView(HalView):
    id: uuid.UUID
    role: dict[str, str]
    scope: ScopeView
    environment: dict[str, str]
    read_only: bool = Field(alias="readOnly")
