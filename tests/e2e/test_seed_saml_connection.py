"""The seed use cases "Test a SAML application connection" and "Configure a SAML identity
provider" over HTTP against one real server: the source environment is the SAML identity provider
(a SAML application), the destination environment the service provider (a SAML identity provider
pointing at the source's metadata, endpoints and certificate). A user of the source signs in to an
OIDC application of the destination and gets the destination's tokens. The browser is driven by
hand (cookies kept, redirects followed one by one, the auto-POST forms submitted)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest
from lxml import etree

from tests.e2e.support import (
    FLOW_MEDIA,
    PASSWORD,
    authorize,
    client_with_scopes,
    code_tokens,
    created,
    ok,
    policy_for,
    query_of,
    suffix,
    user_with_password,
    verified_claims,
)
from tests.support.server import Server, new_environment, organization_client

MD = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
SCOPES = ["openid", "profile", "email"]


@dataclass
class Connection:
    server: Server
    source: httpx.Client
    destination: httpx.Client
    source_env: str
    destination_env: str
    saml_app: dict[str, Any]
    provider: dict[str, Any]
    population: str
    client_id: str
    client_secret: str

    def url(self, env: str, path: str) -> str:
        return f"{self.server.base_url}/{env}{path}"


def _signing_certificate_pem(source: httpx.Client) -> bytes:
    """Step 1: the source's signing key, downloaded as PEM."""
    keys = ok(source.get("/keys"))["_embedded"]["keys"]
    key = next(k for k in keys if k["usageType"] == "SIGNING" and k["default"])
    pem = source.get(f"/keys/{key['id']}", headers={"Accept": "application/x-pem-file"})
    assert pem.status_code == 200, pem.text
    return pem.content


def _saml_application(source: httpx.Client, sp_entity_id: str, acs: str) -> dict[str, Any]:
    """Steps 3 and 4: the SAML application, its subject the username, and an e-mail attribute."""
    application = created(
        source.post(
            "/applications",
            json={
                "name": f"SAML test {suffix()}",
                "enabled": True,
                "protocol": "SAML",
                "type": "WEB_APP",
                "spEntityId": sp_entity_id,
                "acsUrls": [acs],
                "assertionDuration": 300,
                "responseSigned": True,
            },
        )
    )
    mappings = f"/applications/{application['id']}/attributes"
    subject = next(
        m
        for m in ok(source.get(mappings))["_embedded"]["attributes"]
        if m["name"] == "saml_subject"
    )
    ok(source.put(f"{mappings}/{subject['id']}", json={**subject, "value": "${user.username}"}))
    created(
        source.post(mappings, json={"name": "email", "value": "${user.email}", "required": False})
    )
    return application


def _provider(
    server: Server,
    source_env: str,
    destination: httpx.Client,
    saml_app: dict[str, Any],
    certificate_pem: bytes,
    population: str,
    **changes: Any,
) -> dict[str, Any]:
    """Steps 5 to 7: the certificate, the SAML identity provider read from the source's
    metadata, and its e-mail mapping."""
    uploaded = destination.post(
        "/certificates",
        files={"file": ("source.pem", certificate_pem, "application/x-pem-file")},
        data={"usageType": "SIGNING"},
    )
    if uploaded.status_code == 400:  # the second provider reuses the certificate
        certificates = ok(destination.get("/certificates"))["_embedded"]["certificates"]
        certificate_id = certificates[0]["id"]
    else:
        assert uploaded.status_code == 202, uploaded.text
        certificate_id = uploaded.json()["id"]
    metadata = httpx.get(f"{server.base_url}/{source_env}/saml20/metadata/{saml_app['id']}")
    assert metadata.status_code == 200, metadata.text
    root = etree.fromstring(metadata.content)
    sso = root.find(
        "md:IDPSSODescriptor/md:SingleSignOnService[@Binding="
        "'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect']",
        MD,
    )
    assert sso is not None
    provider = ok(
        destination.post(
            "/identityProviders",
            json={
                "type": "SAML",
                "name": f"Source IdP {suffix()}",
                "enabled": True,
                "idpEntityId": root.get("entityID"),
                "spEntityId": saml_app["spEntityId"],
                "ssoEndpoint": sso.get("Location"),
                "ssoBinding": "HTTP_REDIRECT",
                "idpVerification": {"certificates": [{"id": certificate_id}]},
                "registration": {"population": {"id": population}},
                **changes,
            },
        )
    )
    created(
        destination.post(
            f"/identityProviders/{provider['id']}/attributes",
            json={"name": "email", "value": "${samlAssertion.email}", "update": "ALWAYS"},
        )
    )
    return provider


def _policy(destination: httpx.Client, client_id: str, action: dict[str, Any]) -> None:
    """Steps 8 to 10: a sign-on policy with the provider, for the destination's application."""
    policy_for(destination, client_id, "SAML", action)


