"""Token revocation (RFC 7009): an authenticated client revokes one of its refresh tokens (and with
it the whole family: every refresh and access token of the same grant, section 2.1) or one of its
access tokens. Tokens that are unknown, invalid or expired are answered 200 all the same (2.2)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.crypto.sealing import Sealer
from gatehouse.environments.models import Environment
from gatehouse.oauth.errors import invalid_grant
from gatehouse.oauth.tokens import (
    find_refresh_token,
    revoke_access_token,
    revoke_family,
    verify_signature,
)


async def revoke(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    application: Application,
    token: str,
    hint: str | None,
) -> None:
    """The hint only orders the lookups (2.1). A token issued to another client is refused."""
    lookups = (_refresh_token, _access_token)
    if hint == "access_token":
        lookups = (_access_token, _refresh_token)
    for lookup in lookups:
        if await lookup(session, sealer, environment, application, token):
            return


async def _refresh_token(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    application: Application,
    token: str,
) -> bool:
    row = await find_refresh_token(session, sealer, environment.id, token)
    if row is None:
        return False
    if row.application_id != application.id:
        raise invalid_grant("The token was issued to another client.")
    await revoke_family(session, row.family)
    return True


async def _access_token(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    application: Application,
    token: str,
) -> bool:
    verified = await verify_signature(session, token, environment.id)
    if verified is None or verified[0] != environment.id:
        return False
    claims = verified[1]
    if claims.get("client_id") != str(application.id):
        raise invalid_grant("The token was issued to another client.")
    await revoke_access_token(session, environment.id, claims)
    return True
