"""Signing keys rotate: new tokens use the new key, the previous key stays published so tokens it
signed still verify, and a key rotated out twice is retired and no longer trusted."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from gatehouse.crypto.keys import rotate_signing_key
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio


async def _rotate(app, environment_id: str) -> str:
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        return (await rotate_signing_key(session, runtime.sealer, uuid.UUID(environment_id))).kid


def _header_kid(token: str) -> str:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


async def test_rotation_keeps_previous_tokens_valid_and_signs_with_the_new_key(
    app, admin: Api, credentials: Credentials
) -> None:
    env = credentials.environment_id
    old_token = admin.token
    old_kid = _header_kid(old_token)
    new_kid = await _rotate(app, env)
    published = {key["kid"] for key in (await admin.client.get(f"/{env}/as/jwks")).json()["keys"]}
    assert published == {old_kid, new_kid}
    assert (await admin.get("/environments")).status_code == 200
    fresh = await admin.token_for(env, credentials.client_id, credentials.client_secret)
    assert _header_kid(fresh) == new_kid

    await _rotate(app, env)
    published = {key["kid"] for key in (await admin.client.get(f"/{env}/as/jwks")).json()["keys"]}
    assert old_kid not in published and new_kid in published
    assert_error(await admin.get("/environments"), 401, "ACCESS_FAILED", detail="INVALID_TOKEN")
    assert (await admin.with_token(fresh).get("/environments")).status_code == 200
