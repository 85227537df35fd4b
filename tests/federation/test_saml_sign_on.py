"""Signing on through a SAML identity provider, in process. The test plays the identity provider:
it holds the private key of the provider's verification certificate and writes the Responses
itself with signxml, good and bad. Each bad one (unsigned, signed by another certificate,
expired, for another audience or recipient, replayed, wrapped, answering another request) fails
the sign-on with a clear error and creates or links no user."""

from __future__ import annotations

import base64
import copy
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod

from tests.keys.support import certificate, import_certificate
from tests.saml.support import SAML, SAMLP
from tests.signon.support import Browser, application, policy_for, query_of
from tests.support.api import Api

pytestmark = pytest.mark.anyio

IDP_ENTITY = "https://idp.example.com/saml"
SP_ENTITY = "https://sp.gatehouse.test"
SSO = "https://idp.example.com/sso"
DS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass
class IdpKey:
    key_pem: str
    cert_pem: str


def idp_key(common_name: str = "idp.example.com") -> tuple[IdpKey, Any]:
    key, cert = certificate(common_name=common_name)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return IdpKey(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()), cert


@dataclass
class Setup:
    env: str
    client: Any
    provider: dict[str, Any]
    key: IdpKey


@pytest.fixture
async def setup(admin: Api, env: str) -> Setup:
    key, cert = idp_key()
    uploaded = await import_certificate(admin, env, cert)
    population = await admin.create(f"/environments/{env}/populations", {"name": "SAML users"})
    provider = (
        await admin.post(
            f"/environments/{env}/identityProviders",
            json={
                "type": "SAML",
                "name": "Test IdP",
                "enabled": True,
                "idpEntityId": IDP_ENTITY,
                "spEntityId": SP_ENTITY,
                "ssoEndpoint": SSO,
                "ssoBinding": "HTTP_REDIRECT",
                "idpVerification": {"certificates": [{"id": uploaded["id"]}]},
                "registration": {"population": {"id": population["id"]}},
            },
        )
    ).json()
    await admin.create(
        f"/environments/{env}/identityProviders/{provider['id']}/attributes",
        {"name": "email", "value": "${samlAssertion.mail}", "update": "ALWAYS"},
    )
    client = await application(admin, env)
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "IDENTITY_PROVIDER", "identityProvider": {"id": provider["id"]}}],
    )
    return Setup(env, client, provider, key)


@dataclass
class Started:
    flow_id: str
    request_id: str
    relay_state: str
    acs: str


async def start(browser: Browser, setup: Setup) -> Started:
    flow_id = await browser.start(setup.client)
    href = f"/{setup.env}/rp/authenticate"
    params = {"flowId": flow_id, "identityProviderId": setup.provider["id"]}
    redirect = await browser.http.get(href, params=params)
    assert redirect.status_code == 302, redirect.text
    location = redirect.headers["location"]
    assert location.startswith(SSO + "?SAMLRequest=")
    query = query_of(location)
    document = zlib.decompress(base64.b64decode(query["SAMLRequest"]), wbits=-15)
    request = etree.fromstring(document)
    assert request.findtext(f"{{{SAML}}}Issuer") == SP_ENTITY
    acs = request.get("AssertionConsumerServiceURL")
    assert acs == f"http://testserver/{setup.env}/saml20/sp/acs"
    return Started(flow_id, request.get("ID"), query["RelayState"], acs)


def instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion(
    started: Started,
    subject: str,
    *,
    audience: str = SP_ENTITY,
    recipient: str | None = None,
    lifetime: timedelta = timedelta(minutes=5),
    assertion_id: str | None = None,
    issuer: str = IDP_ENTITY,
) -> etree._Element:
    now = datetime.now(UTC)
    element = etree.Element(
        f"{{{SAML}}}Assertion",
        nsmap={"saml": SAML},
        ID=assertion_id or f"_{secrets.token_hex(12)}",
        Version="2.0",
        IssueInstant=instant(now),
    )
    etree.SubElement(element, f"{{{SAML}}}Issuer").text = issuer
    subject_element = etree.SubElement(element, f"{{{SAML}}}Subject")
    etree.SubElement(subject_element, f"{{{SAML}}}NameID").text = subject
    confirmation = etree.SubElement(
        subject_element,
        f"{{{SAML}}}SubjectConfirmation",
        Method="urn:oasis:names:tc:SAML:2.0:cm:bearer",
    )
    etree.SubElement(
        confirmation,
        f"{{{SAML}}}SubjectConfirmationData",
        InResponseTo=started.request_id,
        Recipient=recipient or started.acs,
        NotOnOrAfter=instant(now + lifetime),
    )
    conditions = etree.SubElement(
        element,
        f"{{{SAML}}}Conditions",
        NotBefore=instant(now - timedelta(minutes=10)),
        NotOnOrAfter=instant(now + lifetime),
    )
    restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
    etree.SubElement(restriction, f"{{{SAML}}}Audience").text = audience
    etree.SubElement(element, f"{{{SAML}}}AuthnStatement", AuthnInstant=instant(now))
    statement = etree.SubElement(element, f"{{{SAML}}}AttributeStatement")
    attribute = etree.SubElement(statement, f"{{{SAML}}}Attribute", Name="mail")
    etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = f"{subject}@example.com"
    return element


def sign(element: etree._Element, key: IdpKey) -> etree._Element:
    placeholder = etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    element.find(f"{{{SAML}}}Issuer").addnext(placeholder)
    signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    return signer.sign(
        element,
        key=key.key_pem,
        cert=key.cert_pem,
        reference_uri=element.get("ID"),
        id_attribute="ID",
    )


def response(
    started: Started, *assertions: etree._Element, in_response_to: str | None = None
) -> etree._Element:
    element = etree.Element(
        f"{{{SAMLP}}}Response",
        nsmap={"samlp": SAMLP, "saml": SAML},
        ID=f"_{secrets.token_hex(12)}",
        Version="2.0",
        IssueInstant=instant(datetime.now(UTC)),
        Destination=started.acs,
        InResponseTo=in_response_to or started.request_id,
    )
    etree.SubElement(element, f"{{{SAML}}}Issuer").text = IDP_ENTITY
    status = etree.SubElement(element, f"{{{SAMLP}}}Status")
    etree.SubElement(
        status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success"
    )
    for item in assertions:
        element.append(item)
    return element


async def post_response(
    browser: Browser, setup: Setup, started: Started, message: etree._Element
) -> dict[str, Any]:
    """POST the Response to the ACS; the flow afterwards."""
    answer = await browser.http.post(
        f"/{setup.env}/saml20/sp/acs",
        data={
            "SAMLResponse": base64.b64encode(etree.tostring(message)).decode(),
            "RelayState": unquote(started.relay_state),
        },
    )
    assert answer.status_code == 303, answer.text
    return (await browser.flow(started.flow_id)).json()


async def users_named(admin: Api, env: str, username: str) -> int:
    page = await admin.get(
        f"/environments/{env}/users", params={"filter": f'username eq "{username}"'}
    )
    return len(page.json()["_embedded"]["users"])


async def test_a_signed_assertion_provisions_and_links_the_user(
    app: object, admin: Api, setup: Setup
) -> None:
    name = f"ada-{secrets.token_hex(3)}"
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        flow = await post_response(
            browser, setup, started, response(started, sign(assertion(started, name), setup.key))
        )
        assert flow["status"] == "COMPLETED", flow
        resumed = await browser.resume(started.flow_id)
        assert resumed.status_code == 302 and "code=" in resumed.headers["location"]
    users = await admin.get(
        f"/environments/{setup.env}/users", params={"filter": f'username eq "{name}"'}
    )
    (created,) = users.json()["_embedded"]["users"]
    assert created["email"] == f"{name}@example.com"
    assert created["identityProvider"] == {"type": "SAML", "id": setup.provider["id"]}


async def test_a_provider_offered_at_identifier_first_signs_on(
    app: object, admin: Api, setup: Setup
) -> None:
    assignments = (
        f"/environments/{setup.env}/applications/{setup.client.id}/signOnPolicyAssignments"
    )
    for assigned in (await admin.get(assignments)).json()["_embedded"]["signOnPolicyAssignments"]:
        await admin.delete(f"{assignments}/{assigned['id']}")
    await policy_for(
        admin,
        setup.env,
        setup.client.id,
        [{"type": "IDENTIFIER_FIRST", "socialProviders": [{"id": setup.provider["id"]}]}],
    )
    name = f"grace-{secrets.token_hex(3)}"
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        assert (await browser.flow(started.flow_id)).json()["status"] == "SIGN_ON_REQUIRED"
        flow = await post_response(
            browser, setup, started, response(started, sign(assertion(started, name), setup.key))
        )
        assert flow["status"] == "COMPLETED", flow


