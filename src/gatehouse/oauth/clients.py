"""Client authentication at the token endpoint (RFC 6749 section 2.3): client_secret_basic and
client_secret_post, each accepted only when it is the application's tokenEndpointAuthMethod."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.applications.secrets import check_secret
from gatehouse.crypto.sealing import Sealer
from gatehouse.oauth.errors import invalid_client, invalid_request


@dataclass(frozen=True)
class PresentedCredentials:
    method: str  # CLIENT_SECRET_BASIC | CLIENT_SECRET_POST | NONE
    client_id: str
    secret: str | None


def presented_credentials(
    authorization: str | None, form: Mapping[str, str]
) -> PresentedCredentials:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise invalid_client("Malformed HTTP Basic credentials.", "Basic") from None
        client_id, separator, secret = decoded.partition(":")
        if not separator:
            raise invalid_client("Malformed HTTP Basic credentials.", "Basic")
        if form.get("client_secret"):
            raise invalid_request("Use one client authentication method, not several.")
        # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
        return PresentedCredentials(
            "CLIENT_SECRET_BASIC", unquote_plus(client_id), unquote_plus(secret)
        )
    client_id = form.get("client_id")
    if not client_id:
        raise invalid_client("Client authentication is required.")
    if form.get("client_secret") is not None:
        return PresentedCredentials("CLIENT_SECRET_POST", client_id, form["client_secret"])
    return PresentedCredentials("NONE", client_id, None)


async def authenticate_client(
    session: AsyncSession,
    sealer: Sealer,
    environment_id: uuid.UUID,
    credentials: PresentedCredentials,
) -> Application:
    scheme = "Basic" if credentials.method == "CLIENT_SECRET_BASIC" else None
    application = await _application(session, environment_id, credentials.client_id)
    if application is None or not application.enabled:
        raise invalid_client("Unknown or disabled client.", scheme)
    expected = application.config.get("tokenEndpointAuthMethod", "CLIENT_SECRET_BASIC")
    if credentials.method != expected:
        raise invalid_client(
            f"This client authenticates with {expected.lower()}, not {credentials.method.lower()}.",
            scheme,
        )
    if credentials.method == "NONE":
        return application
    if not credentials.secret or not await check_secret(
        session, sealer, application.id, credentials.secret
    ):
        raise invalid_client("Client authentication failed.", scheme)
    return application


async def _application(
    session: AsyncSession, environment_id: uuid.UUID, client_id: str
) -> Application | None:
    try:
        application_id = uuid.UUID(client_id)
    except ValueError:
        return None
    application = await session.get(Application, application_id)
    if application is None or application.environment_id != environment_id:
        return None
    return application
