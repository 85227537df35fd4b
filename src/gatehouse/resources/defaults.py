"""The resources every new environment has: the PingOne API (with its self-service scopes) and
openid (with the standard OIDC scopes and the claims they release), and what each resource is born
with: the `sub` claim."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.resources.models import Resource, ResourceAttribute, ResourceScope

CUSTOM, OPENID_CONNECT, PINGONE_API = "CUSTOM", "OPENID_CONNECT", "PINGONE_API"
CORE, PREDEFINED = "CORE", "PREDEFINED"

OIDC_SCOPES = {
    "openid": "Signals an OpenID Connect request and returns the sub claim.",
    "profile": "The user's default profile claims.",
    "email": "The email and email_verified claims.",
    "address": "The address claim.",
    "phone": "The phone_number and phone_number_verified claims.",
    "offline_access": "A refresh token, to act while the user is not present.",
}

# Self-service scopes of the PingOne API: a user acting on their own data.
PINGONE_API_SCOPES = {
    "p1:read:user": "Read the signed-in user's profile.",
    "p1:update:user": "Update the signed-in user's profile.",
    "p1:read:userPassword": "Read the signed-in user's password state.",
    "p1:reset:userPassword": "Change the signed-in user's password.",
    "p1:read:device": "Read the signed-in user's MFA devices.",
    "p1:create:device": "Add an MFA device for the signed-in user.",
    "p1:update:device": "Update the signed-in user's MFA devices.",
    "p1:delete:device": "Remove the signed-in user's MFA devices.",
    "p1:read:sessions": "Read the signed-in user's sessions.",
    "p1:delete:sessions": "End the signed-in user's sessions.",
}

BUILTIN_SCOPES = {OPENID_CONNECT: OIDC_SCOPES, PINGONE_API: PINGONE_API_SCOPES}

SUB_CLAIM, SUB_VALUE = "sub", "${user.id}"

# The standard OIDC claims (OpenID Connect Core 1.0 section 5.1) a user attribute can fill: the
# openid resource's PREDEFINED attributes, which admins may remap but not remove.
OIDC_CLAIMS = {
    "name": "${user.name.formatted}",
    "given_name": "${user.name.given}",
    "family_name": "${user.name.family}",
    "middle_name": "${user.name.middle}",
    "nickname": "${user.nickname}",
    "preferred_username": "${user.username}",
    "picture": "${user.photo.href}",
    "zoneinfo": "${user.timezone}",
    "locale": "${user.locale}",
    "updated_at": "${user.updatedAt}",
    "email": "${user.email}",
    "email_verified": "${user.emailVerified}",
    "phone_number": "${user.primaryPhone}",
    "address.street_address": "${user.address.streetAddress}",
    "address.locality": "${user.address.locality}",
    "address.region": "${user.address.region}",
    "address.postal_code": "${user.address.postalCode}",
    "address.country": "${user.address.countryCode}",
}

OPENID_AUDIENCE = "openid"


def is_builtin(resource: Resource) -> bool:
    return resource.type != CUSTOM


def is_builtin_scope(resource: Resource, name: str) -> bool:
    """Built-in scopes cannot be renamed or removed, so their name on their resource tells them."""
    return name in BUILTIN_SCOPES.get(resource.type, {})


def sub_attribute(resource: Resource) -> ResourceAttribute:
    """The CORE `sub` claim every custom resource (and openid) carries."""
    oidc = resource.type == OPENID_CONNECT
    return ResourceAttribute(
        environment_id=resource.environment_id,
        resource_id=resource.id,
        name=SUB_CLAIM,
        value=SUB_VALUE,
        type=CORE,
        id_token=True if oidc else None,
        user_info=True if oidc else None,
    )


async def create_builtin_resources(
    session: AsyncSession, environment_id: uuid.UUID, api_audience: str
) -> None:
    api = await _builtin(
        session,
        environment_id,
        "PingOne API",
        "The PingOne platform management and self-service API.",
        PINGONE_API,
        api_audience,
    )
    openid = await _builtin(
        session,
        environment_id,
        "openid",
        "The OpenID Connect resource: userinfo and the standard scopes.",
        OPENID_CONNECT,
        OPENID_AUDIENCE,
    )
    for resource in (api, openid):
        for name, description in BUILTIN_SCOPES[resource.type].items():
            session.add(
                ResourceScope(
                    environment_id=environment_id,
                    resource_id=resource.id,
                    name=name,
                    description=description,
                )
            )
    session.add(sub_attribute(openid))
    for name, value in OIDC_CLAIMS.items():
        session.add(
            ResourceAttribute(
                environment_id=environment_id,
                resource_id=openid.id,
                name=name,
                value=value,
                type=PREDEFINED,
                id_token=True,
                user_info=True,
            )
        )
    await session.flush()


async def _builtin(
    session: AsyncSession,
    environment_id: uuid.UUID,
    name: str,
    description: str,
    kind: str,
    audience: str,
) -> Resource:
    resource = Resource(
        environment_id=environment_id,
        name=name,
        description=description,
        type=kind,
        audience=audience,
    )
    session.add(resource)
    await session.flush()
    return resource
