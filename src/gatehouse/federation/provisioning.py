"""Who a federated sign-on signs on: the user linked to the provider's subject, else a user
provisioned just in time.

- A linked user signs on when the account is usable (enabled, not locked); the provider's
  mappings are applied again (ALWAYS ones overwrite, EMPTY_ONLY ones fill empty attributes).
- Otherwise a user is created in the provider's registration.population (else the environment's
  default population) with the attributes the provider's mappings give (mappings.evaluate over
  the ID token's claims and the userinfo, or a SAML assertion's subject and attributes),
  identityProvider {type, id} of the provider, and a LinkedAccount to the subject. A username already taken (a local account, say) is not linked
  silently: the sign-on fails.

Failures raise signon.SignOnError.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.bodies import validate
from gatehouse.common.errors import Problem
from gatehouse.directory.models import User
from gatehouse.directory.users import service as users
from gatehouse.directory.users.schemas import UserCreate, UserPatch
from gatehouse.federation import mappings
from gatehouse.federation.models import IdentityProvider, LinkedAccount
from gatehouse.federation.service import mapping_rules
from gatehouse.federation.signon import SignOnError
from gatehouse.flows.actions.common import usable
from gatehouse.flows.context import user_document
from gatehouse.runtime import Runtime


async def sign_on_user(
    session: AsyncSession,
    runtime: Runtime,
    provider: IdentityProvider,
    subject: str,
    claims: dict[str, Any],
) -> User:
    link = await session.scalar(
        sa.select(LinkedAccount).where(
            LinkedAccount.identity_provider_id == provider.id,
            LinkedAccount.external_id == subject,
        )
    )
    if link is None:
        return await _provision(session, runtime, provider, subject, claims)
    user = await session.get(User, link.user_id)
    if user is None or not usable(user):
        raise SignOnError("The account linked to this identity cannot be used to sign on.")
    await _update(session, provider, user, claims)
    return user


async def _update(
    session: AsyncSession, provider: IdentityProvider, user: User, claims: dict[str, Any]
) -> None:
    rules = await mapping_rules(session, provider)
    current = flattened(user_document(user))
    values = mappings.evaluate(rules, {_namespace(provider): claims}, current)
    changes = {name: value for name, value in values.items() if current.get(name) != value}
    if not changes:
        return
    try:
        async with session.begin_nested():
            await users.patch_user(session, user, validate(UserPatch, nested(changes)))
    except Problem as problem:
        raise SignOnError(f"The user could not be updated: {_reason(problem)}") from None


async def _provision(
    session: AsyncSession,
    runtime: Runtime,
    provider: IdentityProvider,
    subject: str,
    claims: dict[str, Any],
) -> User:
    rules = await mapping_rules(session, provider)
    values = mappings.evaluate(rules, {_namespace(provider): claims})
    if not values.get(mappings.USERNAME):
        raise SignOnError("The identity provider sent no value for the user's username.")
    document = nested(values)
    if provider.population_id is not None:
        document["population"] = {"id": str(provider.population_id)}
    document["identityProvider"] = {"type": provider.type, "id": str(provider.id)}
    try:
        async with session.begin_nested():
            data = validate(UserCreate, document)
            user = await users.create_user(
                session, runtime.hasher, provider.environment_id, data, None
            )
            session.add(
                LinkedAccount(
                    environment_id=provider.environment_id,
                    user_id=user.id,
                    identity_provider_id=provider.id,
                    external_id=subject,
                )
            )
            await session.flush()
    except Problem as problem:
        raise SignOnError(f"The user could not be created: {_reason(problem)}") from None
    return user


def _namespace(provider: IdentityProvider) -> str:
    """Where the provider's data is found: `${samlAssertion.*}` for SAML, else
    `${providerAttributes.*}`."""
    return mappings.SAML_ASSERTION if provider.type == "SAML" else mappings.PROVIDER_ATTRIBUTES


def nested(values: dict[str, Any]) -> dict[str, Any]:
    """`{"name.given": "Ada"}` as the user document `{"name": {"given": "Ada"}}`."""
    document: dict[str, Any] = {}
    for path, value in values.items():
        *parents, last = path.split(".")
        parent = document
        for key in parents:
            parent = parent.setdefault(key, {})
        parent[last] = value
    return document


def flattened(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"name": {"given": "Ada"}}` as `{"name.given": "Ada"}` (what mappings name)."""
    values: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            values.update(flattened(value, f"{prefix}{key}."))
        else:
            values[f"{prefix}{key}"] = value
    return values


def _reason(problem: Problem) -> str:
    details = [detail.message for detail in problem.details if detail.message]
    return " ".join(details) or problem.message