async def test_a_signed_response_covers_an_unsigned_assertion(
    app: object, admin: Api, setup: Setup
) -> None:
    name = f"grace-{secrets.token_hex(3)}"
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        message = sign(response(started, assertion(started, name)), setup.key)
        flow = await post_response(browser, setup, started, message)
    assert flow["status"] == "COMPLETED", flow
    assert await users_named(admin, setup.env, name) == 1


def _unsigned(started: Started, key: IdpKey, name: str) -> etree._Element:
    return response(started, assertion(started, name))


def _other_certificate(started: Started, key: IdpKey, name: str) -> etree._Element:
    return response(started, sign(assertion(started, name), idp_key("attacker")[0]))


def _expired(started: Started, key: IdpKey, name: str) -> etree._Element:
    return response(started, sign(assertion(started, name, lifetime=-timedelta(minutes=5)), key))


def _other_audience(started: Started, key: IdpKey, name: str) -> etree._Element:
    return response(started, sign(assertion(started, name, audience="https://other.sp"), key))


def _other_recipient(started: Started, key: IdpKey, name: str) -> etree._Element:
    signed = sign(assertion(started, name, recipient="https://other.sp/acs"), key)
    return response(started, signed)


def _another_issuer(started: Started, key: IdpKey, name: str) -> etree._Element:
    return response(started, sign(assertion(started, name, issuer="https://evil.example"), key))


def _changed_after_signing(started: Started, key: IdpKey, name: str) -> etree._Element:
    signed = sign(assertion(started, "someone-else"), key)
    signed.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID").text = name
    return response(started, signed)


def _wrapped_second_assertion(started: Started, key: IdpKey, name: str) -> etree._Element:
    """A forged assertion for `name` next to a genuinely signed one for someone else."""
    genuine = sign(assertion(started, "someone-else"), key)
    return response(started, assertion(started, name), genuine)


def _wrapped_inside_forgery(started: Started, key: IdpKey, name: str) -> etree._Element:
    """The genuine signed assertion hidden in a forged one that carries its signature and ID."""
    genuine = sign(assertion(started, "someone-else"), key)
    forged = assertion(started, name, assertion_id=genuine.get("ID"))
    signature = copy.deepcopy(genuine.find(f"{{{DS}}}Signature"))
    forged.find(f"{{{SAML}}}Issuer").addnext(signature)
    advice = etree.Element(f"{{{SAML}}}Advice")
    advice.append(genuine)
    forged.find(f"{{{SAML}}}Conditions").addnext(advice)
    return response(started, forged)


def _wrapped_response(started: Started, key: IdpKey, name: str) -> etree._Element:
    """A signed Response moved into a forged one's Extensions, next to a forged assertion."""
    genuine = sign(response(started, assertion(started, "someone-else")), key)
    forged = response(started, assertion(started, name))
    extensions = etree.SubElement(forged, f"{{{SAMLP}}}Extensions")
    extensions.append(genuine)
    forged.find(f"{{{SAML}}}Issuer").addnext(extensions)
    return forged


def _another_request(started: Started, key: IdpKey, name: str) -> etree._Element:
    return response(started, sign(assertion(started, name), key), in_response_to="_not-our-request")


BAD: dict[str, tuple[Callable[[Started, IdpKey, str], etree._Element], str]] = {
    "unsigned": (_unsigned, "is not signed"),
    "other certificate": (_other_certificate, "not signed by a trusted certificate"),
    "expired": (_expired, "expired"),
    "other audience": (_other_audience, "another audience"),
    "other recipient": (_other_recipient, "another recipient"),
    "another issuer": (_another_issuer, "another identity provider"),
    "changed after signing": (_changed_after_signing, "changed after it was signed"),
    "wrapped next to a signed one": (_wrapped_second_assertion, "exactly one assertion"),
    "wrapped inside a forgery": (_wrapped_inside_forgery, "exactly one assertion"),
    "wrapped response": (_wrapped_response, "exactly one assertion"),
    "another request": (_another_request, "does not answer this sign-on"),
}


