"""Notification templates and their contents: the templates every environment has, contents
created, read, replaced and deleted per locale, delivery method and variant, refused when they
miss the template's required variables or use unknown ones, and used by the senders: a
passcode's SMS and a recovery e-mail say what the environment's content says, in the user's
locale, or the built-in message when no content matches."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.mfa.support import US_PHONE_E164, create_user, messages_to
from tests.signon import support as signon
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

SEND_RECOVERY_CODE = "application/vnd.pingidentity.password.sendRecoveryCode+json"


def contents_path(env: str, template: str, content_id: str = "") -> str:
    base = f"/environments/{env}/templates/{template}/contents"
    return f"{base}/{content_id}" if content_id else base


async def test_the_templates_of_an_environment(admin: Api, env: str) -> None:
    listed = (await admin.get(f"/environments/{env}/templates")).json()
    names = {template["name"] for template in listed["_embedded"]["templates"]}
    assert {
        "strong_authentication",
        "transaction",
        "device_pairing",
        "email_verification_user",
        "recovery_code_template",
    } <= names
    one = (await admin.get(f"/environments/{env}/templates/transaction")).json()
    assert one["variables"]["otp"] == {"required": True}
    assert one["allowDynamicVariables"] is True
    assert set(one["deliveryMethods"]) == {"Email", "SMS", "Voice"}
    assert one["_links"]["contents"]["href"].endswith("/templates/transaction/contents")
    missing = await admin.get(f"/environments/{env}/templates/no_such_template")
    assert_error(missing, 404, "NOT_FOUND")


async def test_contents_are_created_read_replaced_and_deleted(admin: Api, env: str) -> None:
    body = {
        "locale": "en",
        "deliveryMethod": "SMS",
        "content": "Code ${otp}",
        "sender": "Gatehouse",
    }
    created = await admin.create(contents_path(env, "strong_authentication"), body)
    assert created["deliveryMethod"] == "SMS" and created["content"] == "Code ${otp}"
    assert created["default"] is False and created["sender"] == "Gatehouse"
    path = contents_path(env, "strong_authentication", created["id"])
    assert (await admin.get(path)).json()["id"] == created["id"]
    listed = (await admin.get(contents_path(env, "strong_authentication"))).json()
    assert [item["id"] for item in listed["_embedded"]["contents"]] == [created["id"]]
    # the same content under another template's path is not found
    assert_error(
        await admin.get(contents_path(env, "transaction", created["id"])), 404, "NOT_FOUND"
    )

    replaced = await admin.put(path, json={**body, "content": "Your code: ${otp}"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["content"] == "Your code: ${otp}"
    moved = await admin.put(path, json={**body, "locale": "fr"})
    assert_error(moved, 400, "INVALID_DATA", target="locale")
    switched = await admin.put(path, json={**body, "deliveryMethod": "Voice"})
    assert_error(switched, 400, "INVALID_DATA", target="deliveryMethod")

    assert (await admin.delete(path)).status_code == 204
    assert_error(await admin.get(path), 404, "NOT_FOUND")


async def test_another_environment_does_not_see_the_content(admin: Api, env: str) -> None:
    created = await admin.create(
        contents_path(env, "device_pairing"),
        {"locale": "en", "deliveryMethod": "Voice", "content": "Your code is ${otp}"},
    )
    other = (
        await admin.create(
            "/environments",
            {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    assert_error(
        await admin.get(contents_path(other, "device_pairing", created["id"])), 404, "NOT_FOUND"
    )
    assert (await admin.get(contents_path(other, "device_pairing"))).json()["count"] == 0


@pytest.mark.parametrize(
    ("template", "body", "target"),
    [
        ("strong_authentication", {"deliveryMethod": "SMS", "content": "No code here"}, "content"),
        ("strong_authentication", {"deliveryMethod": "SMS", "content": "${otp} ${sum}"}, "content"),
        (
            "strong_authentication",
            {"deliveryMethod": "SMS", "content": "${otp}" + "x" * 150},
            "content",
        ),
        (
            "strong_authentication",
            {"deliveryMethod": "Push", "content": "${otp}"},
            "deliveryMethod",
        ),
        ("strong_authentication", {"deliveryMethod": "Email", "subject": "Hi"}, "body"),
        (
            "email_verification_user",
            {"deliveryMethod": "SMS", "content": "${code}"},
            "deliveryMethod",
        ),
        ("recovery_code_template", {"deliveryMethod": "Email", "body": "${otp}"}, "body"),
        (
            "strong_authentication",
            {"deliveryMethod": "SMS", "content": "${otp}", "sender": "Too long sender"},
            "sender",
        ),
        (
            "strong_authentication",
            {"deliveryMethod": "SMS", "locale": "not a locale", "content": "${otp}"},
            "locale",
        ),
    ],
)
async def test_invalid_contents_are_refused(
    admin: Api, env: str, template: str, body: dict[str, Any], target: str
) -> None:
    response = await admin.post(contents_path(env, template), json={"locale": "en", **body})
    assert_error(response, 400, "INVALID_DATA", target=target)
    assert (await admin.get(contents_path(env, template))).json()["count"] == 0


async def test_a_second_content_for_the_same_locale_and_variant_is_refused(
    admin: Api, env: str
) -> None:
    body = {"locale": "en-US", "deliveryMethod": "SMS", "content": "${otp}", "variant": "Bank"}
    await admin.create(contents_path(env, "transaction"), body)
    again = await admin.post(contents_path(env, "transaction"), json={**body, "locale": "en_us"})
    assert_error(again, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")
    # another variant, or none, is another content
    await admin.create(contents_path(env, "transaction"), {**body, "variant": "Shop"})
    await admin.create(contents_path(env, "transaction"), {**body, "variant": None})


async def test_the_pairing_sms_says_what_the_content_in_the_users_locale_says(
    admin: Api, env: str, app: Any
) -> None:
    await admin.create(
        contents_path(env, "device_pairing"),
        {
            "locale": "fr",
            "deliveryMethod": "SMS",
            "content": "Bonjour ${user.username}, code ${otp}",
        },
    )
    french = await create_user(admin, env, locale="fr-FR")
    await admin.create(
        f"/environments/{env}/users/{french['id']}/devices", {"type": "SMS", "phone": US_PHONE_E164}
    )
    (message,) = await messages_to(app, env, US_PHONE_E164)
    code = message.variables["code"]
    assert message.template == "device_pairing"
    assert message.body == f"Bonjour {french['username']}, code {code}"

    english = await create_user(admin, env, locale="en")
    await admin.create(
        f"/environments/{env}/users/{english['id']}/devices",
        {"type": "SMS", "phone": "+14155552672"},
    )
    (builtin,) = await messages_to(app, env, "+14155552672")
    assert builtin.body.startswith("Your code to confirm this sign-on method is")


async def test_the_recovery_email_uses_the_html_content(admin: Api, env: str, app: Any) -> None:
    await admin.create(
        contents_path(env, "recovery_code_template"),
        {
            "locale": "en",
            "deliveryMethod": "Email",
            "subject": "Reset for ${user.username}",
            "body": "<p>Hello <b>${user.name.given}</b>,</p><p>your code: ${code}</p>",
        },
    )
    person = await signon.user(admin, env, email="reset@example.com", name={"given": "<Ada>"})
    sent = await admin.post(
        f"/environments/{env}/users/{person['id']}/password", media_type=SEND_RECOVERY_CODE
    )
    assert sent.status_code in (200, 204), sent.text
    (message,) = await messages_to(app, env, "reset@example.com")
    assert message.subject == f"Reset for {person['username']}"
    code = message.variables["code"]
    assert "Hello <Ada>," in message.body and f"your code: {code}" in message.body
