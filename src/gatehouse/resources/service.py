"""Resources (the APIs access tokens are for), their scopes, their attributes (the custom claims
their tokens carry) and their secrets.

What the built-ins allow:
- The built-in resources (PINGONE_API "PingOne API", OPENID_CONNECT "openid") can be read and
  updated, never deleted. A PUT may change their description and accessTokenValiditySeconds only:
  their name, type, audience, introspectEndpointAuthMethod and applicationPermissionsSettings are
  fixed, so a PUT may leave those out or repeat them as they are (a GET body sent back always
  works); a different value is REQUEST_FAILED. Only CUSTOM resources have a secret.
- Built-in scopes (openid's OIDC scopes, the PingOne API's self-service scopes) cannot be renamed or
  deleted; their description, schemaAttributes and mappedClaims can change. New PingOne API scopes
  are access-control scopes: p1:read:user:{suffix} or p1:update:user:{suffix}.
- CORE (`sub`) and PREDEFINED (openid's standard claims) attributes cannot be renamed or deleted;
  their value and delivery (idToken, userInfo) can change. The PingOne API takes no attributes.

PUT replaces: optional fields left out return to their defaults (a custom resource's audience to
its name, the token lifetime to 3600 seconds, ...).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import (
    Detail,
    Problem,
    invalid_data,
    invalid_value,
    not_found,
    request_failed,
    uniqueness_violation,
)
from gatehouse.crypto.sealing import Sealer
from gatehouse.resources import secrets
from gatehouse.resources.defaults import (
    CUSTOM,
    OPENID_CONNECT,
    PINGONE_API,
    is_builtin,
    is_builtin_scope,
    sub_attribute,
)
from gatehouse.resources.expressions import (
    ExpressionError,
    custom_attribute_types,
    is_user_attribute,
    parse,
)
from gatehouse.resources.models import Resource, ResourceAttribute, ResourceScope
from gatehouse.resources.schemas import AttributeBody, ResourceBody, ScopeBody, SecretRotation

DEFAULT_TOKEN_LIFETIME = 3600
DEFAULT_INTROSPECT_METHOD = "CLIENT_SECRET_BASIC"
FORBIDDEN_AUDIENCE_WORDS = ("pingone", "pingidentity")

# RFC 6749 section 3.3: a scope token is printable ASCII without space, '"' and '\'.
_SCOPE_TOKEN = r"[\x21\x23-\x5B\x5D-\x7E]+"
SCOPE_NAME = re.compile(_SCOPE_TOKEN)
NEW_PINGONE_API_SCOPE = re.compile(rf"p1:(?:read|update):user:{_SCOPE_TOKEN}")
ACCESS_CONTROL_SCOPE = re.compile(rf"p1:(?:read|update):user(?::{_SCOPE_TOKEN})?")

RESERVED_CLAIMS = frozenset(
    {"acr", "amr", "aud", "auth_time", "client_id", "env", "exp", "iat", "iss", "jti", "org"}
    | {"scope", "sid", "sub"}
)

PREVIOUS_SECRET_MIN = timedelta(minutes=1)
PREVIOUS_SECRET_MAX = timedelta(days=30)


# Resources


async def list_resources(session: AsyncSession, environment_id: uuid.UUID) -> Sequence[Resource]:
    rows = await session.scalars(
        sa.select(Resource)
        .where(Resource.environment_id == environment_id)
        .order_by(Resource.created_at, Resource.name)
    )
    return rows.all()


async def get_resource(
    session: AsyncSession, environment_id: uuid.UUID, resource_id: uuid.UUID
) -> Resource:
    resource = await session.scalar(
        sa.select(Resource).where(
            Resource.id == resource_id, Resource.environment_id == environment_id
        )
    )
    if resource is None:
        raise not_found()
    return resource


async def create_resource(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, data: ResourceBody
) -> Resource:
    """A CUSTOM resource, with its CORE `sub` attribute and its secret."""
    if data.type not in (None, CUSTOM):
        raise invalid_value("type", "Only CUSTOM resources can be created.", allowedValues=[CUSTOM])
    await _ensure_unique_resource_name(session, environment_id, data.name)
    resource = Resource(environment_id=environment_id, type=CUSTOM)
    _apply_custom(resource, data)
    session.add(resource)
    await session.flush()
    session.add(sub_attribute(resource))
    await secrets.create_secret(session, sealer, resource.id)
    return resource


async def update_resource(
    session: AsyncSession, resource: Resource, data: ResourceBody
) -> Resource:
    if data.type is not None and data.type != resource.type:
        raise _fixed("type", "The type of a resource cannot be changed.")
    if is_builtin(resource):
        _check_builtin_unchanged(resource, data)
        resource.description = data.description
        resource.access_token_validity_seconds = _lifetime(data)
    else:
        if data.name != resource.name:
            await _ensure_unique_resource_name(
                session, resource.environment_id, data.name, resource.id
            )
        _apply_custom(resource, data)
    await session.flush()
    return resource


async def delete_resource(session: AsyncSession, resource: Resource) -> None:
    if is_builtin(resource):
        raise request_failed("Built-in resources cannot be deleted.")
    await session.delete(resource)
    await session.flush()


def _apply_custom(resource: Resource, data: ResourceBody) -> None:
    audience = data.audience or data.name
    _check_audience(audience)
    settings = data.application_permissions_settings
    resource.name = data.name
    resource.description = data.description
    resource.audience = audience
    resource.access_token_validity_seconds = _lifetime(data)
    resource.introspect_endpoint_auth_method = (
        data.introspect_endpoint_auth_method or DEFAULT_INTROSPECT_METHOD
    )
    resource.permissions_claim_enabled = settings.claim_enabled if settings else False


def _lifetime(data: ResourceBody) -> int:
    if data.access_token_validity_seconds is None:
        return DEFAULT_TOKEN_LIFETIME
    return data.access_token_validity_seconds


def _check_audience(audience: str) -> None:
    lowered = audience.lower()
    if any(word in lowered for word in FORBIDDEN_AUDIENCE_WORDS):
        raise invalid_value(
            "audience",
            "The audience (the name, when no audience is given) must not contain "
            "'pingone' or 'pingidentity'.",
        )
    if "#" in audience:
        raise invalid_value("audience", "The audience must not contain a fragment ('#').")


def _check_builtin_unchanged(resource: Resource, data: ResourceBody) -> None:
    settings = data.application_permissions_settings
    fixed = {
        "name": (data.name, resource.name),
        "audience": (data.audience, resource.audience),
        "introspectEndpointAuthMethod": (
            data.introspect_endpoint_auth_method,
            resource.introspect_endpoint_auth_method,
        ),
        "applicationPermissionsSettings.claimEnabled": (
            settings.claim_enabled if settings else None,
            resource.permissions_claim_enabled,
        ),
    }
    for target, (sent, current) in fixed.items():
        if sent is not None and sent != current:
            raise _fixed(target, f"The {target} of a built-in resource cannot be changed.")


async def _ensure_unique_resource_name(
    session: AsyncSession, environment_id: uuid.UUID, name: str, own_id: uuid.UUID | None = None
) -> None:
    clash = await session.scalar(
        sa.select(Resource.id).where(
            Resource.environment_id == environment_id,
            sa.func.lower(Resource.name) == name.lower(),
            Resource.id != own_id if own_id else sa.true(),
        )
    )
    if clash is not None:
        raise uniqueness_violation("name", f"A resource named {name!r} already exists.", clash)


# Secrets (CUSTOM resources only)


async def read_secret(session: AsyncSession, sealer: Sealer, resource: Resource) -> secrets.Secrets:
    _require_custom(resource)
    return await secrets.secrets_of(session, sealer, resource.id)


async def rotate_secret(
    session: AsyncSession, sealer: Sealer, resource: Resource, data: SecretRotation
) -> secrets.Secrets:
    _require_custom(resource)
    expires_at = _previous_expiry(data.previous.expires_at) if data.previous else None
    await secrets.rotate_secret(session, sealer, resource.id, expires_at)
    return await secrets.secrets_of(session, sealer, resource.id)


async def delete_previous_secret(session: AsyncSession, resource: Resource) -> None:
    _require_custom(resource)
    await secrets.delete_previous_secret(session, resource.id)


def _require_custom(resource: Resource) -> None:
    if is_builtin(resource):
        raise request_failed("Only CUSTOM resources have a secret.")


def _previous_expiry(expires_at: datetime) -> datetime:
    moment = clock.as_utc(expires_at)
    now = clock.now()
    low, high = now + PREVIOUS_SECRET_MIN, now + PREVIOUS_SECRET_MAX
    if not low <= moment <= high:
        raise invalid_data(
            "The request could not be completed. One or more validation errors were in the request.",
            Detail(
                "OUT_OF_RANGE",
                "The previous secret may stay valid from 1 minute to 30 days.",
                "previous.expiresAt",
                {
                    "rangeMinimumValue": clock.isoformat(low),
                    "rangeMaximumValue": clock.isoformat(high),
                },
            ),
        )
    return moment


# Scopes


async def list_scopes(session: AsyncSession, resource: Resource) -> Sequence[ResourceScope]:
    rows = await session.scalars(
        sa.select(ResourceScope)
        .where(ResourceScope.resource_id == resource.id)
        .order_by(ResourceScope.created_at, ResourceScope.name)
    )
    return rows.all()


async def get_scope(
    session: AsyncSession, resource: Resource, scope_id: uuid.UUID
) -> ResourceScope:
    scope = await session.scalar(
        sa.select(ResourceScope).where(
            ResourceScope.id == scope_id, ResourceScope.resource_id == resource.id
        )
    )
    if scope is None:
        raise not_found()
    return scope


async def create_scope(session: AsyncSession, resource: Resource, data: ScopeBody) -> ResourceScope:
    _check_scope_name(resource, data.name)
    await _ensure_unique_scope_name(session, resource, data.name)
    scope = ResourceScope(environment_id=resource.environment_id, resource_id=resource.id)
    await _apply_scope(session, resource, scope, data)
    session.add(scope)
    await session.flush()
    return scope


async def update_scope(
    session: AsyncSession, resource: Resource, scope: ResourceScope, data: ScopeBody
) -> ResourceScope:
    if data.name != scope.name:
        if is_builtin_scope(resource, scope.name):
            raise _fixed("name", "Built-in scopes cannot be renamed.")
        _check_scope_name(resource, data.name)
        await _ensure_unique_scope_name(session, resource, data.name, scope.id)
    await _apply_scope(session, resource, scope, data)
    await session.flush()
    return scope


async def delete_scope(session: AsyncSession, resource: Resource, scope: ResourceScope) -> None:
    """Application grants lose the scope with it (application_grant_scopes cascades)."""
    if is_builtin_scope(resource, scope.name):
        raise request_failed("Built-in scopes cannot be deleted.")
    await session.delete(scope)
    await session.flush()


async def _apply_scope(
    session: AsyncSession, resource: Resource, scope: ResourceScope, data: ScopeBody
) -> None:
    schema_attributes = await _schema_attributes(session, resource, data)
    mapped_claims = await _mapped_claims(session, resource, data.mapped_claims)
    scope.name = data.name
    scope.description = data.description
    scope.schema_attributes = schema_attributes
    scope.mapped_claims = mapped_claims


def _check_scope_name(resource: Resource, name: str) -> None:
    if not SCOPE_NAME.fullmatch(name):
        raise invalid_value(
            "name", "A scope name is one scope token: no spaces, double quotes or backslashes."
        )
    if resource.type == PINGONE_API and not NEW_PINGONE_API_SCOPE.fullmatch(name):
        raise invalid_value(
            "name",
            "New PingOne API scopes are p1:read:user:{suffix} or p1:update:user:{suffix}.",
        )
    if resource.type != PINGONE_API and name.startswith("p1:"):
        raise invalid_value("name", "Only PingOne API scopes may start with 'p1:'.")


async def _schema_attributes(
    session: AsyncSession, resource: Resource, data: ScopeBody
) -> list[str] | None:
    paths = data.schema_attributes
    if paths is None:
        return None
    if resource.type != PINGONE_API or not ACCESS_CONTROL_SCOPE.fullmatch(data.name):
        raise invalid_value(
            "schemaAttributes",
            "schemaAttributes apply only to the PingOne API scopes p1:read:user, p1:update:user "
            "and their p1:read:user:{suffix} and p1:update:user:{suffix} variants.",
        )
    paths = list(dict.fromkeys(paths))
    if "*" in paths and len(paths) > 1:
        raise invalid_value("schemaAttributes", "The wildcard * stands alone.")
    custom = await custom_attribute_types(session, resource.environment_id)
    unknown = [path for path in paths if path != "*" and not is_user_attribute(path, custom)]
    if unknown:
        raise invalid_value(
            "schemaAttributes", f"Not attributes of this environment's users: {', '.join(unknown)}."
        )
    return paths


async def _mapped_claims(
    session: AsyncSession, resource: Resource, ids: list[uuid.UUID] | None
) -> list[str] | None:
    if ids is None:
        return None
    if resource.type != OPENID_CONNECT:
        raise invalid_value("mappedClaims", "mappedClaims apply only to scopes of openid.")
    wanted = list(dict.fromkeys(ids))
    found = set(
        await session.scalars(
            sa.select(ResourceAttribute.id).where(
                ResourceAttribute.resource_id == resource.id, ResourceAttribute.id.in_(wanted)
            )
        )
    )
    missing = [str(claim) for claim in wanted if claim not in found]
    if missing:
        raise invalid_value(
            "mappedClaims", f"Not attributes of the openid resource: {', '.join(missing)}."
        )
    return [str(claim) for claim in wanted]


async def _ensure_unique_scope_name(
    session: AsyncSession, resource: Resource, name: str, own_id: uuid.UUID | None = None
) -> None:
    clash = await session.scalar(
        sa.select(ResourceScope.id).where(
            ResourceScope.resource_id == resource.id,
            ResourceScope.name == name,
            ResourceScope.id != own_id if own_id else sa.true(),
        )
    )
    if clash is not None:
        raise uniqueness_violation("name", f"This resource already has a scope {name!r}.", clash)


# Attributes


async def list_attributes(session: AsyncSession, resource: Resource) -> Sequence[ResourceAttribute]:
    rows = await session.scalars(
        sa.select(ResourceAttribute)
        .where(ResourceAttribute.resource_id == resource.id)
        .order_by(ResourceAttribute.created_at, ResourceAttribute.name)
    )
    return rows.all()


async def get_attribute(
    session: AsyncSession, resource: Resource, attribute_id: uuid.UUID
) -> ResourceAttribute:
    attribute = await session.scalar(
        sa.select(ResourceAttribute).where(
            ResourceAttribute.id == attribute_id, ResourceAttribute.resource_id == resource.id
        )
    )
    if attribute is None:
        raise not_found()
    return attribute


async def create_attribute(
    session: AsyncSession, resource: Resource, data: AttributeBody
) -> ResourceAttribute:
    if resource.type == PINGONE_API:
        raise request_failed("The PingOne API resource takes no custom attributes.")
    _check_attribute_name(data.name)
    await _ensure_unique_attribute_name(session, resource, data.name)
    attribute = ResourceAttribute(
        environment_id=resource.environment_id, resource_id=resource.id, type=CUSTOM
    )
    await _apply_attribute(session, resource, attribute, data)
    session.add(attribute)
    await session.flush()
    return attribute


async def update_attribute(
    session: AsyncSession, resource: Resource, attribute: ResourceAttribute, data: AttributeBody
) -> ResourceAttribute:
    if data.name != attribute.name:
        if attribute.type != CUSTOM:
            raise _fixed("name", f"{attribute.type} attributes cannot be renamed.")
        _check_attribute_name(data.name)
        await _ensure_unique_attribute_name(session, resource, data.name, attribute.id)
    await _apply_attribute(session, resource, attribute, data)
    await session.flush()
    return attribute


async def delete_attribute(
    session: AsyncSession, resource: Resource, attribute: ResourceAttribute
) -> None:
    """Scopes that map the attribute (mappedClaims) stop mapping it."""
    if attribute.type != CUSTOM:
        raise request_failed(f"{attribute.type} attributes cannot be deleted.")
    claim = str(attribute.id)
    for scope in await list_scopes(session, resource):
        if scope.mapped_claims and claim in scope.mapped_claims:
            scope.mapped_claims = [other for other in scope.mapped_claims if other != claim]
    await session.delete(attribute)
    await session.flush()


async def _apply_attribute(
    session: AsyncSession, resource: Resource, attribute: ResourceAttribute, data: AttributeBody
) -> None:
    try:
        parse(data.value, await custom_attribute_types(session, resource.environment_id))
    except ExpressionError as exc:
        raise invalid_value("value", str(exc)) from None
    id_token, user_info = _delivery(resource, data)
    attribute.name = data.name
    attribute.value = data.value
    attribute.id_token = id_token
    attribute.user_info = user_info


def _delivery(resource: Resource, data: AttributeBody) -> tuple[bool | None, bool | None]:
    """(idToken, userInfo): meaningful on openid only, where each defaults to true."""
    if resource.type != OPENID_CONNECT:
        for target, sent in (("idToken", data.id_token), ("userInfo", data.user_info)):
            if sent is not None:
                raise invalid_value(target, f"{target} applies only to attributes of openid.")
        return None, None
    id_token = True if data.id_token is None else data.id_token
    user_info = True if data.user_info is None else data.user_info
    if not (id_token or user_info):
        raise invalid_value("idToken", "idToken and userInfo cannot both be false.")
    return id_token, user_info


def _check_attribute_name(name: str) -> None:
    if name in RESERVED_CLAIMS or name.startswith("p1."):
        raise invalid_value("name", f"{name!r} is a reserved claim name.")


async def _ensure_unique_attribute_name(
    session: AsyncSession, resource: Resource, name: str, own_id: uuid.UUID | None = None
) -> None:
    clash = await session.scalar(
        sa.select(ResourceAttribute.id).where(
            ResourceAttribute.resource_id == resource.id,
            ResourceAttribute.name == name,
            ResourceAttribute.id != own_id if own_id else sa.true(),
        )
    )
    if clash is not None:
        raise uniqueness_violation(
            "name", f"This resource already has an attribute {name!r}.", clash
        )


def _fixed(target: str, message: str) -> Problem:
    return request_failed(message, Detail("INVALID_VALUE", message, target))