@pytest.mark.parametrize("case", list(BAD))
async def test_a_bad_response_fails_the_sign_on_and_creates_nobody(
    app: object, admin: Api, setup: Setup, case: str
) -> None:
    build, reason = BAD[case]
    name = f"mallory-{secrets.token_hex(3)}"
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        flow = await post_response(browser, setup, started, build(started, setup.key, name))
        assert flow["status"] == "FAILED", flow
        assert flow["error"]["code"] == "EXTERNAL_AUTHENTICATION_FAILED"
        assert reason in flow["error"]["message"], flow["error"]
        resumed = await browser.resume(started.flow_id)
        assert "error=access_denied" in resumed.headers["location"]
    assert await users_named(admin, setup.env, name) == 0
    assert await users_named(admin, setup.env, "someone-else") == 0


async def test_a_replayed_assertion_is_refused(app: object, admin: Api, setup: Setup) -> None:
    """An assertion ID already used signs nobody on again, even in a response that answers the
    new request."""
    first_name, second_name = f"ann-{secrets.token_hex(3)}", f"bob-{secrets.token_hex(3)}"
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        used = assertion(started, first_name)
        replayed_id = used.get("ID")
        flow = await post_response(
            browser, setup, started, response(started, sign(used, setup.key))
        )
        assert flow["status"] == "COMPLETED"
    async with Browser(app, setup.env) as browser:
        again = await start(browser, setup)
        replay = sign(assertion(again, second_name, assertion_id=replayed_id), setup.key)
        flow = await post_response(browser, setup, again, response(again, replay))
    assert flow["status"] == "FAILED"
    assert "used already" in flow["error"]["message"]
    assert await users_named(admin, setup.env, second_name) == 0


async def test_the_relay_state_is_single_use_and_bound_to_its_flow(
    app: object, admin: Api, setup: Setup
) -> None:
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        message = response(started, sign(assertion(started, "carol"), setup.key))
        encoded = base64.b64encode(etree.tostring(message)).decode()
        forged = await browser.http.post(
            f"/{setup.env}/saml20/sp/acs",
            data={"SAMLResponse": encoded, "RelayState": f"{started.flow_id}.guess"},
        )
        assert forged.status_code == 400
        await post_response(browser, setup, started, message)
        replayed = await browser.http.post(
            f"/{setup.env}/saml20/sp/acs",
            data={"SAMLResponse": encoded, "RelayState": unquote(started.relay_state)},
        )
        assert replayed.status_code == 400


async def test_a_message_with_a_doctype_is_refused(app: object, admin: Api, setup: Setup) -> None:
    async with Browser(app, setup.env) as browser:
        started = await start(browser, setup)
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><samlp:Response xmlns:samlp="'
            + SAMLP.encode()
            + b'">&b;</samlp:Response>'
        )
        answer = await browser.http.post(
            f"/{setup.env}/saml20/sp/acs",
            data={
                "SAMLResponse": base64.b64encode(bomb).decode(),
                "RelayState": unquote(started.relay_state),
            },
        )
        assert answer.status_code == 303
        flow = (await browser.flow(started.flow_id)).json()
    assert flow["status"] == "FAILED"
    assert "DOCTYPE" in flow["error"]["message"]


async def test_the_action_acr_values_are_requested_from_the_provider(
    app: object, admin: Api, setup: Setup
) -> None:
    client = await application(admin, setup.env)
    action = {
        "type": "IDENTITY_PROVIDER",
        "identityProvider": {"id": setup.provider["id"]},
        "acrValues": "gold silver",
    }
    await policy_for(admin, setup.env, client.id, [action])
    async with Browser(app, setup.env) as browser:
        flow_id = await browser.start(client)
        redirect = await browser.http.get(
            f"/{setup.env}/rp/authenticate",
            params={"flowId": flow_id, "identityProviderId": setup.provider["id"]},
        )
    query = query_of(redirect.headers["location"])
    request = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"]), wbits=-15))
    requested = request.find(f"{{{SAMLP}}}RequestedAuthnContext")
    assert requested is not None and requested.get("Comparison") == "exact"
    assert [item.text for item in requested] == ["gold", "silver"]
