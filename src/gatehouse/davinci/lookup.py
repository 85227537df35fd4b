"""What the DaVinci runtime reads from the admin side: runnable flows, flow policies, OAuth
clients, variables and connector instances. Plain dataclasses, no HTTP types.

Interface (ids are accepted as 32-hex or dashed UUID strings, or uuid.UUID; an id that does not
parse, or belongs to another environment, is simply not found). The functions that unseal
secrets take the process's `Sealer` (runtime.sealer) right after the session:

    @dataclass(frozen=True)
    class RunnableFlow:
        flow_id: str                 # 32 hex, as in DaVinci exports
        environment_id: uuid.UUID
        name: str
        version: int
        graph_data: dict[str, Any]
        settings: dict[str, Any]
        input_schema: list[Any]
        output_schema: dict[str, Any] | None

    @dataclass(frozen=True)
    class FlowPolicyRef:
        id: str                      # 32 hex
        name: str
        davinci_application_id: str  # 32 hex

    @dataclass(frozen=True)
    class DavinciOAuthClient:
        id: str                      # the DaVinci application id = the OAuth client_id (32 hex)
        name: str
        grant_types: list[str]       # authorizationCode | clientCredentials | implicit
        scopes: list[str]            # openid | profile | offline_access | flow_analytics
        redirect_uris: list[str]
        logout_uris: list[str]
        policy_ids: list[str]        # its flow policies (32 hex), enabled or not
        def verify_secret(self, secret: str) -> bool   # constant time

    async def deployed_flow(session, environment_id, flow_id) -> RunnableFlow | None
    async def flow_version(session, environment_id, flow_id, version) -> RunnableFlow | None
    async def choose_flow(session, environment_id, policy_id)
        -> tuple[FlowPolicyRef, RunnableFlow] | None
    async def flow_policy(session, environment_id, policy_id) -> FlowPolicyRef | None
    async def flow_policy_for_application(session, environment_id, application_id) -> str | None
    async def oauth_client(session, sealer, environment_id, client_id)
        -> DavinciOAuthClient | None
    async def api_key_matches(session, sealer, environment_id, policy_id, api_key) -> bool
    async def variable_values(session, sealer, environment_id, flow_id) -> dict[str, object]
    async def set_variable_value(session, sealer, environment_id, name, value, flow_id=None)
        -> bool
    async def connector_instance_properties(session, sealer, environment_id, connection_id)
        -> tuple[str, dict[str, Any]] | None

- `deployed_flow`: the deployed version of an enabled flow (None if disabled or never deployed).
- `choose_flow`: for an enabled policy, one of its flow distributions picked by weight (a
  distribution without a weight counts 1; distributions whose flow is disabled or lacks the
  version are skipped); the distribution's `version` selects the flow version, and when it is
  absent or not a saved version number, the deployed version runs.
- `flow_policy_for_application`: the PingOne application's first flow policy assignment by
  priority (lowest number first), as a 32-hex id.
- `variable_values`: company variables, then that flow's variables (a flow variable wins over a
  company one of the same name); secret values unsealed.
- `set_variable_value`: writes a mutable company variable (flow_id None) or flow variable;
  returns False (and writes nothing) when there is no such mutable variable or the value does
  not fit its dataType (boolean, number within min..max, string, object, secret).
- `connector_instance_properties`: (connector id, properties with secret values unsealed), the
  properties as the admin API stored them: each name maps to a plain value or to an object
  `{value, type?, ...}` (DaVinci's connection property form).
- `set_variable_value` writes in the caller's session (flushed, committed with it).
"""

from __future__ import annotations

import hmac
import random
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.crypto.sealing import Sealer
from gatehouse.davinci.models import (
    DavinciApplication,
    DavinciConnectorInstance,
    DavinciFlow,
    DavinciFlowPolicy,
    DavinciFlowVersion,
    DavinciVariable,
    FlowPolicyAssignment,
)

Id = str | uuid.UUID
Owned = TypeVar(
    "Owned", DavinciApplication, DavinciConnectorInstance, DavinciFlow, DavinciFlowPolicy
)
_PICK = random.SystemRandom()  # the weighted split of traffic between flows


@dataclass(frozen=True)
class RunnableFlow:
    flow_id: str
    environment_id: uuid.UUID
    name: str
    version: int
    graph_data: dict[str, Any]
    settings: dict[str, Any]
    input_schema: list[Any]
    output_schema: dict[str, Any] | None


