"""In Chromium: OpenID Connect federation between two environments of one server. Environment A
is the upstream provider (a user with a password, an application whose redirect URI is B's
callback); the tenant's environment B has an OPENID_CONNECT provider pointing at A, offered as a
button by B's LOGIN action. The user clicks the button on B's hosted page, signs on at A's hosted
page, and ends at B's application with a code for B's tokens."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.support import discovered_oidc_provider
from tests.support.server import OUTBOUND_TO_LOOPBACK, server_fixture
from tests.ui.conftest import PASSWORD, SET_PASSWORD, Tenant, callback_query, created

pytestmark = pytest.mark.e2e


server = server_fixture(OUTBOUND_TO_LOOPBACK)


def upstream_environment(
    tenant: Tenant, admin_api: httpx.Client
) -> tuple[str, httpx.Client, dict[str, Any]]:
    """Environment A with a user and an OIDC application for B's callback."""
    body = {"name": f"upstream-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"}
    env = created(admin_api.post("/environments", json=body))["id"]
    api = httpx.Client(
        base_url=f"{tenant.server.api_path}/environments/{env}",
        headers=dict(admin_api.headers),
        timeout=30,
    )
    callback = f"{tenant.server.base_url}/{tenant.environment_id}/rp/callback/openid_connect"
    upstream = Tenant(tenant.server, api, env, callback).client({"type": "LOGIN"})
    username = f"ada-{secrets.token_hex(3)}"
    person = created(
        api.post(
            "/users",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "name": {"given": "Ada"},
            },
        )
    )
    response = api.put(
        f"/users/{person['id']}/password",
        json={"value": PASSWORD, "forceChange": False},
        headers={"Content-Type": SET_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return env, api, {"client": upstream, "person": person}


def oidc_provider(tenant: Tenant, a_env: str, upstream_client: dict[str, Any]) -> dict[str, Any]:
    issuer = f"{tenant.server.base_url}/{a_env}/as"
    client = (upstream_client["id"], upstream_client["secret"])
    provider = discovered_oidc_provider(
        tenant.api, issuer, client, tenant.population(), name="Upstream Corp"
    )
    mapping = {"name": "email", "value": "${providerAttributes.email}", "update": "ALWAYS"}
    created(tenant.api.post(f"/identityProviders/{provider['id']}/attributes", json=mapping))
    return provider


def test_a_user_of_a_signs_on_to_b_through_the_provider_button(
    tenant: Tenant, admin_api: httpx.Client, page: Any
) -> None:
    a_env, a_api, upstream = upstream_environment(tenant, admin_api)
    provider = oidc_provider(tenant, a_env, upstream["client"])
    application = tenant.client(
        {"type": "LOGIN", "socialProviders": [{"id": provider["id"]}]}, name="B Shop"
    )
    person = upstream["person"]

    page.goto(tenant.authorize_url(application, state="b-state"))
    assert page.title() == "Sign on · B Shop"
    assert page.get_by_role("heading", name="Or sign on with").is_visible()
    button = page.get_by_role("link", name="Continue with Upstream Corp")
    assert button.is_visible()
    button.click()

    page.wait_for_url(re.compile(rf"/{a_env}/signon/\?flowId="))
    page.get_by_label("Username").fill(person["username"])
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Sign on").click()

    query = callback_query(page.url)
    assert query["state"] == "b-state"
    tokens = tenant.exchange(application, query["code"])
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set(
        httpx.get(f"{tenant.server.base_url}/{tenant.environment_id}/as/jwks").json()
    )
    claims = jwt.decode(tokens.json()["id_token"], keys).claims
    assert claims["iss"] == f"{tenant.server.base_url}/{tenant.environment_id}/as"
    assert "fed" in claims["amr"]
    user = tenant.api.get(f"/users/{claims['sub']}").json()
    assert user["identityProvider"] == {"type": "OPENID_CONNECT", "id": provider["id"]}
    assert user["email"] == person["email"]
    assert user["username"] == person["id"]  # the CORE mapping: A's subject
    a_api.close()
