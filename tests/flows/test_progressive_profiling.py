"""Seed 003, "Configure a Progressive Profiling Sign-On Action": after the password the flow asks
for the missing attributes (PROFILE_DATA_REQUIRED), user.update stores them, the flow completes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse.common import clock
from gatehouse.directory.models import User
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def profiling(
    attributes: list[dict[str, Any]], *, interval: int = 60, once_per_flow: bool = False
) -> dict[str, Any]:
    return {
        "type": "PROGRESSIVE_PROFILING",
        "attributes": attributes,
        "preventMultiplePromptsPerFlow": once_per_flow,
        "promptIntervalSeconds": interval,
        "promptText": "Tell us a bit more about you",
    }


async def test_the_seed_asks_for_a_mobile_phone_and_stores_it(
    app: Any, admin: Api, env: str
) -> None:
    # Steps 1-9: an application and a policy: LOGIN, then PROGRESSIVE_PROFILING for mobilePhone
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            {"type": "LOGIN"},
            profiling(
                [
                    {"name": "mobilePhone", "required": False},
                    {"name": "name.given", "required": False},
                ]
            ),
        ],
    )
    # Steps 10-12: a population, a user with a password
    population = await admin.create(f"/environments/{env}/populations", {"name": "Profiles"})
    person = await support.user(
        admin, env, population={"id": population["id"]}, name={"given": "Pat"}
    )
    async with Browser(app, env) as browser:
        # Steps 13-15: authorize, the flow, the password
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "PROFILE_DATA_REQUIRED"
        assert set(flow["_links"]) == {"self", "user.update", "session.reset"}
        assert flow["_embedded"]["attributes"] == [
            {"name": "mobilePhone", "required": False},
            {"name": "name.given", "required": False, "value": "Pat"},
        ]
        assert flow["_embedded"]["promptText"] == "Tell us a bit more about you"
        # Step 16: the mobile phone
        updated = await browser.act(flow_id, "user.update", {"mobilePhone": "+1.5125551111"})
        assert updated.status_code == 200, updated.text
        assert updated.json()["status"] == "COMPLETED"
        # Step 17: resume
        resumed = await browser.resume(flow_id)
        assert resumed.status_code == 302 and "code=" in resumed.headers["location"]
    # Step 19: the user has the phone
    read = (await admin.get(f"/environments/{env}/users/{person['id']}")).json()
    assert read["mobilePhone"] == "+1.5125551111" and read["name"]["given"] == "Pat"


async def test_profiling_is_skipped_when_every_attribute_has_a_value(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [{"type": "LOGIN"}, profiling([{"name": "mobilePhone", "required": True}])],
    )
    person = await support.user(admin, env, mobilePhone="+15555550100")
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"


async def test_optional_attributes_are_asked_once_per_interval(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            {"type": "LOGIN"},
            profiling([{"name": "address.postalCode", "required": False}], interval=3600),
        ],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))[
            "status"
        ] == "PROFILE_DATA_REQUIRED"
        skipped = await browser.act(flow_id, "user.update", {})
        assert skipped.json()["status"] == "COMPLETED"
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"
        clock.advance(3601)
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))[
            "status"
        ] == "PROFILE_DATA_REQUIRED"
        nested = await browser.act(flow_id, "user.update", {"address": {"postalCode": "78613"}})
        assert nested.json()["status"] == "COMPLETED", nested.text
    async with app.state.runtime.sessions() as session:  # the admin's token has expired
        stored = await session.get(User, uuid.UUID(person["id"]))
    assert stored is not None and stored.address_postal_code == "78613"


async def test_prevent_multiple_prompts_per_flow_survives_a_reset(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            {"type": "LOGIN"},
            profiling([{"name": "nickname", "required": False}], interval=1, once_per_flow=True),
        ],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))[
            "status"
        ] == "PROFILE_DATA_REQUIRED"
        await browser.act(flow_id, "session.reset", {})
        clock.advance(2)
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"


async def test_required_attributes_must_be_given_and_others_are_refused(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            {"type": "LOGIN"},
            profiling(
                [{"name": "mobilePhone", "required": True}, {"name": "title", "required": False}]
            ),
        ],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))[
            "status"
        ] == "PROFILE_DATA_REQUIRED"
        missing = await browser.act(flow_id, "user.update", {"title": "Dr"})
        assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="mobilePhone")
        other = await browser.act(
            flow_id, "user.update", {"mobilePhone": "+15555550101", "email": "x@example.com"}
        )
        assert_error(other, 400, "INVALID_DATA", target="email")
        bad = await browser.act(flow_id, "user.update", {"mobilePhone": 12})
        assert_error(bad, 400, "INVALID_DATA", target="mobilePhone")
        assert (await browser.flow(flow_id)).json()["status"] == "PROFILE_DATA_REQUIRED"
        done = await browser.act(
            flow_id, "user.update", {"mobilePhone": "+15555550101", "title": "Dr"}
        )
        assert done.json()["status"] == "COMPLETED", done.text
    read = (await admin.get(f"/environments/{env}/users/{person['id']}")).json()
    assert read["mobilePhone"] == "+15555550101" and read["title"] == "Dr"
    assert read["email"] == person["email"]
