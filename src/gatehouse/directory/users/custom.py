"""Custom user attributes: the values a user body gives for the environment's schema attributes.

Values live in `User.custom` by attribute name. A value must fit its `SchemaAttribute`: the type
(STRING, BOOLEAN, JSON: an object), one value or a list of them (`multiValued`), a non-archived
enumerated value (an archived one stays valid on a user who already has it), the whole value
matching `regexValidation.pattern` (schema.service.pattern_matches, with its time limit), present
when `required`. Uniqueness needs the database and is checked by `users.service`. Names the schema does not declare, or declares disabled, are refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import scim_filter
from gatehouse.common.errors import Detail, invalid_data
from gatehouse.directory.models import SchemaAttribute, User
from gatehouse.directory.schema.service import custom_attributes, pattern_matches
from gatehouse.store import config_cache

VALIDATION_MESSAGE = (
    "The request could not be completed. One or more validation errors were in the request."
)
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "STRING": (str,),
    "BOOLEAN": (bool,),
    "JSON": (dict,),
    "COMPLEX": (dict,),
}


async def load_schema(
    session: AsyncSession, environment_id: uuid.UUID
) -> dict[str, SchemaAttribute]:
    """The environment's custom attributes by name (enabled or not), read once per configuration
    version (store/config_cache.py; shared copies: never change them)."""

    async def load() -> tuple[SchemaAttribute, ...]:
        rows = await custom_attributes(session, environment_id)
        return tuple(config_cache.detached_copy(row) for row in rows)

    rows = await config_cache.cached(session, environment_id, "schema_attributes", load)
    return {row.name: row for row in rows}


def merged_values(
    schema: Mapping[str, SchemaAttribute],
    given: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    replace: bool,
) -> dict[str, Any]:
    """The user's custom values after a write of `given` (null clears one).

    `replace` (create, PUT): enabled attributes not given are cleared and every required one must
    be present. Otherwise (PATCH) the others stay, and only a given required one must not be null.
    Values of disabled attributes cannot be written and are kept."""
    details: list[Detail] = []
    values = (
        {name: value for name, value in current.items() if not _enabled(schema.get(name))}
        if replace
        else dict(current)
    )
    for name, value in given.items():
        attribute = schema.get(name)
        if attribute is None or not attribute.enabled:
            details.append(
                Detail("INVALID_VALUE", f"{name} is not an attribute of the user schema", name)
            )
            continue
        if value is None:
            values.pop(name, None)
            continue
        problem = _problem(attribute, value, current.get(name))
        if problem is not None:
            details.append(problem)
        else:
            values[name] = value
    required = schema.values() if replace else (schema[name] for name in given if name in schema)
    details += [
        Detail("REQUIRED_VALUE", f"{attribute.name} is required", attribute.name)
        for attribute in required
        if attribute.enabled and attribute.required and _empty(values.get(attribute.name))
    ]
    if details:
        raise invalid_data(VALIDATION_MESSAGE, *details)
    return values


def visible_values(
    schema: Mapping[str, SchemaAttribute], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """The stored values a user renders: those of enabled attributes."""
    return {name: value for name, value in stored.items() if _enabled(schema.get(name))}


def unique_attributes(
    schema: Mapping[str, SchemaAttribute], values: Mapping[str, Any], names: Iterable[str]
) -> list[tuple[str, str]]:
    """(name, value) of the single-valued unique STRING attributes among `names` that have a value."""
    pairs = []
    for name in names:
        attribute = schema.get(name)
        value = values.get(name)
        if (
            attribute is not None
            and attribute.enabled
            and attribute.unique
            and attribute.type == "STRING"
            and isinstance(value, str)
        ):
            pairs.append((name, value))
    return pairs


def filter_attribute(
    schema: Mapping[str, SchemaAttribute], name: str
) -> scim_filter.Attribute | None:
    """A custom attribute usable in a SCIM filter: a single-valued enabled STRING or BOOLEAN."""
    attribute = next((row for key, row in schema.items() if key.lower() == name.lower()), None)
    if attribute is None or not attribute.enabled or attribute.multi_valued:
        return None
    value = User.custom[attribute.name]
    if attribute.type == "STRING":
        return scim_filter.Attribute(value.as_string())
    if attribute.type == "BOOLEAN":
        return scim_filter.Attribute(value.as_boolean(), scim_filter.Kind.BOOLEAN)
    return None


def _enabled(attribute: SchemaAttribute | None) -> bool:
    return attribute is not None and attribute.enabled


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _problem(attribute: SchemaAttribute, value: Any, previous: Any) -> Detail | None:
    name = attribute.name
    if attribute.multi_valued:
        if not isinstance(value, list):
            return Detail("INVALID_VALUE", f"{name} takes an array of values", name)
        previous_items = previous if isinstance(previous, list) else []
        for item in value:
            detail = _item_problem(attribute, item, previous_items)
            if detail is not None:
                return detail
        return None
    return _item_problem(attribute, value, [previous])


def _item_problem(attribute: SchemaAttribute, value: Any, previous: list[Any]) -> Detail | None:
    name = attribute.name
    expected = _PYTHON_TYPES.get(attribute.type, (dict,))
    if isinstance(value, list) or not isinstance(value, expected):
        return Detail("INVALID_VALUE", f"{name} takes a {attribute.type} value", name)
    if attribute.type != "STRING":
        return None
    return _enumeration_problem(attribute, value, previous) or _pattern_problem(attribute, value)


def _enumeration_problem(
    attribute: SchemaAttribute, value: str, previous: list[Any]
) -> Detail | None:
    if not attribute.enumerated_values:
        return None
    offered = [entry["value"] for entry in attribute.enumerated_values if not entry.get("archived")]
    archived = {entry["value"] for entry in attribute.enumerated_values if entry.get("archived")}
    if value in offered or (value in archived and value in previous):
        return None
    return Detail(
        "INVALID_VALUE",
        f"{attribute.name} must be one of its enumerated values",
        attribute.name,
        {"allowedValues": offered},
    )


def _pattern_problem(attribute: SchemaAttribute, value: str) -> Detail | None:
    rule = attribute.regex_validation or {}
    pattern = rule.get("pattern")
    if not pattern:
        return None
    if pattern_matches(pattern, value):
        return None
    message = rule.get("requirements") or f"{attribute.name} does not match its required pattern"
    return Detail("INVALID_VALUE", message, attribute.name, {"allowedPattern": pattern})
