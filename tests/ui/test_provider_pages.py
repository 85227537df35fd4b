"""The hosted page's identity provider steps over plain HTTP against a real server whose FACEBOOK
endpoints point at a loopback OAuth 2.0 server: the provider buttons (plain links, nothing loaded
from other sites), the EXTERNAL_AUTHENTICATION_REQUIRED page, account linking with a wrong and
then the right password, and account confirmation with a corrected attribute."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.federation.social_server import Person, SocialServer, facebook_fixtures
from tests.ui.conftest import Tenant, callback_query
from tests.ui.test_signon_page import Visitor, assert_page_headers, heading

pytestmark = pytest.mark.e2e

APP_ID = "777000777000"
APP_SECRET = secrets.token_hex(12)


facebook, server = facebook_fixtures(APP_ID, APP_SECRET)


@pytest.fixture
def visitor(tenant: Tenant) -> Iterator[Visitor]:
    with httpx.Client(base_url=tenant.server.base_url, timeout=30) as client:
        yield Visitor(client)


def facebook_provider(tenant: Tenant) -> dict[str, Any]:
    response = tenant.api.post(
        "/identityProviders",
        json={
            "type": "FACEBOOK",
            "name": f"Facebook {secrets.token_hex(2)}",
            "enabled": True,
            "appId": APP_ID,
            "appSecret": APP_SECRET,
            "loginButtonIcon": {"href": "https://cdn.example/facebook.png"},
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def button(page: httpx.Response, name: str) -> str:
    """The href of the "Continue with <name>" link."""
    match = re.search(
        rf'<a class="provider[^"]*" href="([^"]+)"[^>]*>Continue with {name}</a>', page.text
    )
    assert match, page.text
    return match.group(1).replace("&amp;", "&")


def through_facebook(visitor: Visitor, href: str) -> httpx.Response:
    """Follow the button to Facebook and back: the page the flow is on then."""
    upstream = visitor.client.get(href)
    assert upstream.status_code == 302, upstream.text
    consent = httpx.get(upstream.headers["location"])
    assert consent.status_code == 302, consent.text
    back = visitor.client.get(consent.headers["location"])
    assert back.status_code == 302, back.text
    return visitor.open(back.headers["location"])


def person() -> Person:
    return Person(
        str(secrets.randbelow(10**12)), f"p-{secrets.token_hex(3)}@example.com", "Ada", "L"
    )


def test_account_linking_on_the_hosted_page(
    tenant: Tenant, visitor: Visitor, facebook: SocialServer
) -> None:
    provider = facebook_provider(tenant)
    application = tenant.client({"type": "LOGIN", "socialProviders": [{"id": provider["id"]}]})
    local = tenant.user(tenant.population())
    page = visitor.start(tenant, application)
    assert "Or sign on with" in page.text
    assert "cdn.example" not in page.text  # no third-party icon
    href = button(page, provider["name"])
    assert f"/{tenant.environment_id}/rp/authenticate?providerId={provider['id']}" in href

    facebook.signed_in = person()
    linking = through_facebook(visitor, href)
    assert_page_headers(linking)
    assert heading(linking) == "Link your account"
    assert provider["name"] in linking.text
    refused = visitor.submit("signOn", username=local["username"], password="wrong-password")
    assert refused.status_code == 400
    assert "The username or password is incorrect." in refused.text
    done = visitor.submit("signOn", username=local["username"], password="Gatehouse-Tests-42!")
    assert done.status_code == 303 and "/as/resume" in done.headers["location"]
    answer = visitor.client.get(done.headers["location"])
    assert answer.status_code == 302
    assert callback_query(answer.headers["location"])["code"]
    links = tenant.api.get(f"/users/{local['id']}/linkedAccounts").json()
    assert links["count"] == 1


def test_the_external_authentication_page_and_account_confirmation(
    tenant: Tenant, visitor: Visitor, facebook: SocialServer
) -> None:
    provider = facebook_provider(tenant)
    application = tenant.client(
        {
            "type": "IDENTITY_PROVIDER",
            "identityProvider": {"id": provider["id"]},
            "registration": {"enabled": True},
        }
    )
    page = visitor.start(tenant, application)
    assert heading(page) == f"Sign on with {provider['name']}"
    href = button(page, provider["name"])
    facebook.signed_in = ada = person()
    through_facebook(visitor, href)  # no confirmation asked: straight to the application
    users = tenant.api.get("/users", params={"filter": f'username eq "{ada.email}"'}).json()
    assert users["count"] == 1

    confirming_app = tenant.client(
        {
            "type": "LOGIN",
            "registration": {"enabled": True, "confirmIdentityProviderAttributes": True},
            "socialProviders": [{"id": provider["id"]}],
        }
    )
    with httpx.Client(base_url=tenant.server.base_url, timeout=30) as client:
        fresh = Visitor(client)  # the first browser is signed on now
        page = fresh.start(tenant, confirming_app)
        facebook.signed_in = grace = person()
        confirm = through_facebook(fresh, button(page, provider["name"]))
        assert heading(confirm) == "Confirm your details"
        assert f'value="{grace.email}"' in confirm.text
        chosen = f"grace.{secrets.token_hex(3)}"
        done = fresh.submit("confirmAccount", **{"attr.username": chosen})
        assert done.status_code == 303 and "/as/resume" in done.headers["location"]
    created = tenant.api.get("/users", params={"filter": f'username eq "{chosen}"'}).json()
    assert created["count"] == 1
