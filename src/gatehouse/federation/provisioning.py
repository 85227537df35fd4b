"""Who a federated sign-on signs on: the user linked to the provider's subject, else a user
provisioned just in time.

- A linked user signs on when the account is usable (enabled, not locked); the provider's
  mappings are applied again (ALWAYS ones overwrite, EMPTY_ONLY ones fill empty attributes).
- Otherwise (flows.actions.linking decides whether) a user is created in the provider's registration.population (else the population
  the sign-on action's registration names, else the environment's default population) with the attributes the provider's mappings give (mappings.evaluate over
  the ID token's claims and the userinfo, or a SAML assertion's subject and attributes), identityProvider {type, id} of the provider, and a
  LinkedAccount to the subject. A username already taken (a local account, say) is not linked
  silently: `provision` raises UsernameTaken (the flow then asks for account linking).

Failures raise signon.SignOnError.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.bodies import validate
from gatehouse.common.errors import Problem
from gatehouse.directory.models import User
from gatehouse.directory.users import service as users
from gatehouse.directory.users.schemas import UserCreate, UserPatch
from gatehouse.directory.users.service import username_key
from gatehouse.federation import mappings
from gatehouse.federation.models import IdentityProvider, LinkedAccount
from gatehouse.federation.service import mapping_rules
from gatehouse.federation.signon import SignOnError
from gatehouse.flows.actions.common import usable
from gatehouse.flows.context import user_document
from gatehouse.runtime import Runtime

SUBJECT_LINKED = "This identity provider account is linked to another user already."
USER_LINKED = "This user is linked to another account of this identity provider."


class UsernameTaken(SignOnError):
    """The user the provider's data would create has the username of an existing user."""


class InvalidAttributes(SignOnError):
    """The attributes do not make a valid user (the problem says which)."""

    def __init__(self, message: str, problem: Problem) -> None:
        super().__init__(message)
        self.problem = problem


async def linked_user(
    session: AsyncSession, provider: IdentityProvider, subject: str
) -> User | None:
    """The user linked to the provider's subject (SignOnError when it cannot sign on)."""
    link = await session.scalar(
        sa.select(LinkedAccount).where(
            LinkedAccount.identity_provider_id == provider.id,
            LinkedAccount.external_id == subject,
        )
    )
    if link is None:
        return None
    user = await session.get(User, link.user_id)
    if user is None or not usable(user):
        raise SignOnError("The account linked to this identity cannot be used to sign on.")
    return user


async def update(
    session: AsyncSession, provider: IdentityProvider, user: User, claims: dict[str, Any]
) -> None:
    """Apply the provider's mappings to a linked user (ALWAYS overwrites, EMPTY_ONLY fills)."""
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


async def mapped_values(
    session: AsyncSession, provider: IdentityProvider, claims: dict[str, Any]
) -> dict[str, Any]:
    """The attributes, by (dotted) name, a new user would get from the provider's data."""
    rules = await mapping_rules(session, provider)
    return mappings.evaluate(rules, {_namespace(provider): claims})


async def provision(
    session: AsyncSession,
    runtime: Runtime,
    provider: IdentityProvider,
    subject: str,
    values: dict[str, Any],
    population_id: str | None,
) -> User:
    """Create the user (`values` by dotted name) in the provider's registration population,
    else `population_id`, else the default one, and link it. UsernameTaken when the username is
    an existing user's."""
    username = values.get(mappings.USERNAME)
    if not username:
        raise SignOnError("The identity provider sent no value for the user's username.")
    if await username_in_use(session, provider.environment_id, str(username)):
        raise UsernameTaken(f"A user with the username {username!r} exists already.")
    document = nested(values)
    population = str(provider.population_id) if provider.population_id else population_id
    if population is not None:
        document["population"] = {"id": population}
    document["identityProvider"] = {"type": provider.type, "id": str(provider.id)}
    try:
        async with session.begin_nested():
            data = validate(UserCreate, document)
            user = await users.create_user(
                session, runtime.hasher, provider.environment_id, data, None
            )
            await link(session, provider, user, subject)
    except Problem as problem:
        message = f"The user could not be created: {_reason(problem)}"
        raise InvalidAttributes(message, problem) from None
    return user


async def link(session: AsyncSession, provider: IdentityProvider, user: User, subject: str) -> None:
    """Link `user` to the provider's subject; SignOnError when the user already has an account
    of this provider linked, or the subject a user."""
    refusal = await _link_refusal(session, provider, user, subject)
    if refusal is not None:
        raise SignOnError(refusal)
    account = LinkedAccount(
        environment_id=provider.environment_id,
        user_id=user.id,
        identity_provider_id=provider.id,
        external_id=subject,
    )
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
    except IntegrityError:
        # A sign-on linking the user or the subject to this provider committed between the check
        # and the insert: one of the two unique constraints. The savepoint keeps the transaction
        # usable, and the check, run again, now sees the winner's link and says which it was.
        refusal = await _link_refusal(session, provider, user, subject)
        raise SignOnError(refusal or SUBJECT_LINKED) from None


async def _link_refusal(
    session: AsyncSession, provider: IdentityProvider, user: User, subject: str
) -> str | None:
    """Why `user` cannot be linked to the provider's subject, if it cannot."""
    linked = set(
        await session.scalars(
            sa.select(LinkedAccount.user_id).where(
                LinkedAccount.identity_provider_id == provider.id,
                sa.or_(LinkedAccount.user_id == user.id, LinkedAccount.external_id == subject),
            )
        )
    )
    if user.id in linked:
        return USER_LINKED
    return SUBJECT_LINKED if linked else None


async def username_in_use(session: AsyncSession, environment_id: Any, username: str) -> bool:
    found = await session.scalar(
        sa.select(User.id).where(
            User.environment_id == environment_id, User.username_key == username_key(username)
        )
    )
    return found is not None


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
