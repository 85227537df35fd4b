"""Claims (OpenID Connect Core 1.0 sections 2, 3.3.2.11 and 5): the ID token, the user's claims per
scope for ID tokens and userinfo, and the claims of access tokens for users (PingOne's token
claims, with the custom resource's attributes)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application, ApplicationAttributeMapping
from gatehouse.directory.models import User
from gatehouse.environments.models import Environment
from gatehouse.oauth.scopes import ScopeDecision
from gatehouse.resources.defaults import CUSTOM, OPENID_CONNECT, PINGONE_API, SUB_CLAIM
from gatehouse.resources.expressions import (
    CORE_PATHS,
    Expression,
    LiteralValue,
    UserPath,
    evaluate,
)
from gatehouse.resources.models import ResourceAttribute, ResourceScope
from gatehouse.store import config_cache

ID_TOKEN_LIFETIME = 3600

# Section 5.4: the claims each standard scope requests.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}

# Section 2 and PingOne's additions: what the server itself says in an ID token.
ID_TOKEN_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "c_hash",
    "env",
    "org",
)

ID_TOKEN, USER_INFO = "id_token", "user_info"


@dataclass(frozen=True)
class Subject:
    """Who a user's tokens are about, and how they signed on."""

    user: User
    session_id: str | None
    auth_time: int  # epoch seconds
    acr: str | None
    amr: tuple[str, ...]


@dataclass(frozen=True)
class ClaimSources:
    """Where a user's claims come from: the openid resource's attributes (its PREDEFINED rows map
    the standard claims to user attributes), the application's attribute mappings, and the openid
    scopes granted."""

    openid_attributes: Sequence[ResourceAttribute]
    mappings: Sequence[ApplicationAttributeMapping]
    scopes: Sequence[ResourceScope]


async def attributes_of(
    session: AsyncSession, environment_id: uuid.UUID, resource_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[ResourceAttribute]]:
    """The attributes of some resources of the environment, read once per configuration version
    (shared copies: never change them)."""
    ids = tuple(sorted(set(resource_ids)))

    async def load() -> dict[uuid.UUID, tuple[ResourceAttribute, ...]]:
        found: dict[uuid.UUID, list[ResourceAttribute]] = {resource_id: [] for resource_id in ids}
        if ids:
            rows = await session.scalars(
                sa.select(ResourceAttribute).where(ResourceAttribute.resource_id.in_(ids))
            )
            for row in rows:
                found[row.resource_id].append(config_cache.detached_copy(row))
        return {resource_id: tuple(rows) for resource_id, rows in found.items()}

    cached = await config_cache.cached(session, environment_id, ("resource_attributes", ids), load)
    return {resource_id: list(rows) for resource_id, rows in cached.items()}


async def mappings_of(
    session: AsyncSession, application: Application
) -> Sequence[ApplicationAttributeMapping]:
    """The application's attribute mappings, read once per configuration version (shared copies:
    never change them)."""

    async def load() -> tuple[ApplicationAttributeMapping, ...]:
        rows = await session.scalars(
            sa.select(ApplicationAttributeMapping).where(
                ApplicationAttributeMapping.application_id == application.id
            )
        )
        return tuple(config_cache.detached_copy(row) for row in rows)

    key = ("attribute_mappings", application.id)
    return await config_cache.cached(session, application.environment_id, key, load)


# --- the user's claims (section 5) ----------------------------------------------------------


def user_claims(user: User, sources: ClaimSources, delivery: str) -> dict[str, Any]:
    """`sub` and the claims the granted scopes release for `delivery` (ID_TOKEN or USER_INFO):
    the standard claims of each standard scope (5.4) and the attributes a granted openid scope maps
    (PingOne's mappedClaims), then the application's attribute mappings, which apply to every
    scope unless they name theirs (oidcScopes). A claim without a value is left out (5.3.2)."""
    granted = {scope.name for scope in sources.scopes}
    requested = {claim for name in granted for claim in SCOPE_CLAIMS.get(name, ())}
    mapped = {claim for scope in sources.scopes for claim in scope.mapped_claims or ()}
    claims: dict[str, Any] = {}
    for attribute in sources.openid_attributes:
        top = attribute.name.split(".", 1)[0]
        released = top in requested or str(attribute.id) in mapped or attribute.name == SUB_CLAIM
        if released and getattr(attribute, delivery):
            _put(claims, attribute.name, _value(attribute.name, attribute.value, user))
    scope_ids = {str(scope.id) for scope in sources.scopes}
    for mapping in sources.mappings:
        restricted = mapping.oidc_scopes is not None and not scope_ids.intersection(
            mapping.oidc_scopes
        )
        if not restricted and getattr(mapping, delivery):
            _put(claims, mapping.name, _value(mapping.name, mapping.value, user))
    claims["sub"] = claims.get("sub") or str(user.id)
    if "phone_number" in claims and "phone_number_verified" in requested:
        # Gatehouse does not verify phone numbers (5.1: false unless verified).
        claims.setdefault("phone_number_verified", False)
    return claims


