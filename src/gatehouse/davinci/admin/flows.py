"""Flows and their versions: a save (create, replace, clone, import) writes a new immutable
version; deploy makes the current version the one that runs; validate lints a graph."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import not_found, request_failed
from gatehouse.common.ids import new_id
from gatehouse.davinci.admin.schemas import FlowBody
from gatehouse.davinci.admin.validation import LintResult, data_of, lint, nodes_of
from gatehouse.davinci.lookup import parse_id
from gatehouse.davinci.models import (
    DavinciConnectorInstance,
    DavinciFlow,
    DavinciFlowPolicy,
    DavinciFlowVersion,
    DavinciVariable,
)

EMPTY_GRAPH: dict[str, Any] = {"elements": {"nodes": [], "edges": []}}


def connector_ids(graph_data: dict[str, Any]) -> list[str]:
    """The connectors the graph's nodes use, in order of first use (DaVinci's `connectorIds`)."""
    found: list[str] = []
    for node in nodes_of(graph_data):
        connector = data_of(node).get("connectorId")
        if isinstance(connector, str) and connector and connector not in found:
            found.append(connector)
    return found


async def list_flows(session: AsyncSession, environment_id: uuid.UUID) -> list[DavinciFlow]:
    rows = await session.scalars(
        sa.select(DavinciFlow)
        .where(DavinciFlow.environment_id == environment_id)
        .order_by(DavinciFlow.created_at, DavinciFlow.id)
    )
    return list(rows)


async def get_flow(session: AsyncSession, environment_id: uuid.UUID, flow_id: str) -> DavinciFlow:
    parsed = parse_id(flow_id)
    flow = await session.get(DavinciFlow, parsed) if parsed else None
    if flow is None or flow.environment_id != environment_id:
        raise not_found()
    return flow


async def versions_by_flow(
    session: AsyncSession, flows: list[DavinciFlow]
) -> dict[uuid.UUID, DavinciFlowVersion]:
    """The current version of each flow, in one query."""
    if not flows:
        return {}
    rows = await session.scalars(
        sa.select(DavinciFlowVersion).where(
            sa.tuple_(DavinciFlowVersion.flow_id, DavinciFlowVersion.version).in_(
                [(flow.id, flow.current_version) for flow in flows]
            )
        )
    )
    return {row.flow_id: row for row in rows}


async def current_version(session: AsyncSession, flow: DavinciFlow) -> DavinciFlowVersion:
    return await get_version_number(session, flow, flow.current_version)


async def get_version_number(
    session: AsyncSession, flow: DavinciFlow, number: int
) -> DavinciFlowVersion:
    row = await session.scalar(
        sa.select(DavinciFlowVersion).where(
            DavinciFlowVersion.flow_id == flow.id, DavinciFlowVersion.version == number
        )
    )
    if row is None:
        raise not_found()
    return row


async def get_version(
    session: AsyncSession, flow: DavinciFlow, version_id: str
) -> DavinciFlowVersion:
    if not version_id.isdigit() or len(version_id) > 9:
        raise not_found()
    return await get_version_number(session, flow, int(version_id))


async def list_versions(session: AsyncSession, flow: DavinciFlow) -> list[DavinciFlowVersion]:
    rows = await session.scalars(
        sa.select(DavinciFlowVersion)
        .where(DavinciFlowVersion.flow_id == flow.id)
        .order_by(DavinciFlowVersion.version.desc())
    )
    return list(rows)


def save_version(
    session: AsyncSession,
    flow: DavinciFlow,
    number: int,
    content: dict[str, Any],
    extras: dict[str, Any] | None = None,
) -> DavinciFlowVersion:
    """Write version `number` of the flow from `content` (graphData, settings, inputSchema,
    outputSchema, trigger) and make it the current one; the flow's own copies follow it."""
    version = DavinciFlowVersion(
        environment_id=flow.environment_id,
        flow_id=flow.id,
        version=number,
        graph_data=content.get("graphData") or EMPTY_GRAPH,
        settings=content.get("settings") or {},
        input_schema=content.get("inputSchema") or [],
        output_schema=content.get("outputSchema"),
        trigger=content.get("trigger"),
        extras=extras or {},
        created_at=clock.now(),
    )
    session.add(version)
    flow.current_version = number
    flow.settings = version.settings
    flow.input_schema = version.input_schema
    flow.output_schema = version.output_schema
    flow.trigger = version.trigger
    flow.updated_at = clock.now()
    return version


def _content(data: FlowBody) -> dict[str, Any]:
    return data.model_dump(
        by_alias=True,
        mode="json",
        include={"graph_data", "settings", "input_schema", "output_schema", "trigger"},
        exclude_none=True,
    )


def new_flow(environment_id: uuid.UUID, name: str) -> DavinciFlow:
    return DavinciFlow(
        id=new_id(),
        environment_id=environment_id,
        name=name,
        enabled=True,
        current_version=0,
        settings={},
        input_schema=[],
        created_at=clock.now(),
        updated_at=clock.now(),
    )


