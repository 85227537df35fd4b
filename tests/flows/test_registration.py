"""Seed 003, "Add a user through a registration flow": user.register creates the user in the
registration population, e-mails a verification code, user.verify completes the sign-on."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.common import clock
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def registration_app(admin: Api, env: str) -> tuple[support.Client, dict[str, Any]]:
    # Step 1: an application; Step 2: a population for registered users
    client = await support.application(admin, env)
    population = await admin.create(f"/environments/{env}/populations", {"name": "Registered"})
    # Steps 3-5: a sign-on policy whose LOGIN action enables registration, assigned to the app
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            {
                "type": "LOGIN",
                "registration": {"enabled": True, "population": {"id": population["id"]}},
            }
        ],
    )
    return client, population


async def test_a_user_registers_verifies_the_email_and_is_signed_on(
    app: Any, admin: Api, env: str
) -> None:
    client, population = await registration_app(admin, env)
    async with Browser(app, env) as browser:
        # Step 6: the authorization request; Step 7: the flow
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert "user.register" in flow["_links"] and "password.forgot" not in flow["_links"]
        assert "length" in flow["_embedded"]["passwordPolicy"]
        # Step 8: register a new user
        registered = await browser.act(
            flow_id,
            "user.register",
            {
                "username": "jsmith",
                "email": "jsmith@example.com",
                "password": support.PASSWORD,
                "name": {"given": "Jane", "family": "Smith"},
            },
        )
        assert registered.status_code == 200, registered.text
        flow = registered.json()
        assert flow["status"] == "VERIFICATION_CODE_REQUIRED"
        assert set(flow["_links"]) == {
            "self",
            "user.verify",
            "user.sendVerificationCode",
            "session.reset",
        }
        user_id = flow["_embedded"]["user"]["id"]
        pending = (await admin.get(f"/environments/{env}/users/{user_id}")).json()
        assert pending["lifecycle"]["status"] == "VERIFICATION_REQUIRED"
        assert pending["population"]["id"] == population["id"]
        assert pending["name"] == {"given": "Jane", "family": "Smith"}
        code = await support.last_code(app, env, "jsmith@example.com", "email_verification")
        assert len(code) == 8
        wrong = await browser.act(flow_id, "user.verify", {"verificationCode": "WRONG000"})
        assert_error(wrong, 400, "INVALID_DATA", target="verificationCode")
        # Step 9: verify the user
        verified = await browser.act(flow_id, "user.verify", {"verificationCode": code.lower()})
        assert verified.status_code == 200, verified.text
        assert verified.json()["status"] == "COMPLETED"
        resumed = await browser.resume(flow_id)
        assert resumed.status_code == 302 and "code=" in resumed.headers["location"]
    # Step 10: the user exists, verified
    found = (
        await admin.get(f"/environments/{env}/users", params={"filter": 'username eq "jsmith"'})
    ).json()["_embedded"]["users"]
    assert [user["id"] for user in found] == [user_id]
    assert found[0]["lifecycle"]["status"] == "ACCOUNT_OK" and found[0]["emailVerified"] is True
    # the password chosen at registration signs on
    async with Browser(app, env) as browser:
        assert (await browser.code_for(client, "jsmith"))["code"]


async def test_a_verification_code_is_single_use_expires_and_can_be_sent_again(
    app: Any, admin: Api, env: str
) -> None:
    client, _ = await registration_app(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        body = {
            "username": "expiring",
            "email": "expiring@example.com",
            "password": support.PASSWORD,
        }
        assert (await browser.act(flow_id, "user.register", body)).json()["status"] == (
            "VERIFICATION_CODE_REQUIRED"
        )
        first = await support.last_code(app, env, "expiring@example.com", "email_verification")
        clock.advance(16 * 60)
        assert (await browser.flow(flow_id)).status_code == 404  # the flow's idle time ran out too
    async with Browser(app, env) as browser:
        # signing on before verifying asks for the e-mail verification again, with a new code
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, "expiring"))[
            "status"
        ] == "VERIFICATION_CODE_REQUIRED"
        second = await support.last_code(app, env, "expiring@example.com", "email_verification")
        stale = await browser.act(flow_id, "user.verify", {"verificationCode": first})
        if first != second:
            assert_error(stale, 400, "INVALID_DATA", target="verificationCode")
        resent = await browser.act(flow_id, "user.sendVerificationCode")
        assert resent.status_code == 200 and resent.json()["status"] == "VERIFICATION_CODE_REQUIRED"
        third = await support.last_code(app, env, "expiring@example.com", "email_verification")
        messages = await support.outbox(app, env, "expiring@example.com")
        assert len(messages) == 3
        if second != third:
            assert_error(
                await browser.act(flow_id, "user.verify", {"verificationCode": second}),
                400,
                "INVALID_DATA",
            )
        done = await browser.act(flow_id, "user.verify", {"verificationCode": third})
        assert done.json()["status"] == "COMPLETED"


async def test_wrong_codes_spend_the_code(app: Any, admin: Api, env: str) -> None:
    client, _ = await registration_app(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        body = {"username": "guesser", "email": "guesser@example.com", "password": support.PASSWORD}
        await browser.act(flow_id, "user.register", body)
        code = await support.last_code(app, env, "guesser@example.com", "email_verification")
        for _ in range(5):
            wrong = await browser.act(flow_id, "user.verify", {"verificationCode": "00000000"})
            assert_error(wrong, 400, "INVALID_DATA", target="verificationCode")
        spent = await browser.act(flow_id, "user.verify", {"verificationCode": code})
        assert_error(spent, 400, "INVALID_DATA", target="verificationCode")


async def test_registration_refuses_bad_input_and_creates_nothing(
    app: Any, admin: Api, env: str
) -> None:
    client, _ = await registration_app(admin, env)
    taken = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        cases = [
            ({"username": "noemail", "password": support.PASSWORD}, "REQUIRED_VALUE", "email"),
            (
                {"email": "nouser@example.com", "password": support.PASSWORD},
                "REQUIRED_VALUE",
                "username",
            ),
            ({"username": "nopass", "email": "nopass@example.com"}, "REQUIRED_VALUE", "password"),
            (
                {"username": "weak", "email": "weak@example.com", "password": "short"},
                "INVALID_VALUE",
                "password",
            ),
            (
                {
                    "username": taken["username"],
                    "email": "dup@example.com",
                    "password": support.PASSWORD,
                },
                "UNIQUENESS_VIOLATION",
                "username",
            ),
            (
                {"username": "bademail", "email": "not-an-email", "password": support.PASSWORD},
                "INVALID_VALUE",
                "email",
            ),
        ]
        for body, detail, target in cases:
            response = await browser.act(flow_id, "user.register", body)
            assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
    for username in ("noemail", "nopass", "weak", "bademail"):
        found = await admin.get(
            f"/environments/{env}/users", params={"filter": f'username eq "{username}"'}
        )
        assert found.json()["_embedded"]["users"] == []
    assert await support.outbox(app, env, "weak@example.com") == []


async def test_a_registering_user_cannot_choose_their_standing(
    app: Any, admin: Api, env: str
) -> None:
    client, population = await registration_app(admin, env)
    other = await admin.create(f"/environments/{env}/populations", {"name": "Elsewhere"})
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        registered = await browser.act(
            flow_id,
            "user.register",
            {
                "username": "sneaky",
                "email": "sneaky@example.com",
                "password": support.PASSWORD,
                "population": {"id": other["id"]},
                "lifecycle": {"status": "ACCOUNT_OK"},
                "emailVerified": True,
                "mfaEnabled": True,
            },
        )
        user_id = registered.json()["_embedded"]["user"]["id"]
    created = (await admin.get(f"/environments/{env}/users/{user_id}")).json()
    assert created["population"]["id"] == population["id"]
    assert created["lifecycle"]["status"] == "VERIFICATION_REQUIRED"
    assert created["emailVerified"] is False and created["mfaEnabled"] is False
