"""Groups and their direct memberships.

A group may belong to a population (`population_id`): then only users of that population may join
it, and it may only move to a population that holds all of its members. Gatehouse has no nested or
dynamic groups, so a group's total member count equals its direct member count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Set

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.service import revoke_actor_roles
from gatehouse.common import clock, scim_filter
from gatehouse.common.errors import invalid_value, not_found, uniqueness_violation
from gatehouse.common.pagination import Order, Page, fetch_page
from gatehouse.directory.groups.schemas import GroupWrite
from gatehouse.directory.models import Group, GroupMembership, Population, User

FILTER = scim_filter.Schema(
    {
        "id": scim_filter.Attribute(Group.id, scim_filter.Kind.UUID),
        "name": scim_filter.Attribute(Group.name),
        "displayName": scim_filter.Attribute(Group.name),
        "description": scim_filter.Attribute(Group.description),
        "externalId": scim_filter.Attribute(Group.external_id),
        "population.id": scim_filter.Attribute(Group.population_id, scim_filter.Kind.UUID),
        "createdAt": scim_filter.Attribute(Group.created_at, scim_filter.Kind.DATETIME),
    }
)
ORDER = {"name": Group.name, "createdAt": Group.created_at}
DEFAULT_ORDER = Order(Group.created_at)


async def list_groups(
    session: AsyncSession,
    environment_id: uuid.UUID,
    *,
    filter_text: str | None,
    order: Order,
    limit: int,
    cursor: str | None,
) -> Page:
    stmt = sa.select(Group).where(Group.environment_id == environment_id)
    if filter_text:
        stmt = stmt.where(scim_filter.compile_filter(filter_text, FILTER))
    return await fetch_page(
        session, stmt, id_column=Group.id, order=order, limit=limit, cursor=cursor
    )


async def member_counts(
    session: AsyncSession, group_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The number of members of each group, in one aggregate query (absent: none)."""
    ids = list(group_ids)
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(GroupMembership.group_id, sa.func.count())
        .where(GroupMembership.group_id.in_(ids))
        .group_by(GroupMembership.group_id)
    )
    return {group_id: count for group_id, count in rows.tuples()}


async def get_group(session: AsyncSession, environment_id: uuid.UUID, group_id: uuid.UUID) -> Group:
    group = await session.get(Group, group_id)
    if group is None or group.environment_id != environment_id:
        raise not_found()
    return group


async def create_group(session: AsyncSession, environment_id: uuid.UUID, data: GroupWrite) -> Group:
    await _check(session, environment_id, data)
    group = Group(environment_id=environment_id)
    _apply(group, data)
    session.add(group)
    await session.flush()
    return group


async def update_group(session: AsyncSession, group: Group, data: GroupWrite) -> Group:
    await _check(session, group.environment_id, data, group.id)
    new_population = data.population.id if data.population else None
    if new_population is not None and new_population != group.population_id:
        await _ensure_members_in(session, group, new_population)
    _apply(group, data)
    await session.flush()
    return group


async def delete_group(session: AsyncSession, group: Group) -> None:
    """Deletes the group, its memberships and the roles assigned to it."""
    await revoke_actor_roles(session, "GROUP", group.id)
    await session.delete(group)
    await session.flush()


async def get_member(
    session: AsyncSession,
    environment_id: uuid.UUID,
    user_id: uuid.UUID,
    populations: Set[uuid.UUID] | None,
) -> User:
    """The user whose memberships are read or changed; 404 when it is not in the environment or
    outside the `populations` the caller may act on (None: all)."""
    user = await session.get(User, user_id)
    if user is None or user.environment_id != environment_id:
        raise not_found()
    if populations is not None and user.population_id not in populations:
        raise not_found()
    return user


async def groups_of(session: AsyncSession, user: User) -> list[Group]:
    rows = await session.scalars(
        sa.select(Group)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.user_id == user.id)
        .order_by(Group.name, Group.id)
    )
    return list(rows)


async def membership(session: AsyncSession, user: User, group_id: uuid.UUID) -> Group:
    """The group `user` is a direct member of; 404 when it is not one."""
    group = await session.scalar(
        sa.select(Group)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.user_id == user.id, Group.id == group_id)
    )
    if group is None:
        raise not_found()
    return group


async def add_membership(session: AsyncSession, user: User, group_id: uuid.UUID) -> Group:
    group = await session.get(Group, group_id)
    if group is None or group.environment_id != user.environment_id:
        raise invalid_value("id", f"No group {group_id} exists in this environment.")
    if group.population_id is not None and group.population_id != user.population_id:
        raise invalid_value(
            "id",
            f"The group {group.name!r} belongs to population {group.population_id}: only users "
            "of that population can join it.",
        )
    key = {"user_id": user.id, "group_id": group.id}
    if await session.get(GroupMembership, key) is not None:
        raise uniqueness_violation(
            "id", f"The user is already a member of the group {group.name!r}.", group.id
        )
    session.add(GroupMembership(**key, created_at=clock.now()))
    await session.flush()
    return group


async def remove_membership(session: AsyncSession, user: User, group_id: uuid.UUID) -> None:
    await membership(session, user, group_id)
    await session.execute(
        sa.delete(GroupMembership).where(
            GroupMembership.user_id == user.id, GroupMembership.group_id == group_id
        )
    )


def _apply(group: Group, data: GroupWrite) -> None:
    group.name = data.name
    group.description = data.description
    group.population_id = data.population.id if data.population else None
    group.external_id = data.external_id
    group.custom_data = data.custom_data


async def _check(
    session: AsyncSession,
    environment_id: uuid.UUID,
    data: GroupWrite,
    own_id: uuid.UUID | None = None,
) -> None:
    if data.user_filter is not None:
        raise invalid_value("userFilter", "Dynamic groups (userFilter) are not supported.")
    if data.population is not None:
        population = await session.get(Population, data.population.id)
        if population is None or population.environment_id != environment_id:
            raise invalid_value(
                "population.id", f"No population {data.population.id} exists in this environment."
            )
    clash = await session.scalar(
        sa.select(Group.id).where(
            Group.environment_id == environment_id,
            sa.func.lower(Group.name) == data.name.lower(),
            Group.id != own_id if own_id else sa.true(),
        )
    )
    if clash is not None:
        raise uniqueness_violation("name", f"A group named {data.name!r} already exists.", clash)


async def _ensure_members_in(session: AsyncSession, group: Group, population_id: uuid.UUID) -> None:
    outsider = await session.scalar(
        sa.select(GroupMembership.user_id)
        .join(User, User.id == GroupMembership.user_id)
        .where(GroupMembership.group_id == group.id, User.population_id != population_id)
        .limit(1)
    )
    if outsider is not None:
        raise invalid_value(
            "population.id",
            "The group has members outside that population: remove them before moving the group.",
        )