async def create_flow(
    session: AsyncSession, environment_id: uuid.UUID, data: FlowBody
) -> DavinciFlow:
    flow = new_flow(environment_id, data.name)
    flow.description = data.description
    flow.color = data.color
    session.add(flow)
    await session.flush()
    save_version(session, flow, 1, _content(data))
    await session.flush()
    return flow


async def replace_flow(session: AsyncSession, flow: DavinciFlow, data: FlowBody) -> DavinciFlow:
    """PUT: name, description and color are replaced; the graph, settings and schemas are saved
    as a new version, each one left out carried over from the current version."""
    current = await current_version(session, flow)
    content = {
        "graphData": current.graph_data,
        "settings": current.settings,
        "inputSchema": current.input_schema,
        "outputSchema": current.output_schema,
        "trigger": current.trigger,
        **_content(data),
    }
    flow.name = data.name
    flow.description = data.description
    flow.color = data.color
    save_version(session, flow, flow.current_version + 1, content, current.extras)
    try:
        await session.flush()
    except IntegrityError:
        # another save took this version number first (the flow_id/version unique constraint)
        raise request_failed(
            "The flow was saved by another request meanwhile; try again."
        ) from None
    return flow


async def _refuse_if_distributed(
    session: AsyncSession, flow: DavinciFlow, version: int | None, what: str
) -> None:
    """400 REQUEST_FAILED when a flow policy distributes to the flow (at `version`, if given)."""
    policies = await session.scalars(
        sa.select(DavinciFlowPolicy).where(DavinciFlowPolicy.environment_id == flow.environment_id)
    )
    for policy in policies:
        for item in policy.flow_distributions:
            if item.get("id") == flow.id.hex and version in (None, item.get("version")):
                raise request_failed(
                    f"{what} is used by the flow policy '{policy.name}' ({policy.id.hex})."
                )


async def delete_flow(session: AsyncSession, flow: DavinciFlow) -> None:
    """A flow that a flow policy distributes to cannot be deleted (400 REQUEST_FAILED)."""
    await _refuse_if_distributed(session, flow, None, "The flow")
    await session.delete(flow)
    await session.flush()


async def clone_flow(session: AsyncSession, flow: DavinciFlow, name: str | None) -> DavinciFlow:
    """A new flow with the current version of this one as its version 1, and copies of its
    flow variables; not deployed."""
    current = await current_version(session, flow)
    clone = new_flow(flow.environment_id, name or f"{flow.name} (copy)")
    clone.description = flow.description
    clone.color = flow.color
    clone.enabled = flow.enabled
    session.add(clone)
    await session.flush()
    content = {
        "graphData": current.graph_data,
        "settings": current.settings,
        "inputSchema": current.input_schema,
        "outputSchema": current.output_schema,
        "trigger": current.trigger,
    }
    save_version(session, clone, 1, content, current.extras)
    for variable in await session.scalars(
        sa.select(DavinciVariable).where(DavinciVariable.flow_id == flow.id)
    ):
        session.add(copy_variable(variable, clone.id))
    await session.flush()
    return clone


def copy_variable(variable: DavinciVariable, flow_id: uuid.UUID) -> DavinciVariable:
    """The variable for another flow; a sealed value is sealed to its row id, so a secret's value
    is not copied."""
    return DavinciVariable(
        id=new_id(),
        environment_id=variable.environment_id,
        name=variable.name,
        context=variable.context,
        data_type=variable.data_type,
        mutable=variable.mutable,
        display_name=variable.display_name,
        flow_id=flow_id,
        minimum=variable.minimum,
        maximum=variable.maximum,
        value=variable.value,
    )


async def deploy_flow(session: AsyncSession, flow: DavinciFlow) -> DavinciFlow:
    flow.deployed_version = flow.current_version
    flow.deployed_at = clock.now()
    await session.flush()
    return flow


async def set_enabled(session: AsyncSession, flow: DavinciFlow, enabled: bool) -> DavinciFlow:
    flow.enabled = enabled
    await session.flush()
    return flow


async def delete_version(
    session: AsyncSession, flow: DavinciFlow, version: DavinciFlowVersion
) -> None:
    if version.version == flow.current_version:
        raise request_failed("The current version of a flow cannot be deleted.")
    if version.version == flow.deployed_version:
        raise request_failed("The deployed version of a flow cannot be deleted.")
    await _refuse_if_distributed(session, flow, version.version, "The version")
    await session.delete(version)
    await session.flush()


async def set_alias(
    session: AsyncSession, version: DavinciFlowVersion, alias: str
) -> DavinciFlowVersion:
    version.alias = alias
    await session.flush()
    return version


async def connection_ids(session: AsyncSession, environment_id: uuid.UUID) -> set[str]:
    rows = await session.scalars(
        sa.select(DavinciConnectorInstance.id).where(
            DavinciConnectorInstance.environment_id == environment_id
        )
    )
    return {row.hex for row in rows}


async def validate(
    session: AsyncSession, flow: DavinciFlow, graph_data: dict[str, Any] | None
) -> tuple[dict[str, Any], LintResult]:
    """Lint the given graph, or the current version's: (the graph, the result)."""
    if graph_data is None:
        graph_data = (await current_version(session, flow)).graph_data
    known = await connection_ids(session, flow.environment_id)
    return graph_data, lint(flow.id.hex, graph_data, known)
