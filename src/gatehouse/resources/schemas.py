"""Request and response models of resources, their scopes, attributes and secret, named after
PingOne's (Resource, ResourceScope, ResourceAttribute, ResourceSecret)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from gatehouse.common.schemas import (
    Description,
    HalView,
    Name,
    RequestModel,
    Timestamp,
    ViewModel,
)

ResourceType = Literal["OPENID_CONNECT", "PINGONE_API", "CUSTOM"]
IntrospectMethod = Literal["NONE", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST"]
Audience = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
TokenLifetime = Annotated[int, Field(ge=300, le=2_592_000)]
AttributePath = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)
]
AttributeValue = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class PermissionsSettings(RequestModel):
    claim_enabled: bool = Field(default=False, alias="claimEnabled")


class ResourceBody(RequestModel):
    """POST and PUT /resources. Fields left out take their defaults (PUT replaces); on a built-in
    resource, those it does not let change may be left out or repeated as they are."""

    name: Name
    description: Description | None = None
    type: ResourceType | None = None
    audience: Audience | None = None
    access_token_validity_seconds: TokenLifetime | None = Field(
        default=None, alias="accessTokenValiditySeconds"
    )
    introspect_endpoint_auth_method: IntrospectMethod | None = Field(
        default=None, alias="introspectEndpointAuthMethod"
    )
    application_permissions_settings: PermissionsSettings | None = Field(
        default=None, alias="applicationPermissionsSettings"
    )


class ScopeBody(RequestModel):
    """POST and PUT /resources/{id}/scopes."""

    name: Name
    description: Description | None = None
    schema_attributes: list[AttributePath] | None = Field(default=None, alias="schemaAttributes")
    mapped_claims: list[uuid.UUID] | None = Field(default=None, alias="mappedClaims")


class AttributeBody(RequestModel):
    """POST and PUT /resources/{id}/attributes."""

    name: Name
    value: AttributeValue
    id_token: bool | None = Field(default=None, alias="idToken")
    user_info: bool | None = Field(default=None, alias="userInfo")


class PreviousSecret(RequestModel):
    expires_at: datetime = Field(alias="expiresAt")


class SecretRotation(RequestModel):
    """POST /resources/{id}/secret: with `previous`, the old secret stays valid until then."""

    previous: PreviousSecret | None = None


class ResourceView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    description: str | None = None
    type: str
    audience: str
    access_token_validity_seconds: int = Field(alias="accessTokenValiditySeconds")
    introspect_endpoint_auth_method: str = Field(alias="introspectEndpointAuthMethod")
    application_permissions_settings: dict[str, bool] = Field(
        alias="applicationPermissionsSettings"
    )
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class ScopeView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    resource: dict[str, str]
    name: str
    description: str | None = None
    schema_attributes: list[str] | None = Field(default=None, alias="schemaAttributes")
    mapped_claims: list[str] | None = Field(default=None, alias="mappedClaims")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class AttributeView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    resource: dict[str, str]
    name: str
    value: str
    type: str
    id_token: bool | None = Field(default=None, alias="idToken")
    user_info: bool | None = Field(default=None, alias="userInfo")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class PreviousSecretView(ViewModel):
    secret: str
    expires_at: Timestamp = Field(alias="expiresAt")
    last_used: Timestamp | None = Field(default=None, alias="lastUsed")


class SecretView(HalView):
    environment: dict[str, str]
    secret: str
    previous: PreviousSecretView | None = None
