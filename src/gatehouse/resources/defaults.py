"""The resources every new environment has: the PingOne API and openid (with the standard OIDC
scopes)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.resources.models import Resource, ResourceScope

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

OPENID_AUDIENCE = "openid"


async def create_builtin_resources(
    session: AsyncSession, environment_id: uuid.UUID, api_audience: str
) -> None:
    builtins = (
        (
            "PingOne API",
            "The PingOne platform management and self-service API.",
            "PINGONE_API",
            api_audience,
            PINGONE_API_SCOPES,
        ),
        (
            "openid",
            "The OpenID Connect resource: userinfo and the standard scopes.",
            "OPENID_CONNECT",
            OPENID_AUDIENCE,
            OIDC_SCOPES,
        ),
    )
    for name, description, kind, audience, scopes in builtins:
        resource = Resource(
            environment_id=environment_id,
            name=name,
            description=description,
            type=kind,
            audience=audience,
        )
        session.add(resource)
        await session.flush()
        for scope_name, scope_description in scopes.items():
            session.add(
                ResourceScope(
                    environment_id=environment_id,
                    resource_id=resource.id,
                    name=scope_name,
                    description=scope_description,
                )
            )
    await session.flush()