@pytest.fixture(scope="module")
def connection(server: Server) -> Iterator[Connection]:
    with organization_client(server) as org:
        source_env, source = new_environment(server, org, "saml")  # step 2
        destination_env, destination = new_environment(server, org, "saml")
    certificate_pem = _signing_certificate_pem(source)
    acs = f"{server.base_url}/{destination_env}/saml20/sp/acs"
    saml_app = _saml_application(source, f"urn:gatehouse:sp:{destination_env}", acs)
    population = created(destination.post("/populations", json={"name": f"SAML {suffix()}"}))["id"]
    provider = _provider(server, source_env, destination, saml_app, certificate_pem, population)
    client_id, client_secret = client_with_scopes(destination, SCOPES)
    _policy(
        destination,
        client_id,
        {"type": "IDENTITY_PROVIDER", "identityProvider": {"id": provider["id"]}},
    )
    yield Connection(
        server,
        source,
        destination,
        source_env,
        destination_env,
        saml_app,
        provider,
        population,
        client_id,
        client_secret,
    )
    source.close()
    destination.close()


def location(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


def form_of(page: httpx.Response) -> tuple[str, dict[str, str]]:
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]*)"', page.text)
    assert action, page.text
    fields = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text)
    return unescape(action.group(1)), {unescape(k): unescape(v) for k, v in fields}


def submit(agent: httpx.Client, page: httpx.Response) -> httpx.Response:
    """What the page's script does: POST the form."""
    action, fields = form_of(page)
    return agent.post(action, data=fields)


def start(conn: Connection, agent: httpx.Client, client_id: str | None = None) -> dict[str, Any]:
    """Authorize at the destination: the flow, waiting for the identity provider."""
    endpoint = conn.url(conn.destination_env, "/as/authorize")
    scope = " ".join(SCOPES)
    flow_id = authorize(
        agent, client_id or conn.client_id, scope, endpoint=endpoint, state="downstream"
    )
    return ok(agent.get(conn.url(conn.destination_env, f"/flows/{flow_id}")))


def sign_on_at_source(
    conn: Connection, agent: httpx.Client, to_idp: httpx.Response, username: str
) -> httpx.Response:
    """Follow the AuthnRequest to the source, sign on there: the page posting to the ACS."""
    if to_idp.status_code == 200:  # HTTP-POST binding
        to_idp = submit(agent, to_idp)
    flow_id = query_of(location(to_idp))["flowId"]
    checked = agent.post(
        conn.url(conn.source_env, f"/flows/{flow_id}"),
        json={"username": username, "password": PASSWORD},
        headers={"Content-Type": FLOW_MEDIA.format("usernamePassword.check")},
    )
    flow = ok(checked)
    assert flow["status"] == "COMPLETED"
    return agent.get(flow["resumeUrl"])


def tokens(conn: Connection, code: str, client: tuple[str, str] | None = None) -> dict[str, Any]:
    issuer = conn.url(conn.destination_env, "/as")
    return code_tokens(issuer, client or (conn.client_id, conn.client_secret), code)


def claims_of(conn: Connection, id_token: str) -> dict[str, Any]:
    return verified_claims(conn.url(conn.destination_env, "/as"), id_token)


def users_named(conn: Connection, username: str) -> list[dict[str, Any]]:
    page = ok(conn.destination.get("/users", params={"filter": f'username eq "{username}"'}))
    return page["_embedded"]["users"]


