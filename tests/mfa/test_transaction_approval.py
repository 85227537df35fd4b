"""Transaction approval: a signed request object's pi.template names the `transaction` template,
its variant and variables; the one-time passcode's SMS (or e-mail) is that content with the
variables filled in, and checking the passcode completes the sign-on. A variant the environment
has no content for falls back to the content without a variant, then to the built-in wording."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gatehouse.notifications.contents import render_content
from gatehouse.notifications.models import TemplateContent
from tests.oauth.signed_by_client import hs256, issuer
from tests.signon import support
from tests.signon.support import Browser, Client
from tests.support.api import Api

pytestmark = pytest.mark.anyio

PHONE = "+14155552673"
MFA_ONLY = {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK"}


async def setup(admin: Api, env: str, device: dict[str, Any]) -> tuple[Client, dict[str, Any]]:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [MFA_ONLY])
    person = await support.user(admin, env, password=None, mfaEnabled=True)
    await admin.create(
        f"/environments/{env}/users/{person['id']}/devices", {"status": "ACTIVE", **device}
    )
    return client, person


def request_object(client: Client, env: str, person: dict[str, Any], template: Any) -> str:
    now = int(time.time())
    hint = hs256(
        client, {"iss": client.id, "aud": issuer(env), "exp": now + 60, "sub": person["id"]}
    )
    return hs256(
        client,
        {
            "iss": client.id,
            "aud": issuer(env),
            "exp": now + 60,
            "client_id": client.id,
            "response_type": "code",
            "redirect_uri": support.REDIRECT_URI,
            "scope": "openid",
            "state": "trx",
            "login_hint_token": hint,
            "pi.template": template,
        },
    )


async def start(browser: Browser, client: Client, token: str) -> str:
    response = await browser.http.get(
        f"/{browser.env}/as/authorize",
        params={"client_id": client.id, "response_type": "code", "request": token},
    )
    assert response.status_code == 302, response.text
    return support.query_of(response.headers["location"])["flowId"]


async def add_content(admin: Api, env: str, body: dict[str, Any]) -> None:
    await admin.create(
        f"/environments/{env}/templates/transaction/contents", {"locale": "en", **body}
    )


async def test_the_sms_carries_the_transaction_and_the_passcode_approves_it(
    app: Any, admin: Api, env: str
) -> None:
    client, person = await setup(admin, env, {"type": "SMS", "phone": PHONE})
    await add_content(
        admin,
        env,
        {
            "deliveryMethod": "SMS",
            "variant": "trx_sms",
            "content": "Approve ${sum} ${currency} to ${recipient}? Code ${otp}",
        },
    )
    template = {
        "name": "transaction",
        "variant": "TRX_SMS",
        "variables": {"sum": "1,000,000", "currency": "USD", "recipient": "Charlie"},
    }
    async with Browser(app, env) as browser:
        flow_id = await start(browser, client, request_object(client, env, person, template))
        assert (await browser.flow(flow_id)).json()["status"] == "OTP_REQUIRED"
        (message,) = await support.outbox(app, env, PHONE)
        code = message.variables["code"]
        assert message.template == "transaction"
        assert message.body == f"Approve 1,000,000 USD to Charlie? Code {code}"
        done = await browser.act(flow_id, "otp.check", {"otp": code})
        assert done.json()["status"] == "COMPLETED", done.text
        params = support.query_of((await browser.resume(flow_id)).headers["location"])
        assert params["state"] == "trx"
        tokens = await support.exchange(browser.http, env, client, params["code"])
        assert tokens.status_code == 200, tokens.text


async def test_an_unknown_variant_falls_back(app: Any, admin: Api, env: str) -> None:
    client, person = await setup(admin, env, {"type": "SMS", "phone": PHONE})
    template = {"name": "transaction", "variant": "nowhere", "variables": {"sum": "5"}}
    async with Browser(app, env) as browser:
        await start(browser, client, request_object(client, env, person, template))
        (builtin,) = await support.outbox(app, env, PHONE)
        assert builtin.body.startswith("Your code to approve the transaction is")
        await add_content(admin, env, {"deliveryMethod": "SMS", "content": "Pay ${sum}: ${otp}"})
        await start(browser, client, request_object(client, env, person, template))
        latest = (await support.outbox(app, env, PHONE))[-1]
        assert latest.body == f"Pay 5: {latest.variables['code']}"


async def test_the_email_escapes_the_variables(app: Any, admin: Api, env: str) -> None:
    client, person = await setup(admin, env, {"type": "EMAIL", "email": "trx@example.com"})
    await add_content(
        admin,
        env,
        {
            "deliveryMethod": "Email",
            "subject": "Approve the payment to ${recipient}",
            "body": "<p>Pay <b>${recipient}</b>?</p><p>Code: ${otp}</p>",
        },
    )
    template = {"name": "transaction", "variables": {"recipient": "<script>x</script>"}}
    async with Browser(app, env) as browser:
        await start(browser, client, request_object(client, env, person, template))
    (message,) = await support.outbox(app, env, "trx@example.com")
    assert message.subject == "Approve the payment to <script>x</script>"
    assert "Pay <script>x</script>?" in message.body  # the text part: no markup to run
    assert f"Code: {message.variables['code']}" in message.body


def test_the_html_part_escapes_the_variables() -> None:
    content = TemplateContent(
        template="transaction",
        delivery_method="Email",
        fields={"subject": "Pay ${recipient}", "body": "<p>Pay <b>${recipient}</b>: ${otp}</p>"},
    )
    rendered = render_content(content, {"recipient": "<script>x</script>", "otp": "123456"})
    assert rendered.html == "<p>Pay <b>&lt;script&gt;x&lt;/script&gt;</b>: 123456</p>"
    assert rendered.text == "Pay <script>x</script>: 123456\n"
    assert rendered.subject == "Pay <script>x</script>"
