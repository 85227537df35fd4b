"""Request and response models of organizations and environments, named after PingOne's."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from gatehouse.common.schemas import Description, HalView, Name, Ref, RequestModel, Timestamp

EnvironmentType = Literal["PRODUCTION", "SANDBOX"]
Region = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=32)]
ProductType = Literal[
    "PING_ONE_BASE",
    "PING_ONE_MFA",
    "PING_ONE_RISK",
    "PING_ONE_VERIFY",
    "PING_ONE_CREDENTIALS",
    "PING_ONE_DAVINCI",
    "PING_ONE_AUTHORIZE",
    "PING_ONE_PROVISIONING",
    "PING_ONE_ID",
    "PING_FEDERATE",
    "PING_ACCESS",
    "PING_DIRECTORY",
    "PING_AUTHORIZE",
    "PING_CENTRAL",
    "PING_INTELLIGENCE",
]


class Bookmark(RequestModel):
    name: Name
    href: Annotated[str, StringConstraints(max_length=2048)]


class Product(RequestModel):
    type: ProductType
    console: dict[str, str] | None = None
    bookmarks: Annotated[list[Bookmark], Field(max_length=5)] | None = None
    tags: list[Literal["DAVINCI_MINIMAL"]] | None = None


class BillOfMaterials(RequestModel):
    products: Annotated[list[Product], Field(min_length=1)]
    solution_type: Literal["WORKFORCE", "CUSTOMER", "CIAM_TRIAL", "WF_TRIAL"] | None = Field(
        default=None, alias="solutionType"
    )


class EnvironmentCreate(RequestModel):
    name: Name
    description: Description | None = None
    type: EnvironmentType
    region: Region
    license: Ref | None = None
    icon: Annotated[str, StringConstraints(max_length=2048)] | None = None
    bill_of_materials: BillOfMaterials | None = Field(default=None, alias="billOfMaterials")


class EnvironmentUpdate(EnvironmentCreate):
    pass


class EnvironmentTypeUpdate(RequestModel):
    type: EnvironmentType


class EnvironmentView(HalView):
    id: uuid.UUID
    name: str
    description: str | None = None
    type: str
    region: str
    status: str
    organization: dict[str, str]
    license: dict[str, str] | None = None
    icon: str | None = None
    bill_of_materials: dict[str, Any] | None = Field(default=None, alias="billOfMaterials")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class OrganizationView(HalView):
    id: uuid.UUID
    name: str
    type: str
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