@dataclass(frozen=True)
class FlowPolicyRef:
    id: str
    name: str
    davinci_application_id: str


@dataclass(frozen=True)
class DavinciOAuthClient:
    id: str
    name: str
    grant_types: list[str]
    scopes: list[str]
    redirect_uris: list[str]
    logout_uris: list[str]
    policy_ids: list[str]
    _secret: str = field(repr=False, compare=False)

    def verify_secret(self, secret: str) -> bool:
        return hmac.compare_digest(self._secret.encode(), secret.encode())


def parse_id(value: Id) -> uuid.UUID | None:
    """A DaVinci id (32 hex or a dashed UUID) as a UUID; None when it is neither."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


async def _in_environment(
    session: AsyncSession, model: type[Owned], environment_id: uuid.UUID, row_id: Id
) -> Owned | None:
    """The row of `model` with that id, if it belongs to the environment."""
    parsed = parse_id(row_id)
    if parsed is None:
        return None
    row = await session.get(model, parsed)
    return row if row is not None and row.environment_id == environment_id else None


async def _flow(
    session: AsyncSession, environment_id: uuid.UUID, flow_id: Id
) -> DavinciFlow | None:
    return await _in_environment(session, DavinciFlow, environment_id, flow_id)


async def _version_of(
    session: AsyncSession, flow: DavinciFlow, version: int
) -> DavinciFlowVersion | None:
    return await session.scalar(
        sa.select(DavinciFlowVersion).where(
            DavinciFlowVersion.flow_id == flow.id, DavinciFlowVersion.version == version
        )
    )


def _runnable(flow: DavinciFlow, version: DavinciFlowVersion) -> RunnableFlow:
    return RunnableFlow(
        flow_id=flow.id.hex,
        environment_id=flow.environment_id,
        name=flow.name,
        version=version.version,
        graph_data=version.graph_data,
        settings=version.settings,
        input_schema=version.input_schema,
        output_schema=version.output_schema,
    )


async def deployed_flow(
    session: AsyncSession, environment_id: uuid.UUID, flow_id: Id
) -> RunnableFlow | None:
    flow = await _flow(session, environment_id, flow_id)
    if flow is None or not flow.enabled or flow.deployed_version is None:
        return None
    version = await _version_of(session, flow, flow.deployed_version)
    return _runnable(flow, version) if version is not None else None


async def flow_version(
    session: AsyncSession, environment_id: uuid.UUID, flow_id: Id, version: int
) -> RunnableFlow | None:
    """A given saved version of an enabled flow (sub-flow calls may name one)."""
    flow = await _flow(session, environment_id, flow_id)
    if flow is None or not flow.enabled:
        return None
    row = await _version_of(session, flow, version)
    return _runnable(flow, row) if row is not None else None


async def _policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: Id
) -> DavinciFlowPolicy | None:
    return await _in_environment(session, DavinciFlowPolicy, environment_id, policy_id)


def _policy_ref(policy: DavinciFlowPolicy) -> FlowPolicyRef:
    return FlowPolicyRef(policy.id.hex, policy.name, policy.davinci_application_id.hex)


async def flow_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: Id
) -> FlowPolicyRef | None:
    """The policy if it exists in the environment and is enabled."""
    policy = await _policy(session, environment_id, policy_id)
    return _policy_ref(policy) if policy is not None and policy.status == "enabled" else None


async def _distribution_flow(
    session: AsyncSession, environment_id: uuid.UUID, distribution: dict[str, Any]
) -> RunnableFlow | None:
    version = distribution.get("version")
    if isinstance(version, int | float) and not isinstance(version, bool) and version >= 0:
        pinned = await flow_version(session, environment_id, str(distribution["id"]), int(version))
        if pinned is not None:
            return pinned
    return await deployed_flow(session, environment_id, str(distribution.get("id")))


def _weight(distribution: dict[str, Any]) -> float:
    weight = distribution.get("weight")
    if isinstance(weight, int | float) and not isinstance(weight, bool):
        return max(float(weight), 0.0)
    return 1.0


async def choose_flow(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: Id
) -> tuple[FlowPolicyRef, RunnableFlow] | None:
    policy = await _policy(session, environment_id, policy_id)
    if policy is None or policy.status != "enabled":
        return None
    candidates: list[tuple[RunnableFlow, float]] = []
    for distribution in policy.flow_distributions:
        runnable = await _distribution_flow(session, environment_id, distribution)
        if runnable is not None:
            candidates.append((runnable, _weight(distribution)))
    if not candidates:
        return None
    weights = [weight for _, weight in candidates]
    if sum(weights) <= 0:
        weights = [1.0] * len(candidates)
    chosen = _PICK.choices([flow for flow, _ in candidates], weights=weights)[0]
    return _policy_ref(policy), chosen


async def flow_policy_for_application(
    session: AsyncSession, environment_id: uuid.UUID, application_id: Id
) -> str | None:
    parsed = parse_id(application_id)
    if parsed is None:
        return None
    policy_id = await session.scalar(
        sa.select(FlowPolicyAssignment.flow_policy_id)
        .where(
            FlowPolicyAssignment.environment_id == environment_id,
            FlowPolicyAssignment.application_id == parsed,
        )
        .order_by(FlowPolicyAssignment.priority, FlowPolicyAssignment.created_at)
        .limit(1)
    )
    return policy_id.hex if policy_id is not None else None


async def oauth_client(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, client_id: Id
) -> DavinciOAuthClient | None:
    app = await _in_environment(session, DavinciApplication, environment_id, client_id)
    if app is None:
        return None
    policy_ids = await session.scalars(
        sa.select(DavinciFlowPolicy.id)
        .where(DavinciFlowPolicy.davinci_application_id == app.id)
        .order_by(DavinciFlowPolicy.created_at)
    )
    oauth = app.oauth
    return DavinciOAuthClient(
        id=app.id.hex,
        name=app.name,
        grant_types=list(oauth.get("grantTypes", [])),
        scopes=list(oauth.get("scopes", [])),
        redirect_uris=list(oauth.get("redirectUris", [])),
        logout_uris=list(oauth.get("logoutUris", [])),
        policy_ids=[policy_id.hex for policy_id in policy_ids],
        _secret=app.client_secret(sealer),
    )


async def api_key_matches(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, policy_id: Id, api_key: str
) -> bool:
    """Whether `api_key` is the enabled API key of the DaVinci application owning the policy
    (for API-started flows, header X-SK-API-KEY); constant time."""
    policy = await _policy(session, environment_id, policy_id)
    if policy is None:
        return False
    app = await session.get(DavinciApplication, policy.davinci_application_id)
    if app is None or not app.api_key_enabled:
        return False
    return hmac.compare_digest(app.api_key(sealer).encode(), api_key.encode())


async def variable_values(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, flow_id: Id
) -> dict[str, object]:
    parsed = parse_id(flow_id)
    scope = DavinciVariable.context == "company"
    if parsed is not None:
        scope = scope | ((DavinciVariable.context == "flow") & (DavinciVariable.flow_id == parsed))
    rows = await session.scalars(
        sa.select(DavinciVariable)
        .where(DavinciVariable.environment_id == environment_id, scope)
        .order_by(DavinciVariable.context)  # "company" before "flow": flow values win
    )
    return {row.name: row.current_value(sealer) for row in rows}


def fits(variable: DavinciVariable, value: object) -> bool:
    """Whether `value` is of the variable's dataType (numbers also within min..max)."""
    match variable.data_type:
        case "boolean":
            return isinstance(value, bool)
        case "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            low = variable.minimum if variable.minimum is not None else float("-inf")
            high = variable.maximum if variable.maximum is not None else float("inf")
            return low <= value <= high
        case "string" | "secret":
            return isinstance(value, str)
        case "object":
            return isinstance(value, dict | list)
    return False


async def set_variable_value(
    session: AsyncSession,
    sealer: Sealer,
    environment_id: uuid.UUID,
    name: str,
    value: object,
    flow_id: Id | None = None,
) -> bool:
    query = sa.select(DavinciVariable).where(
        DavinciVariable.environment_id == environment_id, DavinciVariable.name == name
    )
    if flow_id is None:
        query = query.where(DavinciVariable.context == "company")
    else:
        parsed = parse_id(flow_id)
        if parsed is None:
            return False
        query = query.where(DavinciVariable.context == "flow", DavinciVariable.flow_id == parsed)
    variable = await session.scalar(query.limit(1))
    if variable is None or not variable.mutable or not fits(variable, value):
        return False
    variable.set_value(sealer, value)
    await session.flush()
    return True


async def connector_instance_properties(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, connection_id: Id
) -> tuple[str, dict[str, Any]] | None:
    instance = await _in_environment(
        session, DavinciConnectorInstance, environment_id, connection_id
    )
    if instance is None:
        return None
    return instance.connector_id, instance.all_properties(sealer)
