"""The `login_hint_token` of /as/authorize (pingone/08 section 3): a JWT the application signs
(client_jwts: its client secret or its registered keys; never unsigned) naming the user the
sign-on is for, so the flow starts with that user identified (and an MFA-only policy goes
straight to the one-time passcode).

The user is named by exactly one of these claims, in this order of precedence:
`sub` (the user id), `username`, `email` (case-insensitive; it must name one user only) or
`phone_number` (the user's mobile or primary phone, as stored or in E.164).
`iss` must be the client id, `aud` the environment's issuer, and `exp` is required.

A token that does not verify, names nobody, names a user who does not exist, several users, or
one who cannot sign on (disabled, locked) is one and the same refusal: the reason is logged, and
the client is only told the token is not valid, so the endpoint never tells which users exist.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.crypto.sealing import Sealer
from gatehouse.directory.models import User
from gatehouse.directory.users.service import username_key
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.flows.actions.common import usable
from gatehouse.mfa.phones import normalize
from gatehouse.oauth.client_jwts import ClientJwtError, verify_client_jwt

log = logging.getLogger("gatehouse.oauth")

NOT_VALID = "The login_hint_token is not valid."
MAX_CLAIM_LENGTH = 320


class InvalidLoginHintToken(Exception):
    """The one refusal the client sees, whatever the reason."""

    def __init__(self) -> None:
        super().__init__(NOT_VALID)


async def hinted_user(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    application: Application,
    issuer: str,
    token: str,
) -> User:
    """The usable user of the application's environment that `token` names."""
    try:
        verified = await verify_client_jwt(
            session, sealer, policy, application, token, issuer, require_exp=True
        )
        user = await _named_user(session, application.environment_id, verified.claims)
    except ClientJwtError as error:
        log.info("login_hint_token refused for client %s: %s", application.id, error.message)
        raise InvalidLoginHintToken from None
    return user


async def _named_user(
    session: AsyncSession, environment_id: uuid.UUID, claims: dict[str, Any]
) -> User:
    in_environment = User.environment_id == environment_id
    if (subject := _claim(claims, "sub")) is not None:
        condition = User.id == _user_id(subject)
    elif (username := _claim(claims, "username")) is not None:
        condition = User.username_key == username_key(username)
    elif (email := _claim(claims, "email")) is not None:
        condition = sa.func.lower(User.email) == email.lower()
    elif (phone := _claim(claims, "phone_number")) is not None:
        numbers = {phone, _e164(phone)} - {None}
        condition = sa.or_(User.mobile_phone.in_(numbers), User.primary_phone.in_(numbers))
    else:
        raise ClientJwtError("The token names no user (sub, username, email or phone_number).")
    users = list(await session.scalars(sa.select(User).where(in_environment, condition).limit(2)))
    if len(users) != 1:
        raise ClientJwtError(f"The token names {'no' if not users else 'more than one'} user.")
    if not usable(users[0]):
        raise ClientJwtError("The user the token names cannot sign on.")
    return users[0]


def _claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_CLAIM_LENGTH or "\x00" in value:
        raise ClientJwtError(f"The token's {name} claim is not a valid string.")
    return value


def _user_id(subject: str) -> uuid.UUID:
    try:
        return uuid.UUID(subject)
    except ValueError:
        raise ClientJwtError("The token's sub is not a user id.") from None


def _e164(phone: str) -> str | None:
    try:
        return normalize(phone)
    except ValueError:
        return None
