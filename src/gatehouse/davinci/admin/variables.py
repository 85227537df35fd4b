"""DaVinci variables: company, flow (of one flow), flowInstance and user contexts; a secret's
value is sealed and never returned."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.errors import invalid_value, not_found, uniqueness_violation
from gatehouse.common.ids import new_id
from gatehouse.crypto.sealing import Sealer
from gatehouse.davinci.admin.schemas import VariableBody
from gatehouse.davinci.lookup import fits, parse_id
from gatehouse.davinci.models import DavinciFlow, DavinciVariable


async def list_variables(session: AsyncSession, environment_id: uuid.UUID) -> list[DavinciVariable]:
    rows = await session.scalars(
        sa.select(DavinciVariable)
        .where(DavinciVariable.environment_id == environment_id)
        .order_by(DavinciVariable.created_at, DavinciVariable.id)
    )
    return list(rows)


async def get_variable(
    session: AsyncSession, environment_id: uuid.UUID, variable_id: str
) -> DavinciVariable:
    parsed = parse_id(variable_id)
    variable = await session.get(DavinciVariable, parsed) if parsed else None
    if variable is None or variable.environment_id != environment_id:
        raise not_found()
    return variable


async def _flow_of(
    session: AsyncSession, environment_id: uuid.UUID, data: VariableBody
) -> uuid.UUID | None:
    """The flow a flow variable belongs to; other contexts have none."""
    if data.context != "flow":
        if data.flow is not None:
            raise invalid_value("flow", f"A {data.context} variable does not belong to a flow.")
        return None
    if data.flow is None:
        raise invalid_value("flow", "A flow variable needs flow.id.")
    parsed = parse_id(data.flow.id)
    flow = await session.get(DavinciFlow, parsed) if parsed else None
    if flow is None or flow.environment_id != environment_id:
        raise invalid_value("flow.id", "No such flow in this environment.")
    return flow.id


async def _check_unique(
    session: AsyncSession,
    environment_id: uuid.UUID,
    data: VariableBody,
    flow_id: uuid.UUID | None,
    exclude: uuid.UUID | None,
) -> None:
    query = sa.select(DavinciVariable.id).where(
        DavinciVariable.environment_id == environment_id,
        DavinciVariable.name == data.name,
        DavinciVariable.context == data.context,
        DavinciVariable.flow_id == flow_id if flow_id else DavinciVariable.flow_id.is_(None),
    )
    if exclude is not None:
        query = query.where(DavinciVariable.id != exclude)
    existing = await session.scalar(query.limit(1))
    if existing is not None:
        raise uniqueness_violation(
            "name", "A variable of that name already exists in this context.", existing
        )


def _apply(sealer: Sealer, variable: DavinciVariable, data: VariableBody, keep_value: bool) -> None:
    """Copy the body onto the row; the value must fit the dataType (and min..max for numbers).
    With `keep_value`, a secret left out keeps its sealed value."""
    if data.min > data.max:
        raise invalid_value("min", "min must not be greater than max.")
    variable.name = data.name
    variable.context = data.context
    variable.mutable = data.mutable
    variable.display_name = data.display_name
    variable.minimum = data.min
    variable.maximum = data.max
    if keep_value and data.value is None and data.data_type == variable.data_type == "secret":
        return
    variable.data_type = data.data_type
    if data.value is not None and not fits(variable, data.value):
        raise invalid_value(
            "value", f"The value is not a valid {data.data_type} for this variable."
        )
    variable.set_value(sealer, data.value)


async def create_variable(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, data: VariableBody
) -> DavinciVariable:
    flow_id = await _flow_of(session, environment_id, data)
    await _check_unique(session, environment_id, data, flow_id, None)
    variable = DavinciVariable(id=new_id(), environment_id=environment_id, flow_id=flow_id)
    _apply(sealer, variable, data, keep_value=False)
    session.add(variable)
    await session.flush()
    return variable


async def replace_variable(
    session: AsyncSession, sealer: Sealer, variable: DavinciVariable, data: VariableBody
) -> DavinciVariable:
    flow_id = await _flow_of(session, variable.environment_id, data)
    await _check_unique(session, variable.environment_id, data, flow_id, variable.id)
    variable.flow_id = flow_id
    _apply(sealer, variable, data, keep_value=True)
    await session.flush()
    return variable


async def delete_variable(session: AsyncSession, variable: DavinciVariable) -> None:
    await session.delete(variable)
    await session.flush()
