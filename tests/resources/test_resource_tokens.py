"""What a custom resource decides in the tokens issued for it: a client_credentials token for one
of its scopes carries the resource's audience and lives accessTokenValiditySeconds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from gatehouse.applications.models import Application, ApplicationGrant, grant_scopes
from gatehouse.applications.secrets import create_secret, reveal
from tests.resources.conftest import database
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def _service_client(app: Any, env: str, scope: dict[str, Any]) -> tuple[str, str]:
    """(client id, secret) of a client_credentials application granted `scope`."""
    runtime = app.state.runtime
    async with database(app) as session:
        application = Application(
            environment_id=uuid.UUID(env),
            name=f"svc-{uuid.uuid4().hex[:6]}",
            protocol="OPENID_CONNECT",
            type="SERVICE",
            config={
                "grantTypes": ["CLIENT_CREDENTIALS"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            },
        )
        session.add(application)
        await session.flush()
        grant = ApplicationGrant(
            environment_id=application.environment_id,
            application_id=application.id,
            resource_id=uuid.UUID(scope["resource"]["id"]),
        )
        session.add(grant)
        await session.flush()
        await session.execute(
            sa.insert(grant_scopes).values(grant_id=grant.id, scope_id=uuid.UUID(scope["id"]))
        )
        secret = reveal(
            runtime.sealer, await create_secret(session, runtime.sealer, application.id)
        )
    return str(application.id), secret


async def test_client_credentials_token_carries_the_resource_audience_and_lifetime(
    app: Any, admin: Api, env: str
) -> None:
    resource = await admin.create(
        f"/environments/{env}/resources",
        {
            "name": f"photos-{uuid.uuid4().hex[:6]}",
            "audience": "https://photos.example.com",
            "accessTokenValiditySeconds": 900,
        },
    )
    scope = await admin.create(
        f"/environments/{env}/resources/{resource['id']}/scopes", {"name": "photos:read"}
    )
    client_id, secret = await _service_client(app, env, scope)
    response = await admin.client_credentials_token(env, client_id, secret, scope="photos:read")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 900 and body["scope"] == "photos:read"
    keys = KeySet.import_key_set((await admin.client.get(f"/{env}/as/jwks")).json())
    claims = jwt.decode(body["access_token"], keys).claims
    assert claims["aud"] == ["https://photos.example.com"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["scope"] == "photos:read" and "env" not in claims

    await admin.put(
        f"/environments/{env}/resources/{resource['id']}",
        json={"name": resource["name"], "audience": "https://pictures.example.com"},
    )
    renewed = await admin.client_credentials_token(env, client_id, secret, scope="photos:read")
    claims = jwt.decode(renewed.json()["access_token"], keys).claims
    assert claims["aud"] == ["https://pictures.example.com"]
    assert claims["exp"] - claims["iat"] == 3600
