"""The connector catalog as the admin API shows it, and connector instances ("connections" in
flow exports): a configured connector whose properties nodes run with.

Instance properties are stored as sent: each name maps to a plain value or to `{value, type?,
...}`. A property is secret when its object says `"type": "secret"` or the catalog describes a
property of that name as `secret`; its value is sealed, shown as `******`, and a PUT that
sends `******` (or leaves the value out) keeps it.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.errors import invalid_value, not_found
from gatehouse.common.ids import new_id
from gatehouse.crypto.sealing import Sealer
from gatehouse.davinci.admin.schemas import ConnectorInstanceBody
from gatehouse.davinci.connectors import catalog
from gatehouse.davinci.connectors.catalog import ConnectorSpec
from gatehouse.davinci.lookup import parse_id
from gatehouse.davinci.models import DavinciConnectorInstance

MASK = "******"


def connector_type(spec: ConnectorSpec) -> str:
    """PingOne's metadata.type: `ping` for the PingOne connectors, `core` for DaVinci's own."""
    return "ping" if spec.id.startswith("pingOne") else "core"


def property_specs(spec: ConnectorSpec) -> dict[str, dict[str, Any]]:
    """Every property any capability of the connector takes, by name."""
    merged: dict[str, dict[str, Any]] = {}
    for capability in spec.capabilities.values():
        for name, description in capability.properties.items():
            merged.setdefault(name, description)
    return merged


def get_connector(connector_id: str) -> ConnectorSpec:
    spec = catalog.find(connector_id)
    if spec is None:
        raise not_found()
    return spec


def _is_secret(spec: ConnectorSpec, name: str, value: Any) -> bool:
    if isinstance(value, dict) and value.get("type") == "secret":
        return True
    return property_specs(spec).get(name, {}).get("type") == "secret"


def _secret_value(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


def masked(instance: DavinciConnectorInstance, sealer: Sealer) -> dict[str, Any]:
    """The properties as a response shows them: secret values replaced by ******."""
    shown = dict(instance.properties)
    for name, value in instance.secret_properties(sealer).items():
        shown[name] = {**value, "value": MASK} if isinstance(value, dict) else MASK
    return shown


async def list_instances(
    session: AsyncSession, environment_id: uuid.UUID
) -> list[DavinciConnectorInstance]:
    rows = await session.scalars(
        sa.select(DavinciConnectorInstance)
        .where(DavinciConnectorInstance.environment_id == environment_id)
        .order_by(DavinciConnectorInstance.created_at, DavinciConnectorInstance.id)
    )
    return list(rows)


async def get_instance(
    session: AsyncSession, environment_id: uuid.UUID, instance_id: str
) -> DavinciConnectorInstance:
    parsed = parse_id(instance_id)
    instance = await session.get(DavinciConnectorInstance, parsed) if parsed else None
    if instance is None or instance.environment_id != environment_id:
        raise not_found()
    return instance


def _known_connector(connector_id: str) -> ConnectorSpec:
    spec = catalog.find(connector_id)
    if spec is None:
        raise invalid_value("connector.id", f"Gatehouse has no connector '{connector_id}'.")
    return spec


def _split(
    spec: ConnectorSpec, properties: dict[str, Any], kept_secrets: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain properties, secret properties); a masked or absent secret value keeps the old one."""
    plain: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for name, value in properties.items():
        if not _is_secret(spec, name, value):
            plain[name] = value
            continue
        if _secret_value(value) in (MASK, None) and name in kept_secrets:
            value = kept_secrets[name]
        secret[name] = value
    return plain, secret


async def create_instance(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, data: ConnectorInstanceBody
) -> DavinciConnectorInstance:
    spec = _known_connector(data.connector.id)
    instance = DavinciConnectorInstance(
        id=new_id(), environment_id=environment_id, name=data.name, connector_id=spec.id
    )
    plain, secret = _split(spec, data.properties or {}, {})
    instance.properties = plain
    instance.set_secret_properties(sealer, secret)
    session.add(instance)
    await session.flush()
    return instance


async def replace_instance(
    session: AsyncSession,
    sealer: Sealer,
    instance: DavinciConnectorInstance,
    data: ConnectorInstanceBody,
) -> DavinciConnectorInstance:
    if data.connector.id != instance.connector_id:
        raise invalid_value("connector.id", "The connector of an instance cannot change.")
    spec = _known_connector(instance.connector_id)
    plain, secret = _split(spec, data.properties or {}, instance.secret_properties(sealer))
    instance.name = data.name
    instance.properties = plain
    instance.set_secret_properties(sealer, secret)
    await session.flush()
    return instance


async def clone_instance(
    session: AsyncSession, sealer: Sealer, instance: DavinciConnectorInstance, name: str | None
) -> DavinciConnectorInstance:
    clone = DavinciConnectorInstance(
        id=new_id(),
        environment_id=instance.environment_id,
        name=name or f"{instance.name} (copy)",
        connector_id=instance.connector_id,
        properties=dict(instance.properties),
    )
    clone.set_secret_properties(sealer, instance.secret_properties(sealer))
    session.add(clone)
    await session.flush()
    return clone


async def delete_instance(session: AsyncSession, instance: DavinciConnectorInstance) -> None:
    await session.delete(instance)
    await session.flush()
