"""An environment's notification settings: /notificationsSettings (from, replyTo, the SMS provider
fallback chain), its own SMTP server (emailDeliverySettings: the password sealed and never shown,
used instead of GATEHOUSE_SMTP_*, reached only under the outbound policy) and its custom SMS and
voice providers (phoneDeliverySettings), which really receive the passcode over HTTP: a local
server on loopback records the requests."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gatehouse.directory.models import User
from gatehouse.mfa import service as mfa
from gatehouse.mfa.schemas import DeviceCreate
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from tests.mfa.support import US_PHONE_E164, create_user, messages_to, unit_of_work
from tests.notifications.smtp_servers import Inbox, accept_ada, running, server_tls
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

SETTINGS = "/notificationsSettings"
EMAIL = "/notificationsSettings/emailDeliverySettings"
PHONES = "/notificationsSettings/phoneDeliverySettings"


@pytest.fixture(scope="module")
def settings(
    database_url: str, secret_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """This module's server may reach loopback over http (the development settings), so the
    providers and SMTP servers below can be local ones."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key=secret_key,
        outbound_allow_http=True,
        outbound_allow_private=True,
    )


def local_runtime(app: Any, **extra: Any) -> Runtime:
    """The app's runtime, with some settings changed."""
    base: Runtime = app.state.runtime
    return dataclasses.replace(base, settings=base.settings.model_copy(update=extra))


def strict_runtime(app: Any) -> Runtime:
    """The production defaults: https only, public addresses only."""
    return local_runtime(app, outbound_allow_http=False, outbound_allow_private=False)


async def pair(app: Any, runtime: Runtime, user_id: str, body: dict[str, Any]) -> None:
    async with unit_of_work(app) as session:
        user = await session.get(User, uuid.UUID(user_id))
        assert user is not None
        await mfa.create_device(session, runtime, user, DeviceCreate.model_validate(body))


# --- /notificationsSettings ------------------------------------------------------------------


async def test_notification_settings(admin: Api, env: str) -> None:
    path = f"/environments/{env}{SETTINGS}"
    initial = (await admin.get(path)).json()
    assert initial["deliveryMode"] == "ALL" and initial["smsProvidersFallbackChain"] == []
    body = {
        "from": {"name": "Example Bank", "address": "noreply@bank.example"},
        "replyTo": {"address": "help@bank.example"},
    }
    stored = await admin.put(path, json=body)
    assert stored.status_code == 200, stored.text
    assert (await admin.get(path)).json()["from"] == body["from"]
    unknown = await admin.put(path, json={"smsProvidersFallbackChain": [str(uuid.uuid4())]})
    assert_error(unknown, 400, "INVALID_DATA", target="smsProvidersFallbackChain[0]")
    header = await admin.put(path, json={"from": {"name": "a\r\nBcc: x@y", "address": "a@b.c"}})
    assert_error(header, 400, "INVALID_DATA")
    assert (await admin.delete(path)).status_code == 204
    assert (await admin.get(path)).json().get("from") is None


# --- emailDeliverySettings -------------------------------------------------------------------


async def test_email_delivery_settings_hide_the_password(admin: Api, env: str) -> None:
    path = f"/environments/{env}{EMAIL}"
    assert_error(await admin.get(path), 404, "NOT_FOUND")
    body = {
        "host": "smtp.example.com",
        "port": 587,
        "username": "ada",
        "password": "s3cret",
        "from": {"name": "Bank", "address": "noreply@bank.example"},
    }
    stored = await admin.put(path, json=body)
    assert stored.status_code == 200, stored.text
    shown = (await admin.get(path)).json()
    assert shown["protocol"] == "SMTP" and shown["host"] == "smtp.example.com"
    assert "password" not in shown and "s3cret" not in json.dumps(shown)
    kept = await admin.put(path, json={k: v for k, v in body.items() if k != "password"})
    assert kept.status_code == 200, kept.text
    refused = await admin.put(path, json={**body, "protocol": "HTTP"})
    assert_error(refused, 400, "INVALID_DATA", target="protocol")
    no_from = await admin.put(path, json={k: v for k, v in body.items() if k != "from"})
    assert_error(no_from, 400, "INVALID_DATA", target="from")
    assert (await admin.delete(path)).status_code == 204
    assert_error(await admin.get(path), 404, "NOT_FOUND")


