"""DaVinci applications (API key, OAuth client settings, key and secret rotation) and their flow
policies (weighted distributions over flow versions)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.errors import Detail, invalid_data, not_found
from gatehouse.common.ids import new_id
from gatehouse.crypto.sealing import Sealer, random_secret
from gatehouse.davinci.admin.schemas import (
    DavinciApplicationCreate,
    DavinciApplicationReplace,
    FlowPolicyBody,
    OAuthSettings,
)
from gatehouse.davinci.lookup import parse_id
from gatehouse.davinci.models import (
    DavinciApplication,
    DavinciFlow,
    DavinciFlowPolicy,
    DavinciFlowVersion,
)
from gatehouse.davinci.runtime.models import COMPLETED, DavinciInteraction

INVALID = "The request could not be completed. One or more validation errors were in the request."


def new_api_key() -> str:
    return secrets.token_hex(64)


def oauth_settings(data: OAuthSettings) -> dict[str, Any]:
    return data.model_dump(by_alias=True, exclude_none=True, mode="json")


async def list_applications(
    session: AsyncSession, environment_id: uuid.UUID
) -> list[DavinciApplication]:
    rows = await session.scalars(
        sa.select(DavinciApplication)
        .where(DavinciApplication.environment_id == environment_id)
        .order_by(DavinciApplication.created_at, DavinciApplication.id)
    )
    return list(rows)


async def get_application(
    session: AsyncSession, environment_id: uuid.UUID, application_id: str
) -> DavinciApplication:
    parsed = parse_id(application_id)
    app = await session.get(DavinciApplication, parsed) if parsed else None
    if app is None or app.environment_id != environment_id:
        raise not_found()
    return app


async def create_application(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, data: DavinciApplicationCreate
) -> DavinciApplication:
    app = DavinciApplication(
        id=new_id(),
        environment_id=environment_id,
        name=data.name,
        api_key_enabled=True,
        oauth=oauth_settings(OAuthSettings()),
    )
    app.set_api_key(sealer, new_api_key())
    app.set_client_secret(sealer, random_secret())
    session.add(app)
    await session.flush()
    return app


async def replace_application(
    session: AsyncSession, app: DavinciApplication, data: DavinciApplicationReplace
) -> DavinciApplication:
    """PUT: `name` is required; `apiKey` and `oauth` left out keep their current settings."""
    app.name = data.name
    if data.api_key is not None:
        app.api_key_enabled = data.api_key.enabled
    if data.oauth is not None:
        app.oauth = oauth_settings(data.oauth)
    await session.flush()
    return app


async def rotate_key(session: AsyncSession, sealer: Sealer, app: DavinciApplication) -> None:
    app.set_api_key(sealer, new_api_key())
    await session.flush()


async def rotate_secret(session: AsyncSession, sealer: Sealer, app: DavinciApplication) -> None:
    app.set_client_secret(sealer, random_secret())
    await session.flush()


async def delete_application(session: AsyncSession, app: DavinciApplication) -> None:
    await session.delete(app)
    await session.flush()


# --- flow policies --------------------------------------------------------------------------------


async def list_policies(session: AsyncSession, app: DavinciApplication) -> list[DavinciFlowPolicy]:
    rows = await session.scalars(
        sa.select(DavinciFlowPolicy)
        .where(DavinciFlowPolicy.davinci_application_id == app.id)
        .order_by(DavinciFlowPolicy.created_at, DavinciFlowPolicy.id)
    )
    return list(rows)


async def find_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: str
) -> DavinciFlowPolicy:
    parsed = parse_id(policy_id)
    policy = await session.get(DavinciFlowPolicy, parsed) if parsed else None
    if policy is None or policy.environment_id != environment_id:
        raise not_found()
    return policy


async def get_policy(
    session: AsyncSession, app: DavinciApplication, policy_id: str
) -> DavinciFlowPolicy:
    policy = await find_policy(session, app.environment_id, policy_id)
    if policy.davinci_application_id != app.id:
        raise not_found()
    return policy


async def _distributions(
    session: AsyncSession, environment_id: uuid.UUID, data: FlowPolicyBody
) -> list[dict[str, Any]]:
    """The distributions as stored (flow ids as 32 hex); every flow must exist in the environment
    and a version of 0 or more must be one of its saved versions (-1: the deployed version)."""
    distributions: list[dict[str, Any]] = []
    problems: list[Detail] = []
    for index, item in enumerate(data.flow_distributions):
        target = f"flowDistributions[{index}]"
        parsed = parse_id(item.id)
        flow = await session.get(DavinciFlow, parsed) if parsed else None
        if flow is None or flow.environment_id != environment_id:
            problems.append(Detail("INVALID_VALUE", "No such flow in this environment.", target))
            continue
        if item.version != int(item.version):
            problems.append(
                Detail(
                    "INVALID_VALUE", "version must be -1 or a version number", f"{target}.version"
                )
            )
            continue
        if item.version >= 0 and not await _has_version(session, flow, int(item.version)):
            problems.append(
                Detail("INVALID_VALUE", "The flow has no such version.", f"{target}.version")
            )
            continue
        stored = item.model_dump(by_alias=True, exclude_none=True, mode="json")
        stored["id"] = flow.id.hex
        distributions.append(stored)
    if problems:
        raise invalid_data(INVALID, *problems)
    return distributions


async def _has_version(session: AsyncSession, flow: DavinciFlow, version: int) -> bool:
    found = await session.scalar(
        sa.select(DavinciFlowVersion.id).where(
            DavinciFlowVersion.flow_id == flow.id, DavinciFlowVersion.version == version
        )
    )
    return found is not None


def _trigger(data: FlowPolicyBody) -> dict[str, Any] | None:
    if data.trigger is None:
        return None
    return data.trigger.model_dump(by_alias=True, exclude_none=True, mode="json")


async def create_policy(
    session: AsyncSession, app: DavinciApplication, data: FlowPolicyBody
) -> DavinciFlowPolicy:
    policy = DavinciFlowPolicy(
        environment_id=app.environment_id,
        davinci_application_id=app.id,
        name=data.name,
        status=data.status,
        trigger=_trigger(data),
        flow_distributions=await _distributions(session, app.environment_id, data),
    )
    session.add(policy)
    await session.flush()
    return policy


async def replace_policy(
    session: AsyncSession, policy: DavinciFlowPolicy, data: FlowPolicyBody
) -> DavinciFlowPolicy:
    policy.flow_distributions = await _distributions(session, policy.environment_id, data)
    policy.name = data.name
    policy.status = data.status
    policy.trigger = _trigger(data)
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy: DavinciFlowPolicy) -> None:
    await session.delete(policy)
    await session.flush()


@dataclass(frozen=True)
class FlowEvents:
    """What a flow policy ran of one flow: runs (interactions) started, completed, the latest."""

    flow_id: uuid.UUID
    total: int
    succeeded: int
    latest: list[tuple[uuid.UUID, datetime]]


async def policy_events(
    session: AsyncSession, policy: DavinciFlowPolicy, latest: int = 100
) -> list[FlowEvents]:
    """Per flow the policy started, the count of runs, of completed runs, and the `latest` runs
    (id and start time, newest first), from the runtime's interactions."""
    counts = await session.execute(
        sa.select(
            DavinciInteraction.flow_id,
            sa.func.count(),
            sa.func.count().filter(DavinciInteraction.status == COMPLETED),
        )
        .where(DavinciInteraction.flow_policy_id == policy.id)
        .group_by(DavinciInteraction.flow_id)
        .order_by(DavinciInteraction.flow_id)
    )
    found = []
    for flow_id, total, succeeded in counts:
        runs = await session.execute(
            sa.select(DavinciInteraction.id, DavinciInteraction.created_at)
            .where(
                DavinciInteraction.flow_policy_id == policy.id,
                DavinciInteraction.flow_id == flow_id,
            )
            .order_by(DavinciInteraction.created_at.desc(), DavinciInteraction.id)
            .limit(latest)
        )
        found.append(FlowEvents(flow_id, total, succeeded, [(row[0], row[1]) for row in runs]))
    return found