def _put(claims: dict[str, Any], name: str, value: Any) -> None:
    """Set a claim; `address.<member>` fills a member of the address claim (5.1.1)."""
    if value is None:
        claims.pop(name, None)
        return
    parent, dot, member = name.partition(".")
    if dot and parent == "address":
        claims.setdefault("address", {})[member] = value
    else:
        claims[name] = value


def _value(name: str, value: str, user: User) -> Any:
    result = evaluate(_expression(value), user)
    if name == "updated_at" and isinstance(result, str):
        # 5.1: updated_at is a time, in seconds since the epoch.
        try:
            return int(datetime.fromisoformat(result.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return result
    return result


def _expression(value: str) -> Expression:
    """A stored value, checked when it was saved (resources.expressions.parse): a literal, or
    ${user.<path>} where a path that is not a core attribute names a custom one."""
    if not (value.startswith("${user.") and value.endswith("}")):
        return LiteralValue(value)
    path = value[len("${user.") : -1]
    return UserPath(path, custom=path not in CORE_PATHS)


# --- the ID token (section 2) ---------------------------------------------------------------


def token_hash(value: str) -> str:
    """at_hash and c_hash (3.3.2.11): the left half of the SHA-256 of the value, base64url
    without padding (our ID tokens are RS256)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def id_token_claims(
    *,
    issuer: str,
    environment: Environment,
    application: Application,
    subject: Subject,
    sources: ClaimSources,
    issued_at: int,
    nonce: str | None = None,
    access_token: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    claims = user_claims(subject.user, sources, ID_TOKEN)
    claims.update(
        iss=issuer,
        aud=str(application.id),
        iat=issued_at,
        exp=issued_at + ID_TOKEN_LIFETIME,
        auth_time=subject.auth_time,
        amr=list(subject.amr),
        env=str(environment.id),
        org=str(environment.organization_id),
    )
    optional = {
        "nonce": nonce,
        "acr": subject.acr,
        "sid": subject.session_id,
        "at_hash": token_hash(access_token) if access_token else None,
        "c_hash": token_hash(code) if code else None,
    }
    claims.update({name: value for name, value in optional.items() if value is not None})
    return claims


# --- access tokens for a user (PingOne token claims) ------------------------------------------


def access_token_claims(
    *,
    environment: Environment,
    application: Application,
    subject: Subject,
    decision: ScopeDecision,
    attributes: dict[uuid.UUID, list[ResourceAttribute]],
) -> dict[str, Any]:
    """client_id, aud, scope, the user and their sign-on, env and org when the token is for the
    PingOne API, and the attributes of the custom resources it is for; `sub` is what the custom
    resource's sub attribute says (the user id for the PingOne API, which self-service needs)."""
    audience = decision.audience_resources
    custom: dict[str, Any] = {}
    for resource in audience:
        if resource.type != CUSTOM:
            continue
        for attribute in attributes.get(resource.id, []):
            value = _value(attribute.name, attribute.value, subject.user)
            if value is not None:
                custom[attribute.name] = value
    sub = custom.pop(SUB_CLAIM, None)
    for_api = any(resource.type == PINGONE_API for resource in audience)
    claims: dict[str, Any] = {
        **custom,
        "client_id": str(application.id),
        "aud": decision.audiences,
        "scope": " ".join(decision.scopes),
        "sub": str(subject.user.id) if for_api or sub is None else str(sub),
        "auth_time": subject.auth_time,
        "amr": list(subject.amr),
    }
    if subject.session_id:
        claims["sid"] = subject.session_id
    if subject.acr:
        claims["acr"] = subject.acr
    if for_api:
        claims["env"] = str(environment.id)
        claims["org"] = str(environment.organization_id)
    return claims


def openid_resource_id(decision: ScopeDecision) -> uuid.UUID | None:
    return next((r.id for r in decision.resources if r.type == OPENID_CONNECT), None)
