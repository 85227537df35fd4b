"""Administrators with chosen roles, made directly in the database so any test can act as them;
worker applications made through the API."""

from __future__ import annotations

import uuid
from typing import Any

from gatehouse.access.service import grant_role
from gatehouse.applications.models import Application
from gatehouse.applications.secrets import create_secret, reveal
from tests.support.api import Api

WORKER_CONFIG = {
    "grantTypes": ["CLIENT_CREDENTIALS"],
    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
}


async def worker(app: Any, api: Api, environment_id: str, roles: list[tuple[str, str, str]]) -> Api:
    """A worker application of `environment_id` holding `roles` — (role name, scope type, scope
    id) — and an Api client carrying its token."""
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        application = Application(
            environment_id=uuid.UUID(environment_id),
            name=f"worker-{uuid.uuid4().hex[:8]}",
            enabled=True,
            protocol="OPENID_CONNECT",
            type="WORKER",
            config=dict(WORKER_CONFIG),
        )
        session.add(application)
        await session.flush()
        secret = reveal(
            runtime.sealer, await create_secret(session, runtime.sealer, application.id)
        )
        for role_name, scope_type, scope_id in roles:
            await grant_role(
                session,
                environment_id=application.environment_id,
                actor_type="APPLICATION",
                actor_id=application.id,
                role_name=role_name,
                scope_type=scope_type,
                scope_id=uuid.UUID(scope_id),
            )
    token = await api.with_token(None).token_for(environment_id, str(application.id), secret)
    return api.with_token(token)


async def worker_application(admin: Api, env: str) -> tuple[str, str]:
    """A client_credentials worker application of `env`, made through the API: (id, secret)."""
    created = await admin.create(
        f"/environments/{env}/applications",
        {
            "name": f"worker-{uuid.uuid4().hex[:8]}",
            "type": "WORKER",
            "protocol": "OPENID_CONNECT",
            "enabled": True,
            **WORKER_CONFIG,
        },
    )
    secret = (await admin.get(f"/environments/{env}/applications/{created['id']}/secret")).json()
    return created["id"], secret["secret"]
