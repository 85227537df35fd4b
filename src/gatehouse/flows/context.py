"""What a flow handler works with (pingone/09 section 5): the flow, the sign-on policy action it
serves, the user once known, the browser's session, and the conditions' view of them
(pingone/04 section 6)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import Problem
from gatehouse.directory.models import User
from gatehouse.directory.users.service import COLUMNS, username_key
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import FAILED
from gatehouse.policies.conditions import ConditionContext
from gatehouse.policies.models import SignOnPolicyAction
from gatehouse.runtime import Runtime
from gatehouse.sessions.models import Session
from gatehouse.store import rows


@dataclass
class Step:
    session: AsyncSession
    runtime: Runtime
    flow: Flow
    actions: list[SignOnPolicyAction]  # the policy's actions, by priority
    action: SignOnPolicyAction | None  # the one being worked on
    user: User | None
    browser_session: Session | None  # the live session the flow started from
    auth_base: str = ""  # the public base URL of the auth prefix, when rendering for a request

    @property
    def config(self) -> dict[str, Any]:
        return self.action.config if self.action is not None else {}

    @property
    def state(self) -> dict[str, Any]:
        return self.flow.state

    def keep(self, **values: Any) -> None:
        """Update the current action's state (JSON columns track assignment, not mutation)."""
        self.flow.state = {**self.flow.state, **values}

    def identify(self, user: User) -> None:
        self.user = user
        self.flow.user_id = user.id

    def authenticated(self, method: str) -> None:
        """The user just completed `method` (RFC 8176 name, e.g. pwd)."""
        self.flow.authenticators = {**self.flow.authenticators, method: clock.now().isoformat()}

    def fail(self, code: str, message: str) -> str:
        self.flow.failure = {"code": code, "message": message}
        return FAILED

    def sign_on_times(self) -> dict[str, datetime]:
        """When each method was last completed: in the browser's session (when it is the same
        user's), then in this flow."""
        times: dict[str, datetime] = {}
        session = self.browser_session
        if session is not None and session.user_id == self.flow.user_id:
            times.update(
                {name: datetime.fromisoformat(at) for name, at in session.authenticators.items()}
            )
        times.update(
            {name: datetime.fromisoformat(at) for name, at in self.flow.authenticators.items()}
        )
        return times

    def condition_context(self) -> ConditionContext:
        times = self.sign_on_times()
        return ConditionContext(
            now=clock.now(),
            last_sign_on_at=max(times.values(), default=None),
            last_password_sign_on_at=times.get("pwd"),
            last_mfa_sign_on_at=times.get("mfa"),
            user=user_document(self.user) if self.user is not None else {},
            remote_ip=self.flow.remote_ip,
        )


# A handler: the step and the parsed body → the next status, ACTION_COMPLETED, or a refusal to
# report while keeping what it wrote (a counted password failure, a spent code).
Handler = Callable[[Step, Any], Awaitable[str | Problem]]
Start = Callable[[Step], Awaitable[str]]
Embed = Callable[[Step], Awaitable[dict[str, Any]]]


def always(_step: Step) -> bool:
    return True


@dataclass(frozen=True)
class Transition:
    """What an action does in a status: its body model (None: it takes no body), its handler, and
    whether the current policy action offers it."""

    model: type[BaseModel] | None
    handler: Handler
    offered: Callable[[Step], bool] = field(default=always)


def user_document(user: User) -> dict[str, Any]:
    """The user as conditions and profiling see it: PingOne's nested attribute names."""
    document: dict[str, Any] = dict(user.custom)
    for path, column in COLUMNS:
        value = getattr(user, column)
        if value is not None:
            parent = document
            for key in path[:-1]:
                parent = parent.setdefault(key, {})
            parent[path[-1]] = value
    document.update(
        id=str(user.id),
        population={"id": str(user.population_id)},
        enabled=user.enabled,
        emailVerified=user.email_verified,
        mfaEnabled=user.mfa_enabled,
        lifecycle={"status": user.lifecycle_status},
    )
    return document


async def find_user(step: Step, username: str) -> User | None:
    return await step.session.scalar(
        sa.select(User).where(
            User.environment_id == step.flow.environment_id,
            User.username_key == username_key(username),
        )
    )


async def get_user(session: AsyncSession, user_id: uuid.UUID | None) -> User | None:
    return await rows.get(session, User, user_id) if user_id is not None else None
