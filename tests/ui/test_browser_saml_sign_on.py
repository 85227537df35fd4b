"""In Chromium, the seed use case "Test a SAML application connection": the destination
environment's application sends the browser to the destination's /as/authorize; its sign-on policy
names a SAML identity provider, the source environment, whose SAML application answers. The
browser follows the flow's authenticate link to the source, signs on at the source's hosted page,
is carried back by the auto-submitting form to the destination's ACS, and ends at the client's
redirect URI with a code for the destination's tokens."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lxml import etree

from tests.ui.conftest import PASSWORD, Tenant, callback_query, created

pytestmark = pytest.mark.e2e

MD = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}


@pytest.fixture(scope="module")
def source(tenant: Tenant, admin_api: httpx.Client) -> Iterator[Tenant]:
    """A second environment of the same server: the SAML identity provider."""
    body = {"name": f"ui-source-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"}
    environment_id = created(admin_api.post("/environments", json=body))["id"]
    with httpx.Client(
        base_url=f"{tenant.server.api_path}/environments/{environment_id}",
        headers=dict(admin_api.headers),
        timeout=30,
    ) as api:
        yield Tenant(tenant.server, api, environment_id, tenant.redirect_uri)


def _connect(source: Tenant, destination: Tenant) -> dict[str, Any]:
    """The SAML application at the source and the SAML identity provider at the destination:
    the destination's application, whose policy signs on through it."""
    base = destination.server.base_url
    saml_app = created(
        source.api.post(
            "/applications",
            json={
                "name": f"Destination {secrets.token_hex(3)}",
                "enabled": True,
                "protocol": "SAML",
                "type": "WEB_APP",
                "spEntityId": f"urn:gatehouse:{destination.environment_id}",
                "acsUrls": [f"{base}/{destination.environment_id}/saml20/sp/acs"],
                "assertionDuration": 120,
            },
        )
    )
    created(
        source.api.post(
            f"/applications/{saml_app['id']}/attributes",
            json={"name": "mail", "value": "${user.email}", "required": True},
        )
    )
    keys = source.api.get("/keys").json()["_embedded"]["keys"]
    key = next(k for k in keys if k["usageType"] == "SIGNING" and k["default"])
    pem = source.api.get(f"/keys/{key['id']}", headers={"Accept": "application/x-pem-file"})
    uploaded = destination.api.post(
        "/certificates",
        files={"file": ("source.pem", pem.content, "application/x-pem-file")},
        data={"usageType": "SIGNING"},
    )
    assert uploaded.status_code == 202, uploaded.text
    metadata = etree.fromstring(
        httpx.get(f"{base}/{source.environment_id}/saml20/metadata/{saml_app['id']}").content
    )
    sso = metadata.find("md:IDPSSODescriptor/md:SingleSignOnService", MD)
    assert sso is not None
    binding = "HTTP_REDIRECT" if sso.get("Binding").endswith("Redirect") else "HTTP_POST"
    provider = destination.api.post(
        "/identityProviders",
        json={
            "type": "SAML",
            "name": f"Source {secrets.token_hex(3)}",
            "enabled": True,
            "idpEntityId": metadata.get("entityID"),
            "spEntityId": saml_app["spEntityId"],
            "ssoEndpoint": sso.get("Location"),
            "ssoBinding": binding,
            "idpVerification": {"certificates": [{"id": uploaded.json()["id"]}]},
            "registration": {"population": {"id": destination.population()}},
        },
    )
    assert provider.status_code == 200, provider.text
    created(
        destination.api.post(
            f"/identityProviders/{provider.json()['id']}/attributes",
            json={"name": "email", "value": "${samlAssertion.mail}", "update": "ALWAYS"},
        )
    )
    return destination.client(
        {"type": "IDENTITY_PROVIDER", "identityProvider": {"id": provider.json()["id"]}}
    )


def test_a_source_user_signs_in_to_the_destination_in_chromium(
    tenant: Tenant, source: Tenant, page: Any
) -> None:
    application = _connect(source, tenant)
    person = source.user(source.population())

    page.goto(tenant.authorize_url(application, state="saml-state"))
    page.get_by_role("link", name=re.compile(r"Continue with Source")).click()
    assert f"/{source.environment_id}/signon/" in page.url

    page.get_by_label("Username").fill(person["username"])
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Sign on").click()
    query = callback_query(page.url)
    assert query["state"] == "saml-state"
    tokens = tenant.exchange(application, query["code"])
    assert tokens.status_code == 200, tokens.text
    users = tenant.api.get("/users", params={"filter": f'email eq "{person["email"]}"'}).json()
    (user,) = users["_embedded"]["users"]
    assert user["identityProvider"]["type"] == "SAML"