async def test_the_environments_smtp_server_delivers_over_starttls(
    app: Any, admin: Api, env: str, certificate: tuple[Path, Path], monkeypatch: Any
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's certificate
    options = {
        "tls_context": server_tls(certificate),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": accept_ada,
    }
    user = await create_user(admin, env)
    with running(Inbox(), **options) as (inbox, port):
        await admin.put(
            f"/environments/{env}{EMAIL}",
            json={
                "host": "127.0.0.1",
                "port": port,
                "protocol": "SMTP",
                "username": "ada",
                "password": "s3cret",
                "from": {"name": "Env Mail", "address": "mail@env.example"},
            },
        )
        await admin.put(
            f"/environments/{env}{SETTINGS}",
            json={"replyTo": {"name": "Help", "address": "help@env.example"}},
        )
        # the global GATEHOUSE_SMTP_* names another server: the environment's is used
        runtime = local_runtime(app, smtp_host="192.0.2.1", smtp_port=25)
        await pair(app, runtime, user["id"], {"type": "EMAIL", "email": "dev@example.com"})
        # without the development setting, loopback is not reached
        await pair(
            app, strict_runtime(app), user["id"], {"type": "EMAIL", "email": "strict@example.com"}
        )
    (delivered,) = await messages_to(app, env, "dev@example.com")
    assert delivered.delivered_at is not None, delivered.delivery_error
    (mail,) = [inbox.message(i) for i in range(len(inbox.envelopes))]
    assert mail["From"] == "Env Mail <mail@env.example>"
    assert mail["Reply-To"] == "Help <help@env.example>"
    assert delivered.variables["code"] in mail.get_body(("plain",)).get_content()
    (refused,) = await messages_to(app, env, "strict@example.com")
    assert refused.delivered_at is None
    assert refused.delivery_error and "non-public" in refused.delivery_error


# --- phoneDeliverySettings -------------------------------------------------------------------


class Provider:
    """A local HTTP server standing in for an SMS provider: records every request; paths under
    /down answer 503."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                provider.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length).decode(),
                    }
                )
                self.send_response(503 if self.path.startswith("/down") else 202)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _record

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def provider() -> Iterator[Provider]:
    running_provider = Provider()
    running_provider.thread.start()
    try:
        yield running_provider
    finally:
        running_provider.server.shutdown()
        running_provider.server.server_close()


def custom_provider(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "provider": "CUSTOM_PROVIDER",
        "name": "Local SMS",
        "requests": [
            {
                "deliveryMethod": "SMS",
                "method": "POST",
                "url": f"{url}/sms",
                "headers": {"Content-Type": "application/json"},
                "body": '{"to": "${to}", "text": "${message}", "code": "${otp}"}',
                "phoneNumberFormat": "NUMBER_ONLY",
            },
            {
                "deliveryMethod": "VOICE",
                "method": "GET",
                "url": f"{url}/call?to=${{to}}&say=${{message}}",
                "phoneNumberFormat": "FULL",
            },
        ],
        "authentication": {"method": "BASIC", "username": "acct", "password": "pa55"},
        **extra,
    }


async def test_phone_delivery_settings_are_validated_and_hide_secrets(
    app: Any, admin: Api, env: str
) -> None:
    path = f"/environments/{env}{PHONES}"
    created = await admin.create(path, custom_provider("https://sms.example.com"))
    assert created["provider"] == "CUSTOM_PROVIDER" and created["name"] == "Local SMS"
    assert created["authentication"] == {"method": "BASIC", "username": "acct"}
    assert "pa55" not in json.dumps((await admin.get(f"{path}/{created['id']}")).json())
    twilio = await admin.post(path, json={"provider": "CUSTOM_TWILIO", "name": "t"})
    assert_error(twilio, 400, "INVALID_DATA", target="provider")
    no_to = custom_provider("https://sms.example.com")
    no_to["requests"][0]["body"] = '{"text": "${message}"}'
    assert_error(await admin.post(path, json=no_to), 400, "INVALID_DATA", target="requests[0]")
    plain_http = custom_provider("https://user:pw@sms.example.com")
    assert_error(
        await admin.post(path, json=plain_http), 400, "INVALID_DATA", target="requests[0].url"
    )
    for headers in ({"Host": "internal.example"}, {"Bad Name": "x"}, {"X-Test": "a\r\nb"}):
        bad_headers = custom_provider("https://sms.example.com")
        bad_headers["requests"][0]["headers"] = headers
        refused = await admin.post(path, json=bad_headers)
        assert_error(refused, 400, "INVALID_DATA")
    no_secret = custom_provider("https://sms.example.com")
    no_secret["authentication"] = {"method": "BEARER"}
    assert_error(
        await admin.post(path, json=no_secret),
        400,
        "INVALID_DATA",
        target="authentication.authToken",
    )
    kept = await admin.put(
        f"{path}/{created['id']}",
        json={
            **custom_provider("https://sms.example.com"),
            "authentication": {"method": "BASIC", "username": "acct"},
        },
    )
    assert kept.status_code == 200, kept.text
    listed = (await admin.get(path)).json()
    assert [item["id"] for item in listed["_embedded"]["phoneDeliverySettings"]] == [created["id"]]
    other = await admin.create(
        "/environments",
        {"name": f"other-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"},
    )
    elsewhere = f"/environments/{other['id']}{PHONES}/{created['id']}"
    assert_error(await admin.get(elsewhere), 404, "NOT_FOUND")
    assert_error(await admin.delete(elsewhere), 404, "NOT_FOUND")
    assert (await admin.delete(f"{path}/{created['id']}")).status_code == 204


async def test_the_passcode_is_sent_through_the_custom_provider(
    app: Any, admin: Api, env: str, provider: Provider
) -> None:
    path = f"/environments/{env}{PHONES}"
    down = await admin.create(path, custom_provider(f"{provider.url}/down", name="Down"))
    working = await admin.create(path, custom_provider(provider.url))
    await admin.put(
        f"/environments/{env}{SETTINGS}",
        json={"smsProvidersFallbackChain": [down["id"], working["id"]]},
    )
    user = await create_user(admin, env)
    await pair(app, local_runtime(app), user["id"], {"type": "SMS", "phone": US_PHONE_E164})
    (message,) = await messages_to(app, env, US_PHONE_E164)
    code = message.variables["code"]
    assert message.delivered_at is not None, message.delivery_error
    first, second = provider.requests
    assert first["path"] == "/down/sms" and second["path"] == "/sms"
    sent = json.loads(second["body"])
    assert sent == {"to": US_PHONE_E164[1:], "text": message.body, "code": code}
    expected = "Basic " + base64.b64encode(b"acct:pa55").decode()
    assert second["headers"]["Authorization"] == expected

    await pair(app, local_runtime(app), user["id"], {"type": "VOICE", "phone": "+14155552674"})
    call = provider.requests[-1]
    assert call["method"] == "GET" and urlsplit(call["path"]).path == "/call"
    query = parse_qs(urlsplit(call["path"]).query)
    assert query["to"] == ["+14155552674"]
    (voice,) = await messages_to(app, env, "+14155552674")
    assert query["say"] == [voice.body]


async def test_a_voice_contents_voice_fills_the_providers_voice_variable(
    app: Any, admin: Api, env: str, provider: Provider
) -> None:
    body = custom_provider(provider.url)
    body["requests"][1]["url"] = f"{provider.url}/call?to=${{to}}&say=${{message}}&as=${{voice}}"
    await admin.create(f"/environments/{env}{PHONES}", body)
    await admin.create(
        f"/environments/{env}/templates/device_pairing/contents",
        {"locale": "en", "deliveryMethod": "Voice", "content": "Code ${otp}", "voice": "Woman"},
    )
    user = await create_user(admin, env)
    await pair(app, local_runtime(app), user["id"], {"type": "VOICE", "phone": "+14155552675"})
    (message,) = await messages_to(app, env, "+14155552675")
    query = parse_qs(urlsplit(provider.requests[-1]["path"]).query)
    assert query["say"] == [f"Code {message.variables['code']}"]
    assert query["as"] == ["Woman"]


async def test_a_provider_that_fails_is_recorded_and_the_outbox_keeps_the_code(
    app: Any, admin: Api, env: str, provider: Provider
) -> None:
    await admin.create(f"/environments/{env}{PHONES}", custom_provider(f"{provider.url}/down"))
    user = await create_user(admin, env)
    await pair(app, local_runtime(app), user["id"], {"type": "SMS", "phone": US_PHONE_E164})
    # and under the default policy, loopback is never called
    await pair(app, strict_runtime(app), user["id"], {"type": "SMS", "phone": "+14155552675"})
    (failed,) = await messages_to(app, env, US_PHONE_E164)
    assert failed.delivered_at is None
    assert failed.delivery_error and "503" in failed.delivery_error
    (blocked,) = await messages_to(app, env, "+14155552675")
    assert blocked.delivery_error and "http" in blocked.delivery_error
    assert len(provider.requests) == 1
