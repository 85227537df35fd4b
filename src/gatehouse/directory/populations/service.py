"""Populations: exactly one default per environment; a population holding users stays."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.models import RoleAssignment
from gatehouse.access.roles import POPULATION
from gatehouse.common import scim_filter
from gatehouse.common.defaults import apply_default, make_default, refuse_deleting_default
from gatehouse.common.errors import invalid_value, not_found, request_failed, uniqueness_violation
from gatehouse.common.pagination import Order, Page, fetch_page
from gatehouse.directory.models import PasswordPolicy, Population, User
from gatehouse.directory.populations.schemas import PopulationWrite

FILTER = scim_filter.Schema(
    {
        "id": scim_filter.Attribute(Population.id, scim_filter.Kind.UUID),
        "name": scim_filter.Attribute(Population.name),
        "description": scim_filter.Attribute(Population.description),
        "passwordPolicy.id": scim_filter.Attribute(
            Population.password_policy_id, scim_filter.Kind.UUID
        ),
        "createdAt": scim_filter.Attribute(Population.created_at, scim_filter.Kind.DATETIME),
    }
)
ORDER = {"name": Population.name, "createdAt": Population.created_at}
DEFAULT_ORDER = Order(Population.created_at)


async def list_populations(
    session: AsyncSession,
    environment_id: uuid.UUID,
    *,
    filter_text: str | None,
    order: Order,
    limit: int,
    cursor: str | None,
) -> Page:
    stmt = sa.select(Population).where(Population.environment_id == environment_id)
    if filter_text:
        stmt = stmt.where(scim_filter.compile_filter(filter_text, FILTER))
    return await fetch_page(
        session, stmt, id_column=Population.id, order=order, limit=limit, cursor=cursor
    )


async def user_counts(
    session: AsyncSession, population_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The number of users of each population, in one aggregate query (absent: none)."""
    ids = list(population_ids)
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(User.population_id, sa.func.count())
        .where(User.population_id.in_(ids))
        .group_by(User.population_id)
    )
    return {population_id: count for population_id, count in rows.tuples()}


async def get_population(
    session: AsyncSession, environment_id: uuid.UUID, population_id: uuid.UUID
) -> Population:
    population = await session.get(Population, population_id)
    if population is None or population.environment_id != environment_id:
        raise not_found()
    return population


async def create_population(
    session: AsyncSession, environment_id: uuid.UUID, data: PopulationWrite
) -> Population:
    await _ensure_unique_name(session, environment_id, data.name)
    await _ensure_password_policy(session, environment_id, data)
    population = Population(environment_id=environment_id, default=False)
    _apply(population, data)
    session.add(population)
    await session.flush()
    if data.default:
        await make_default(session, population)
    return population


async def update_population(
    session: AsyncSession, population: Population, data: PopulationWrite
) -> Population:
    if data.name.casefold() != population.name.casefold():
        await _ensure_unique_name(session, population.environment_id, data.name, population.id)
    await _ensure_password_policy(session, population.environment_id, data)
    await apply_default(session, population, data.default, "population")
    _apply(population, data)
    await session.flush()
    return population


async def delete_population(session: AsyncSession, population: Population) -> None:
    refuse_deleting_default(population, "population")
    users = (await user_counts(session, [population.id])).get(population.id, 0)
    if users:
        raise request_failed(
            f"The population still has {users} user(s): delete them or move them to another "
            "population before deleting it."
        )
    await session.execute(
        sa.delete(RoleAssignment).where(
            RoleAssignment.scope_type == POPULATION, RoleAssignment.scope_id == population.id
        )
    )
    await session.delete(population)
    await session.flush()


def _apply(population: Population, data: PopulationWrite) -> None:
    population.name = data.name
    population.description = data.description
    population.password_policy_id = data.password_policy.id if data.password_policy else None
    population.preferred_language = data.preferred_language
    population.alternative_identifiers = data.alternative_identifiers
    population.theme_id = data.theme.id if data.theme else None


async def _ensure_password_policy(
    session: AsyncSession, environment_id: uuid.UUID, data: PopulationWrite
) -> None:
    if data.password_policy is None:
        return
    found = await session.scalar(
        sa.select(PasswordPolicy.id).where(
            PasswordPolicy.id == data.password_policy.id,
            PasswordPolicy.environment_id == environment_id,
        )
    )
    if found is None:
        raise invalid_value(
            "passwordPolicy.id",
            f"No password policy {data.password_policy.id} exists in this environment.",
        )


async def _ensure_unique_name(
    session: AsyncSession,
    environment_id: uuid.UUID,
    name: str,
    own_id: uuid.UUID | None = None,
) -> None:
    clash = await session.scalar(
        sa.select(Population.id).where(
            Population.environment_id == environment_id,
            sa.func.lower(Population.name) == name.lower(),
            Population.id != own_id if own_id else sa.true(),
        )
    )
    if clash is not None:
        raise uniqueness_violation("name", f"A population named {name!r} already exists.", clash)
