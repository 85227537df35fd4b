"""Custom attributes on users: values checked against the environment's schema attributes (type,
multiValued, enumerated values, pattern, required, unique, enabled), rendered by name."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.directory.models import SchemaAttribute, User
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _username() -> str:
    return f"user-{secrets.token_hex(5)}"


async def _declare(app: Any, env: str, **attributes: dict[str, Any]) -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        for name, fields in attributes.items():
            session.add(SchemaAttribute(environment_id=uuid.UUID(env), name=name, **fields))


@pytest.fixture
async def schema_env(app: Any, env: str) -> str:
    await _declare(
        app,
        env,
        department={
            "type": "STRING",
            "enumerated_values": [
                {"value": "Sales"},
                {"value": "Engineering"},
                {"value": "Typing Pool", "archived": True},
            ],
        },
        employeeNumber={
            "type": "STRING",
            "unique": True,
            "regex_validation": {"pattern": r"E\d{4}", "requirements": "E and four digits"},
        },
        badge={"type": "STRING", "unique": True},
        isContractor={"type": "BOOLEAN"},
        skills={"type": "STRING", "multi_valued": True},
        preferences={"type": "JSON"},
        retired={"type": "STRING", "enabled": False},
    )
    return env


async def test_custom_values_are_stored_and_rendered_by_name(admin: Api, schema_env: str) -> None:
    values = {
        "department": "Sales",
        "employeeNumber": "E0001",
        "isContractor": False,
        "skills": ["python", "sql"],
        "preferences": {"theme": "dark"},
    }
    created = await admin.create(
        f"/environments/{schema_env}/users", {"username": _username(), **values}
    )
    for name, value in values.items():
        assert created[name] == value, name
    read = (await admin.get(f"/environments/{schema_env}/users/{created['id']}")).json()
    assert {name: read[name] for name in values} == values


@pytest.mark.parametrize(
    ("values", "target"),
    [
        ({"isContractor": "yes"}, "isContractor"),
        ({"department": "Marketing"}, "department"),
        ({"department": "Typing Pool"}, "department"),
        ({"department": ["Sales"]}, "department"),
        ({"employeeNumber": "12345"}, "employeeNumber"),
        ({"employeeNumber": "E00012"}, "employeeNumber"),
        ({"skills": "python"}, "skills"),
        ({"skills": ["python", 3]}, "skills"),
        ({"preferences": "dark"}, "preferences"),
        ({"retired": "yes"}, "retired"),
        ({"shoeSize": "44"}, "shoeSize"),
    ],
)
async def test_values_that_do_not_fit_the_schema_are_invalid(
    admin: Api, schema_env: str, values: dict[str, Any], target: str
) -> None:
    response = await admin.post(
        f"/environments/{schema_env}/users", json={"username": _username(), **values}
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target=target)


async def test_an_enumeration_error_lists_the_offered_values(admin: Api, schema_env: str) -> None:
    response = await admin.post(
        f"/environments/{schema_env}/users", json={"username": _username(), "department": "HR"}
    )
    body = assert_error(response, 400, "INVALID_DATA", target="department")
    assert body["details"][0]["innerError"]["allowedValues"] == ["Sales", "Engineering"]


async def test_an_archived_value_stays_valid_on_a_user_who_has_it(
    app: Any, admin: Api, schema_env: str
) -> None:
    user = await admin.create(f"/environments/{schema_env}/users", {"username": _username()})
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            sa.update(User)
            .where(User.id == uuid.UUID(user["id"]))
            .values(custom={"department": "Typing Pool"})
        )
    read = (await admin.get(f"/environments/{schema_env}/users/{user['id']}")).json()
    echoed = {k: v for k, v in read.items() if not k.startswith("_")}
    response = await admin.put(f"/environments/{schema_env}/users/{user['id']}", json=echoed)
    assert response.status_code == 200, response.text
    assert response.json()["department"] == "Typing Pool"


async def test_unique_attributes_are_unique_ignoring_case(admin: Api, schema_env: str) -> None:
    base = f"/environments/{schema_env}/users"
    first = await admin.create(base, {"username": _username(), "badge": "AB-1"})
    clash = await admin.post(base, json={"username": _username(), "badge": "ab-1"})
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="badge")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    second = await admin.create(base, {"username": _username(), "badge": "CD-2"})
    response = await admin.patch(f"{base}/{second['id']}", json={"badge": "Ab-1"})
    assert_error(response, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="badge")
    # a user keeps its own value through a replace
    kept = await admin.put(
        f"{base}/{first['id']}", json={"username": first["username"], "badge": "AB-1"}
    )
    assert kept.status_code == 200, kept.text


async def test_put_clears_custom_values_left_out_and_patch_null_clears_one(
    admin: Api, schema_env: str
) -> None:
    base = f"/environments/{schema_env}/users"
    user = await admin.create(
        base, {"username": _username(), "department": "Sales", "isContractor": True}
    )
    patched = await admin.patch(f"{base}/{user['id']}", json={"department": None})
    assert "department" not in patched.json() and patched.json()["isContractor"] is True
    replaced = await admin.put(f"{base}/{user['id']}", json={"username": user["username"]})
    assert "isContractor" not in replaced.json()


async def test_required_attributes_must_be_given(app: Any, admin: Api, env: str) -> None:
    await _declare(app, env, costCentre={"type": "STRING", "required": True})
    base = f"/environments/{env}/users"
    missing = await admin.post(base, json={"username": _username()})
    assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="costCentre")
    user = await admin.create(base, {"username": _username(), "costCentre": "CC-1"})
    # a patch that leaves it alone is fine; one that clears it is not
    assert (await admin.patch(f"{base}/{user['id']}", json={"title": "x"})).status_code == 200
    cleared = await admin.patch(f"{base}/{user['id']}", json={"costCentre": None})
    assert_error(cleared, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="costCentre")
