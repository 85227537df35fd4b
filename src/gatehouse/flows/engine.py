"""The sign-on flow state machine (pingone/09 sections 1-3 over pingone/04 sections 4-6).

A flow runs one sign-on policy: the first of the application's candidates (its assignments by
priority, the names of `acr_values` in their order, or the environment's default policy). Its
actions run in priority order; an action whose condition does not hold is skipped. Each action
type's `start` gives the first status of the action, or ACTION_COMPLETED when it has nothing to
ask. Then the table `TRANSITIONS`, (status, action) -> Transition, dispatches each request: the
handler returns the next status, ACTION_COMPLETED (go on to the next action), or a refusal.
After the last action the flow is COMPLETED if it knows the user, else FAILED; on completion the
user's last sign-on (time and remote IP) is recorded.

Action types with no handlers yet (AGREEMENT, PINGID_*) fail the flow with the
code ACTION_NOT_AVAILABLE. `session.reset` is offered in every status but COMPLETED and FAILED: it
forgets the user, the browser's session and what the actions kept, and starts the policy again.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from gatehouse.common import clock
from gatehouse.common.bodies import validate
from gatehouse.common.errors import Problem
from gatehouse.flows.actions import (
    external,
    identifier_first,
    linking,
    login,
    multi_factor,
    progressive_profiling,
    recovery,
    registration,
)
from gatehouse.flows.context import Embed, Start, Step, Transition, get_user
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import (
    ACTION_COMPLETED,
    COMPLETED,
    SESSION_RESET,
    TERMINAL,
)
from gatehouse.policies.conditions import ConditionError, evaluate
from gatehouse.policies.models import SignOnPolicy, SignOnPolicyAction
from gatehouse.runtime import Runtime
from gatehouse.sessions.service import get_live_session
from gatehouse.store import config_cache

START: dict[str, Start] = {
    **login.START,
    **identifier_first.START,
    **progressive_profiling.START,
    **multi_factor.START,
    **external.START,
}
TRANSITIONS: dict[tuple[str, str], Transition] = {
    **login.TRANSITIONS,
    **identifier_first.TRANSITIONS,
    **registration.TRANSITIONS,
    **recovery.TRANSITIONS,
    **progressive_profiling.TRANSITIONS,
    **multi_factor.TRANSITIONS,  # after identifier_first: its user.lookup leads to MFA too
    **linking.TRANSITIONS,
}
EMBEDDED: dict[str, list[Embed]] = {}
for _module in (
    login,
    registration,
    recovery,
    progressive_profiling,
    external,
    multi_factor,
    linking,
):
    for _status, _embed in _module.EMBEDDED.items():
        EMBEDDED.setdefault(_status, []).append(_embed)


async def load_step(session: AsyncSession, runtime: Runtime, flow: Flow) -> Step:
    """The flow with its policy's actions, its current action, user and browser session. A flow
    whose current action was deleted from the policy meanwhile fails."""
    actions = await _policy_actions(session, flow)
    action_id = flow.position.get("actionId")
    action = next((item for item in actions if str(item.id) == action_id), None)
    step = Step(
        session=session,
        runtime=runtime,
        flow=flow,
        actions=actions,
        action=action,
        user=await get_user(session, flow.user_id),
        browser_session=await get_live_session(session, flow.environment_id, flow.session_id),
    )
    if action is None and action_id is not None and flow.status not in TERMINAL:
        flow.status = step.fail("POLICY_CHANGED", "The sign-on policy changed during the flow.")
    return step


async def begin(step: Step) -> None:
    await _advance(step, 0)


def offered(step: Step) -> list[str]:
    """The actions the flow offers now, in a stable order."""
    if step.flow.status in TERMINAL:
        return []
    actions = [
        action
        for (status, action), transition in TRANSITIONS.items()
        if status == step.flow.status and transition.offered(step)
    ]
    return [*actions, SESSION_RESET]


async def embedded(step: Step) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for embed in EMBEDDED.get(step.flow.status, []):
        content.update(await embed(step))
    return content


async def dispatch(step: Step, action: str, body: Any) -> Problem | None:
    """Perform `action`; a refusal comes back as a Problem (what the handler wrote is kept),
    invalid input raises one."""
    if action not in offered(step):
        return Problem(
            400,
            "INVALID_REQUEST",
            f"The action {action} is not available in the flow's status {step.flow.status}.",
        )
    if action == SESSION_RESET:
        await _restart(step)
        return None
    transition = TRANSITIONS[(step.flow.status, action)]
    data = (
        validate(transition.model, body if body is not None else {}) if transition.model else None
    )
    outcome = await transition.handler(step, data)
    if isinstance(outcome, Problem):
        return outcome
    if outcome == ACTION_COMPLETED:
        await _advance(step, _index_after(step))
    else:
        step.flow.status = outcome
    return None


async def action_completed(step: Step) -> None:
    """The current action was completed outside the flows API (an external provider's callback):
    go on to the next action, or the end."""
    await _advance(step, _index_after(step))


async def _restart(step: Step) -> None:
    flow = step.flow
    flow.user_id = None
    flow.session_id = None
    flow.authenticators = {}
    flow.failure = None
    step.user = None
    step.browser_session = None
    await _advance(step, 0)


async def _advance(step: Step, index: int) -> None:
    """Run the actions from `index` on until one asks for something, then the end."""
    for action in step.actions[index:]:
        if not _applies(step, action):
            continue
        step.action = action
        step.flow.position = {"actionId": str(action.id)}
        step.flow.state = {}
        start = START.get(action.type, _not_available)
        status = await start(step)
        if status != ACTION_COMPLETED:
            step.flow.status = status
            return
    _finish(step)


def _applies(step: Step, action: SignOnPolicyAction) -> bool:
    try:
        return evaluate(action.condition, step.condition_context())
    except ConditionError:
        return True  # a condition that cannot be read never lets the action be skipped


def _finish(step: Step) -> None:
    flow = step.flow
    flow.state = {}
    if step.user is None:
        flow.status = step.fail(
            "USER_NOT_IDENTIFIED", "The sign-on policy did not identify a user."
        )
        return
    now = clock.now()
    flow.status = COMPLETED
    flow.completed_at = now
    step.user.last_sign_on_at = now
    step.user.last_sign_on_remote_ip = flow.remote_ip


def _index_after(step: Step) -> int:
    assert step.action is not None
    return step.actions.index(step.action) + 1


async def _not_available(step: Step) -> str:
    assert step.action is not None
    return step.fail(
        "ACTION_NOT_AVAILABLE",
        f"The sign-on policy needs a {step.action.type} action, which is not available yet.",
    )


async def _policy_actions(session: AsyncSession, flow: Flow) -> list[SignOnPolicyAction]:
    """The actions of the flow's policy, read once per configuration version: shared copies,
    never changed."""
    policy_id = flow.policies[0]["id"] if flow.policies else None
    if policy_id is None:
        return []

    async def load() -> tuple[SignOnPolicyAction, ...]:
        policy = await session.scalar(
            sa.select(SignOnPolicy)
            .where(
                SignOnPolicy.id == uuid.UUID(policy_id),
                SignOnPolicy.environment_id == flow.environment_id,
            )
            .options(selectinload(SignOnPolicy.actions))
        )
        actions = policy.actions if policy is not None else []
        return tuple(config_cache.detached_copy(action) for action in actions)

    key = ("policy_actions", policy_id)
    return list(await config_cache.cached(session, flow.environment_id, key, load))
