"""The user schema of an environment: the built-in attributes and the custom ones.

Every environment has exactly one schema, named "User". It has no table of its own: its id is a
UUIDv5 of the environment id (`user_schema_id`), and each built-in attribute's id a UUIDv5 of the
schema id and the attribute name (`builtin_attribute_id`), so they are stable and differ between
environments. Custom attributes are `SchemaAttribute` rows.

A value satisfies an attribute's `regexValidation.pattern` when the whole value matches it
(`pattern_matches`, Python `re` syntax run by the `regex` engine with a time limit, so that an
administrator's catastrophic pattern cannot stall a worker), which is how examples are checked here
and how user values are checked.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import regex
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.bodies import validate
from gatehouse.common.errors import Detail, invalid_data, not_found, request_failed
from gatehouse.directory.models import SchemaAttribute
from gatehouse.directory.schema.builtins import BUILTIN_ATTRIBUTES, RESERVED_NAMES, BuiltinAttribute
from gatehouse.directory.schema.schemas import AttributePatch, AttributeWrite, RegexValidation

# Gatehouse's namespace for ids derived from other ids.
NAMESPACE = uuid.UUID("5f0c8a9e-3d1b-4c7e-9a26-8b4f1e2d7c30")
SCHEMA_NAME = "User"
SCHEMA_DESCRIPTION = "The attributes of the users stored in the directory."

INVALID = "The request could not be completed. One or more validation errors were in the request."


def user_schema_id(environment_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"schema/User/{environment_id}")


def builtin_attribute_id(environment_id: uuid.UUID, name: str) -> uuid.UUID:
    return uuid.uuid5(user_schema_id(environment_id), name)


# Matching a value against an administrator's pattern may take at most this long.
PATTERN_TIMEOUT_SECONDS = 0.05


def pattern_matches(pattern: str, value: str) -> bool:
    """Whether the whole of `value` matches; a pattern that runs out of time does not match."""
    try:
        return regex.fullmatch(pattern, value, timeout=PATTERN_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        return False


def ensure_schema(environment_id: uuid.UUID, schema_id: uuid.UUID) -> None:
    if schema_id != user_schema_id(environment_id):
        raise not_found()


async def custom_attributes(
    session: AsyncSession, environment_id: uuid.UUID
) -> list[SchemaAttribute]:
    rows = await session.scalars(
        sa.select(SchemaAttribute)
        .where(SchemaAttribute.environment_id == environment_id)
        .order_by(SchemaAttribute.created_at, SchemaAttribute.id)
    )
    return list(rows)


async def get_attribute(
    session: AsyncSession, environment_id: uuid.UUID, attribute_id: uuid.UUID
) -> BuiltinAttribute | SchemaAttribute:
    for builtin in BUILTIN_ATTRIBUTES:
        if builtin_attribute_id(environment_id, builtin.name) == attribute_id:
            return builtin
    row = await session.get(SchemaAttribute, attribute_id)
    if row is None or row.environment_id != environment_id:
        raise not_found()
    return row


async def create_attribute(
    session: AsyncSession, environment_id: uuid.UUID, data: AttributeWrite
) -> SchemaAttribute:
    kind = data.type or "STRING"
    details = await _name_violations(session, environment_id, data.name)
    details += _rule_violations(data, kind)
    _raise_if_any(details)
    row = SchemaAttribute(environment_id=environment_id, name=data.name)
    _apply(row, data, kind)
    session.add(row)
    await session.flush()
    return row


async def replace_attribute(
    session: AsyncSession, attribute: BuiltinAttribute | SchemaAttribute, data: AttributeWrite
) -> SchemaAttribute:
    row = _custom(attribute, "changed")
    details = _immutable_violations(row, data) + _rule_violations(data, row.type)
    _raise_if_any(details)
    _apply(row, data, row.type)
    await session.flush()
    return row


async def patch_attribute(
    session: AsyncSession, attribute: BuiltinAttribute | SchemaAttribute, patch: AttributePatch
) -> SchemaAttribute:
    row = _custom(attribute, "changed")
    changes = patch.model_dump(mode="json", by_alias=True, exclude_unset=True)
    merged = validate(AttributeWrite, {**_as_body(row), **changes})
    return await replace_attribute(session, row, merged)


async def delete_attribute(
    session: AsyncSession, attribute: BuiltinAttribute | SchemaAttribute
) -> None:
    await session.delete(_custom(attribute, "deleted"))
    await session.flush()


def _custom(attribute: BuiltinAttribute | SchemaAttribute, verb: str) -> SchemaAttribute:
    if isinstance(attribute, BuiltinAttribute):
        raise request_failed(
            f"The {attribute.schema_type} attribute {attribute.name!r} is built in and cannot be "
            f"{verb}."
        )
    return attribute


def _apply(row: SchemaAttribute, data: AttributeWrite, kind: str) -> None:
    row.display_name = data.display_name
    row.description = data.description
    row.type = kind
    row.enabled = data.enabled
    row.required = data.required
    row.unique = data.unique
    row.multi_valued = data.multi_valued
    row.enumerated_values = (
        [value.model_dump(by_alias=True, exclude_none=True) for value in data.enumerated_values]
        if data.enumerated_values
        else None
    )
    row.regex_validation = (
        data.regex_validation.model_dump(by_alias=True) if data.regex_validation else None
    )


def _as_body(row: SchemaAttribute) -> dict[str, Any]:
    """The attribute as a PUT body, for merging a PATCH into."""
    return {
        "name": row.name,
        "displayName": row.display_name,
        "description": row.description,
        "type": row.type,
        "enabled": row.enabled,
        "required": row.required,
        "unique": row.unique,
        "multiValued": row.multi_valued,
        "enumeratedValues": row.enumerated_values,
        "regexValidation": row.regex_validation,
    }


def _raise_if_any(details: list[Detail]) -> None:
    if details:
        raise invalid_data(INVALID, *details)


async def _name_violations(
    session: AsyncSession, environment_id: uuid.UUID, name: str
) -> list[Detail]:
    if name.casefold() in RESERVED_NAMES:
        return [
            Detail("UNIQUENESS_VIOLATION", f"{name!r} is the name of a built-in attribute.", "name")
        ]
    clash = await session.scalar(
        sa.select(SchemaAttribute.id).where(
            SchemaAttribute.environment_id == environment_id,
            sa.func.lower(SchemaAttribute.name) == name.lower(),
        )
    )
    if clash is None:
        return []
    return [
        Detail(
            "UNIQUENESS_VIOLATION",
            f"An attribute named {name!r} already exists.",
            "name",
            {"existingId": str(clash)},
        )
    ]


def _immutable_violations(row: SchemaAttribute, data: AttributeWrite) -> list[Detail]:
    details = []
    if data.name != row.name:
        details.append(Detail("INVALID_VALUE", "The name of an attribute cannot change.", "name"))
    if data.type is not None and data.type != row.type:
        details.append(Detail("INVALID_VALUE", "The type of an attribute cannot change.", "type"))
    if row.multi_valued and not data.multi_valued:
        details.append(
            Detail(
                "INVALID_VALUE",
                "A multi-valued attribute cannot become single-valued.",
                "multiValued",
            )
        )
    return details


def _rule_violations(data: AttributeWrite, kind: str) -> list[Detail]:
    details = []
    if kind != "STRING":
        for target, value in (
            ("unique", data.unique),
            ("enumeratedValues", data.enumerated_values),
            ("regexValidation", data.regex_validation),
        ):
            if value:
                details.append(
                    Detail("INVALID_VALUE", f"{target} applies to STRING attributes only.", target)
                )
    if data.enumerated_values:
        details += _enumeration_violations([value.value for value in data.enumerated_values])
    if data.regex_validation:
        details += _regex_violations(data.regex_validation)
    return details


def _enumeration_violations(values: list[str]) -> list[Detail]:
    seen: set[str] = set()
    details = []
    for value in values:
        key = value.casefold()
        if key in seen:
            details.append(
                Detail(
                    "INVALID_VALUE",
                    f"The enumerated value {value!r} is listed more than once "
                    "(values differing only by case are the same).",
                    "enumeratedValues.value",
                )
            )
        seen.add(key)
    return details


def _regex_violations(rule: RegexValidation) -> list[Detail]:
    try:
        re.compile(rule.pattern)  # the syntax accepted is Python's re
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        return [
            Detail(
                "INVALID_VALUE",
                f"The pattern is not a valid regular expression: {exc}",
                "regexValidation.pattern",
            )
        ]
    details = [
        Detail(
            "INVALID_VALUE",
            f"The pattern does not match {value!r}.",
            "regexValidation.valuesPatternShouldMatch",
        )
        for value in rule.values_pattern_should_match
        if not pattern_matches(rule.pattern, value)
    ]
    details += [
        Detail(
            "INVALID_VALUE",
            f"The pattern matches {value!r}.",
            "regexValidation.valuesPatternShouldNotMatch",
        )
        for value in rule.values_pattern_should_not_match
        if pattern_matches(rule.pattern, value)
    ]
    return details