def test_a_source_user_signs_in_to_the_destination_and_gets_its_tokens(
    connection: Connection,
) -> None:
    conn = connection
    person = user_with_password(conn.source)
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow = start(conn, agent)
        assert flow["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        assert flow["_embedded"]["identityProvider"]["type"] == "SAML"
        to_idp = agent.get(flow["_links"]["authenticate"]["href"])
        assert location(to_idp).startswith(
            conn.url(conn.source_env, "/saml20/idp/sso?SAMLRequest=")
        )
        acs_page = sign_on_at_source(conn, agent, agent.get(location(to_idp)), person["username"])
        action, fields = form_of(acs_page)
        assert action == conn.url(conn.destination_env, "/saml20/sp/acs")
        assert fields["RelayState"].startswith(flow["id"])
        answer = agent.post(action, data=fields)
        resume = location(answer)
        assert resume == conn.url(conn.destination_env, f"/as/resume?flowId={flow['id']}")
        assert agent.post(action, data=fields).status_code == 400  # the RelayState is used up
        returned = query_of(location(agent.get(resume)))
    assert returned["state"] == "downstream"
    answer_tokens = tokens(conn, returned["code"])
    assert answer_tokens["access_token"]
    claims = claims_of(conn, answer_tokens["id_token"])
    assert "fed" in claims["amr"]
    user = ok(conn.destination.get(f"/users/{claims['sub']}"))
    assert user["username"] == person["username"]  # the CORE mapping: the assertion subject
    assert user["email"] == person["email"]  # ${samlAssertion.email}
    assert user["population"]["id"] == conn.population
    assert user["identityProvider"] == {"type": "SAML", "id": conn.provider["id"]}
    links = ok(conn.destination.get(f"/users/{user['id']}/linkedAccounts"))["_embedded"]
    assert [link["externalId"] for link in links["linkedAccounts"]] == [person["username"]]

    # a second sign-on finds the linked user
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow = start(conn, agent)
        to_idp = agent.get(flow["_links"]["authenticate"]["href"])
        acs_page = sign_on_at_source(conn, agent, agent.get(location(to_idp)), person["username"])
        returned = query_of(location(agent.get(location(submit(agent, acs_page)))))
    again = claims_of(conn, tokens(conn, returned["code"])["id_token"])
    assert again["sub"] == user["id"]
    assert len(users_named(conn, person["username"])) == 1


def test_a_replayed_response_fails_and_creates_nobody(connection: Connection) -> None:
    """The same SAMLResponse posted into another sign-on (with that sign-on's RelayState)."""
    conn = connection
    first_person = user_with_password(conn.source)
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow = start(conn, agent)
        to_idp = agent.get(flow["_links"]["authenticate"]["href"])
        acs_page = sign_on_at_source(
            conn, agent, agent.get(location(to_idp)), first_person["username"]
        )
        action, captured = form_of(acs_page)
        agent.post(action, data=captured)
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow = start(conn, agent)
        to_idp = location(agent.get(flow["_links"]["authenticate"]["href"]))
        relay_state = query_of(to_idp)["RelayState"]
        page = location(agent.post(action, data={**captured, "RelayState": relay_state}))
        assert "/signon/" in page
        failed = ok(agent.get(conn.url(conn.destination_env, f"/flows/{flow['id']}")))
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "EXTERNAL_AUTHENTICATION_FAILED"
    # the InResponseTo check comes first: the response answers the first sign-on's request
    assert "request" in failed["error"]["message"]


def test_post_binding_with_a_signed_request_at_a_login_button(connection: Connection) -> None:
    """A second provider: HTTP-POST, authnRequestSigned with a destination key the source's
    application verifies; offered as a LOGIN action's socialProviders button."""
    conn = connection
    key = created(
        conn.destination.post(
            "/keys",
            json={
                "name": f"SP signing {suffix()}",
                "subjectDN": "CN=Destination SP",
                "algorithm": "RSA",
                "keyLength": 2048,
                "signatureAlgorithm": "SHA256withRSA",
                "usageType": "SIGNING",
                "validityPeriod": 30,
            },
        )
    )
    sp_pem = conn.destination.get(
        f"/keys/{key['id']}", headers={"Accept": "application/x-pem-file"}
    )
    uploaded = conn.source.post(
        "/certificates",
        files={"file": ("sp.pem", sp_pem.content, "application/x-pem-file")},
        data={"usageType": "SIGNING"},
    )
    assert uploaded.status_code == 202, uploaded.text
    acs = conn.url(conn.destination_env, "/saml20/sp/acs")
    saml_app = _saml_application(conn.source, f"urn:gatehouse:sp2:{suffix()}", acs)
    app_body = ok(conn.source.get(f"/applications/{saml_app['id']}"))
    for name in ("id", "_links", "environment", "createdAt", "updatedAt"):
        app_body.pop(name, None)
    app_body["spVerification"] = {
        "authnRequestSigned": True,
        "certificates": [{"id": uploaded.json()["id"]}],
    }
    ok(conn.source.put(f"/applications/{saml_app['id']}", json=app_body))
    provider = _provider(
        conn.server,
        conn.source_env,
        conn.destination,
        saml_app,
        _signing_certificate_pem(conn.source),
        conn.population,
        ssoBinding="HTTP_POST",
        authnRequestSigned=True,
        spSigning={"key": {"id": key["id"]}},
    )
    client = client_with_scopes(conn.destination, SCOPES)
    _policy(
        conn.destination,
        client[0],
        {"type": "LOGIN", "socialProviders": [{"id": provider["id"]}]},
    )
    sp_metadata = httpx.get(conn.url(conn.destination_env, f"/saml20/sp/metadata/{provider['id']}"))
    assert sp_metadata.status_code == 200
    descriptor = etree.fromstring(sp_metadata.content).find("md:SPSSODescriptor", MD)
    assert descriptor is not None and descriptor.get("AuthnRequestsSigned") == "true"
    person = user_with_password(conn.source)
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow = start(conn, agent, client[0])
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        button = flow["_embedded"]["socialProviders"][0]
        post_page = agent.get(button["_links"]["authenticate"]["href"])
        action, fields = form_of(post_page)
        assert action == conn.url(conn.source_env, "/saml20/idp/sso")
        assert b"<ds:Signature" in base64.b64decode(fields["SAMLRequest"])
        unsigned = fields["SAMLRequest"]
        acs_page = sign_on_at_source(conn, agent, post_page, person["username"])
        returned = query_of(location(agent.get(location(submit(agent, acs_page)))))
        # an unsigned request is refused by the source: the application wants them signed
        stripped = re.sub(
            rb"<ds:Signature.*</ds:Signature>", b"", base64.b64decode(unsigned), flags=re.S
        )
        refused = agent.post(
            action, data={"SAMLRequest": base64.b64encode(stripped).decode(), "RelayState": "x"}
        )
        assert refused.status_code == 400
        assert "must sign" in refused.text
    claims = claims_of(conn, tokens(conn, returned["code"], client)["id_token"])
    assert ok(conn.destination.get(f"/users/{claims['sub']}"))["username"] == person["username"]
