"""A token's signature is checked once while the key that verified it stays published: checking it
again would give the same answer. A retired key's tokens are checked anew, and fail."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse.crypto import jwt
from gatehouse.crypto.keys import rotate_signing_key
from gatehouse.oauth.tokens import verify_access_token
from tests.support.actors import worker_application
from tests.support.api import Api

pytestmark = pytest.mark.anyio


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checked: list[str] = []
    verify = jwt.verify

    def counting(token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        checked.append(token)
        return verify(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "verify", counting)
    return checked


async def _verified(app: Any, token: str, env: str | None = None) -> dict[str, Any] | None:
    async with app.state.runtime.sessions() as session:
        found = await verify_access_token(session, token, None if env is None else uuid.UUID(env))
    return None if found is None else found[1]


async def _rotate(app: Any, env: str) -> None:
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        await rotate_signing_key(session, runtime.sealer, uuid.UUID(env))


async def _verified_token(app: Any, admin: Api, env: str) -> str:
    """A worker's access token of `env`, verified once."""
    client_id, secret = await worker_application(admin, env)
    token = await admin.token_for(env, client_id, secret)
    assert await _verified(app, token, env) is not None
    return token


async def test_a_token_is_checked_once_while_its_key_is_published(
    app: Any, admin: Api, env: str, signature_checks: list[str]
) -> None:
    client_id, secret = await worker_application(admin, env)
    token = await admin.token_for(env, client_id, secret)
    first = await _verified(app, token, env)
    assert first is not None and first["client_id"] == client_id
    first["client_id"] = "changed by a caller"
    again = await _verified(app, token, env)
    assert again is not None and again["client_id"] == client_id
    assert await _verified(app, token) == again  # the same answer without the environment
    assert signature_checks == [token]

    await _rotate(app, env)  # the key is PREVIOUS now: still published
    assert await _verified(app, token, env) == again
    assert signature_checks == [token]


async def test_a_token_of_a_retired_key_fails_though_it_verified_before(
    app: Any, admin: Api, env: str
) -> None:
    token = await _verified_token(app, admin, env)
    await _rotate(app, env)
    await _rotate(app, env)  # rotated out twice: retired, no longer published
    assert await _verified(app, token, env) is None
    assert await _verified(app, token) is None


async def test_a_remembered_token_is_not_taken_for_another_environment(
    app: Any, admin: Api, env: str
) -> None:
    token = await _verified_token(app, admin, env)
    other = await admin.create(
        "/environments",
        {"name": f"other-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"},
    )
    assert await _verified(app, token, other["id"]) is None
