"""An environment's config_version goes up in the transaction of every change to what nodes cache
(applications, their secrets and grants, signing keys, sign-on policies, role assignments, the
built-in roles), whether the change is an ORM write or a bulk statement, and stays put for the
writes of the hot paths (token requests, a previous secret's lastUsed); its revocation_version
goes up with every revocation of an access token, and only then."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from gatehouse.access.models import Role
from gatehouse.access.service import sync_builtin_roles
from gatehouse.crypto.keys import published_keys, rotate_signing_key
from gatehouse.environments.models import Environment
from gatehouse.oauth.models import FamilyAccessToken
from gatehouse.oauth.tokens import revoke_family
from tests.oauth.support import grant
from tests.support.actors import worker_application
from tests.support.api import Api

pytestmark = pytest.mark.anyio

SIGNING_KEY = {
    "name": "Another token key",
    "subjectDN": "CN=Another, O=Example Corp",
    "algorithm": "RSA",
    "keyLength": 2048,
    "signatureAlgorithm": "SHA256withRSA",
    "usageType": "SIGNING",
    "validityPeriod": 365,
    "default": True,
}


async def version(app, env: str, counter: str = "config_version") -> int:
    async with app.state.runtime.sessions() as session:
        found = await session.scalar(
            sa.select(getattr(Environment, counter)).where(Environment.id == uuid.UUID(env))
        )
    assert found is not None
    return found


async def test_every_change_to_cached_configuration_bumps_the_version(
    app, admin: Api, env: str
) -> None:
    start = await version(app, env)
    client_id, _ = await worker_application(admin, env)
    after_create = await version(app, env)
    assert after_create > start

    href = f"/environments/{env}/applications/{client_id}"
    changes = [
        admin.put(
            href,
            json={
                "name": "renamed",
                "type": "WORKER",
                "protocol": "OPENID_CONNECT",
                "enabled": False,
                "grantTypes": ["CLIENT_CREDENTIALS"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            },
        ),
        admin.post(f"{href}/secret", json={}),  # bulk delete of the old secret, new row
        admin.post(f"/environments/{env}/keys", json=SIGNING_KEY),  # bulk demotion of the old key
    ]
    seen = after_create
    for change in changes:
        response = await change
        assert response.status_code in (200, 201), response.text
        now = await version(app, env)
        assert now > seen, response.request.url
        seen = now


async def test_grant_scopes_written_in_bulk_bump_the_version(app, admin: Api, env: str) -> None:
    client_id, _ = await worker_application(admin, env)
    before = await version(app, env)
    await grant(admin, env, client_id, "openid", "openid", "profile")
    assert await version(app, env) > before


async def test_token_requests_and_previous_secret_use_leave_the_version(
    app, admin: Api, env: str
) -> None:
    client_id, secret = await worker_application(admin, env)
    overlap = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rotated = await admin.post(
        f"/environments/{env}/applications/{client_id}/secret",
        json={"previous": {"expiresAt": overlap}},
    )
    assert rotated.status_code == 200, rotated.text
    before = await version(app, env)
    for presented in (secret, rotated.json()["secret"]):  # the previous secret gets lastUsed
        response = await admin.client_credentials_token(env, client_id, presented)
        assert response.status_code == 200, response.text
    assert await version(app, env) == before


async def test_revoking_an_access_token_bumps_the_revocation_version_only(
    app, admin: Api, env: str
) -> None:
    client_id, secret = await worker_application(admin, env)
    issued = await admin.client_credentials_token(env, client_id, secret)
    assert issued.status_code == 200, issued.text
    config, revocations = await version(app, env), await version(app, env, "revocation_version")
    revoked = await admin.client.post(
        f"/{env}/as/revoke", data={"token": issued.json()["access_token"]}, auth=(client_id, secret)
    )
    assert revoked.status_code == 200, revoked.text
    assert await version(app, env, "revocation_version") == revocations + 1
    assert await version(app, env) == config


async def test_ending_a_family_without_live_access_tokens_leaves_the_revocation_version(
    app, env: str
) -> None:
    family = uuid.uuid4()
    async with app.state.runtime.sessions() as session, session.begin():
        expired = datetime.now(UTC) - timedelta(minutes=1)
        session.add(
            FamilyAccessToken(
                jti=uuid.uuid4().hex,
                family=family,
                environment_id=uuid.UUID(env),
                expires_at=expired,
            )
        )
    before = await version(app, env, "revocation_version")
    async with app.state.runtime.sessions() as session, session.begin():
        await revoke_family(session, family)  # a sign-off whose access tokens all expired
    assert await version(app, env, "revocation_version") == before


async def test_role_assignments_and_built_in_role_changes_bump_the_version(
    app, admin: Api, env: str
) -> None:
    client_id, _ = await worker_application(admin, env)
    roles = (await admin.get("/roles")).json()["_embedded"]["roles"]
    role_id = next(role["id"] for role in roles if role["name"] == "Identity Data Admin")
    before = await version(app, env)
    assigned = await admin.post(
        f"/environments/{env}/applications/{client_id}/roleAssignments",
        json={"role": {"id": role_id}, "scope": {"id": env, "type": "ENVIRONMENT"}},
    )
    assert assigned.status_code == 201, assigned.text
    after_assignment = await version(app, env)
    assert after_assignment > before

    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        await sync_builtin_roles(session)  # nothing to refresh: nothing changes
    assert await version(app, env) == after_assignment
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            sa.update(Role).where(Role.id == uuid.UUID(role_id)).values(permissions=[])
        )
    async with runtime.sessions() as session, session.begin():
        await sync_builtin_roles(session)  # the code's permissions again, for every environment
    assert await version(app, env) > after_assignment


async def test_a_rolled_back_change_leaves_the_version(app, env: str) -> None:
    runtime = app.state.runtime
    before = await version(app, env)
    with pytest.raises(RuntimeError):
        async with runtime.sessions() as session, session.begin():
            await rotate_signing_key(session, runtime.sealer, uuid.UUID(env))
            raise RuntimeError("roll back")
    assert await version(app, env) == before


async def test_policy_changes_bump_the_version(app, admin: Api, env: str) -> None:
    policies = (await admin.get(f"/environments/{env}/passwordPolicies")).json()
    basic = next(p for p in policies["_embedded"]["passwordPolicies"] if p["name"] == "Basic")
    sign_on = (await admin.get(f"/environments/{env}/signOnPolicies")).json()
    policy_id = sign_on["_embedded"]["signOnPolicies"][0]["id"]
    changes = [
        # the previous default is unset by a bulk UPDATE
        admin.put(
            f"/environments/{env}/passwordPolicies/{basic['id']}", json={**basic, "default": True}
        ),
        admin.post(
            f"/environments/{env}/signOnPolicies/{policy_id}/actions",
            json={"type": "LOGIN", "priority": 20},
        ),
    ]
    seen = await version(app, env)
    for change in changes:
        response = await change
        assert response.status_code in (200, 201), response.text
        now = await version(app, env)
        assert now > seen, response.request.url
        seen = now


async def test_what_a_rolled_back_change_read_is_never_served(app, env: str) -> None:
    """A session that rotated a key sees its own new key, and the version its own bump gave; had
    it cached that key, the next committed change (the same version) would serve a key that was
    rolled back."""
    runtime = app.state.runtime
    environment_id = uuid.UUID(env)
    with pytest.raises(RuntimeError):
        async with runtime.sessions() as session, session.begin():
            rolled_back = await rotate_signing_key(session, runtime.sealer, environment_id)
            assert (await published_keys(session, environment_id)).current_kid == rolled_back.kid
            raise RuntimeError("roll back")
    async with runtime.sessions() as session, session.begin():
        committed = await rotate_signing_key(session, runtime.sealer, environment_id)
    async with runtime.sessions() as session, session.begin():
        assert (await published_keys(session, environment_id)).current_kid == committed.kid
