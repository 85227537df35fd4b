"""Gatehouse as a SAML identity provider: SP-initiated sign-on over the Redirect and POST bindings,
IdP-initiated sign-on, the signed Response posted to the ACS URL, and the IdP metadata."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import InvalidInput, InvalidSignature

from tests.federation.conftest import create_provider, provider
from tests.keys.support import certificate, import_certificate
from tests.saml.support import (
    ACS,
    NS,
    SUCCESS,
    authn_request,
    deflated,
    form_fields,
    posted,
    saml_application,
    saml_response,
)
from tests.signon.support import Browser, policy_for, query_of, user
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def default_certificate(admin: Api, env: str) -> x509.Certificate:
    keys = (await admin.get(f"/environments/{env}/keys")).json()["_embedded"]["keys"]
    key = next(k for k in keys if k["usageType"] == "SIGNING" and k["default"])
    pem = await admin.get(
        f"/environments/{env}/keys/{key['id']}", headers={"Accept": "application/x-pem-file"}
    )
    return x509.load_pem_x509_certificate(pem.content)


async def sign_in(browser: Browser, first: Any, username: str) -> Any:
    """Follow the IdP's redirect to the sign-on page, sign on, and resume: the ACS form page."""
    assert first.status_code == 302, first.text
    flow_id = query_of(first.headers["location"])["flowId"]
    flow = await browser.sign_on(flow_id, username)
    assert flow["status"] == "COMPLETED"
    assert "/saml20/resume" in flow["resumeUrl"]
    return await browser.http.get(flow["resumeUrl"])


def assertion_of(document: etree._Element, certificate: x509.Certificate) -> etree._Element:
    assertion = document.find("saml:Assertion", NS)
    assert assertion is not None
    verified = XMLVerifier().verify(etree.tostring(assertion), x509_cert=certificate)
    return verified.signed_xml  # type: ignore[union-attr]


async def test_redirect_binding_signs_on_and_posts_a_signed_assertion(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env, name={"given": "Ada"})
    application = await saml_application(
        admin, env, nameIdFormat="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    )
    mappings = f"/environments/{env}/applications/{application['id']}/attributes"
    listed = (await admin.get(mappings)).json()["_embedded"]["attributes"]
    subject = next(m for m in listed if m["name"] == "saml_subject")
    assert subject["mappingType"] == "CORE" and subject["value"] == "${user.id}"
    await admin.put(f"{mappings}/{subject['id']}", json={**subject, "value": "${user.email}"})
    await admin.create(
        mappings, {"name": "givenName", "value": "${user.name.given}", "required": False}
    )
    request = authn_request(application["spEntityId"], request_id="_req-1")
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            f"/{env}/saml20/idp/sso",
            params={"SAMLRequest": deflated(request), "RelayState": "deep/link"},
        )
        page = await sign_in(browser, first, person["username"])
    action, document, relay_state = saml_response(page.text)
    assert (action, relay_state) == (ACS, "deep/link")
    assert document.get("InResponseTo") == "_req-1"
    assert document.get("Destination") == ACS
    status = document.find("samlp:Status/samlp:StatusCode", NS)
    assert status is not None and status.get("Value") == SUCCESS
    assertion = assertion_of(document, await default_certificate(admin, env))
    issuer = assertion.findtext("saml:Issuer", namespaces=NS)
    assert issuer == f"http://testserver/{env}"
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None and name_id.text == person["email"]
    assert name_id.get("Format").endswith("emailAddress")
    confirmation = assertion.find(
        "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS
    )
    assert confirmation.get("Recipient") == ACS and confirmation.get("InResponseTo") == "_req-1"
    audience = assertion.findtext(
        "saml:Conditions/saml:AudienceRestriction/saml:Audience", namespaces=NS
    )
    assert audience == application["spEntityId"]
    values = {
        a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", NS)]
        for a in assertion.findall("saml:AttributeStatement/saml:Attribute", NS)
    }
    assert values == {"givenName": ["Ada"]}
    context = assertion.findtext(
        "saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef", namespaces=NS
    )
    assert context == "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


async def test_post_binding_with_a_signed_response_and_single_sign_on(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env)
    application = await saml_application(admin, env, responseSigned=True, assertionSigned=False)
    certificate = await default_certificate(admin, env)
    async with Browser(app, env) as browser:
        body = {"SAMLRequest": posted(authn_request(application["spEntityId"]))}
        first = await browser.http.post(
            f"/{env}/saml20/idp/sso",
            content=urlencode(body),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        page = await sign_in(browser, first, person["username"])
        _, document, relay_state = saml_response(page.text)
        assert relay_state is None
        verified = XMLVerifier().verify(etree.tostring(document), x509_cert=certificate)
        assert verified.signed_xml.tag == f"{{{NS['samlp']}}}Response"  # type: ignore[union-attr]
        assert document.find("saml:Assertion/ds:Signature", NS) is None
        # the browser's session answers the next request at once
        again = await browser.http.get(
            f"/{env}/saml20/idp/sso",
            params={"SAMLRequest": deflated(authn_request(application["spEntityId"]))},
        )
        assert again.status_code == 200
        _, second, _ = saml_response(again.text)
        subject = second.findtext("saml:Assertion/saml:Subject/saml:NameID", namespaces=NS)
        assert subject == person["id"]


async def test_idp_initiated_sign_on_uses_the_default_target(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env)
    application = await saml_application(
        admin, env, acsUrls=[ACS, "https://sp.example.com/other"], defaultTargetUrl="/home"
    )
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            f"/{env}/saml20/idp/startsso", params={"spEntityId": application["spEntityId"]}
        )
        page = await sign_in(browser, first, person["username"])
    action, document, relay_state = saml_response(page.text)
    assert (action, relay_state) == (ACS, "/home")
    assert document.get("InResponseTo") is None
    assertion_of(document, await default_certificate(admin, env))


async def test_the_application_signing_key_signs(app: object, admin: Api, env: str) -> None:
    key = await admin.create(
        f"/environments/{env}/keys",
        {
            "name": "SAML signing",
            "subjectDN": "CN=Gatehouse IdP",
            "algorithm": "EC",
            "keyLength": 256,
            "signatureAlgorithm": "SHA256withECDSA",
            "usageType": "SIGNING",
            "validityPeriod": 30,
        },
    )
    person = await user(admin, env)
    application = await saml_application(admin, env, idpSigning={"key": {"id": key["id"]}})
    assert application["idpSigning"] == {
        "key": {"id": key["id"]},
        "algorithm": "SHA256withECDSA",
    }
    pem = await admin.get(
        f"/environments/{env}/keys/{key['id']}", headers={"Accept": "application/x-pem-file"}
    )
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            f"/{env}/saml20/idp/startsso", params={"spEntityId": application["spEntityId"]}
        )
        page = await sign_in(browser, first, person["username"])
    _, document, _ = saml_response(page.text)
    assertion_of(document, x509.load_pem_x509_certificate(pem.content))
    with pytest.raises((InvalidSignature, InvalidInput)):
        assertion_of(document, await default_certificate(admin, env))


async def test_metadata_names_the_endpoints_and_the_certificate(
    app: object, admin: Api, env: str
) -> None:
    application = await saml_application(admin, env)
    async with Browser(app, env) as browser:
        response = await browser.http.get(f"/{env}/saml20/metadata/{application['id']}")
        missing = await browser.http.get(f"/{env}/saml20/metadata/{env}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/samlmetadata+xml")
    assert missing.status_code == 404
    root = etree.fromstring(response.content)
    md = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", **NS}
    assert root.get("entityID") == f"http://testserver/{env}"
    locations = {
        s.get("Binding").rsplit(":", 1)[1]: s.get("Location")
        for s in root.findall("md:IDPSSODescriptor/md:SingleSignOnService", md)
    }
    sso = f"http://testserver/{env}/saml20/idp/sso"
    assert locations == {"HTTP-Redirect": sso, "HTTP-POST": sso}
    descriptor = root.find("md:IDPSSODescriptor", md)
    assert descriptor is not None and descriptor.get("WantAuthnRequestsSigned") == "false"
    text = root.findtext(
        "md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate",
        namespaces=md,
    )
    expected = await default_certificate(admin, env)
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    assert base64.b64decode(text) == expected.public_bytes(Encoding.DER)


def signed_redirect_query(request: etree._Element, key: Any, relay_state: str) -> str:
    """The Redirect binding's query-string signature (saml-bindings 3.4.4.1), RSA-SHA256."""
    sig_alg = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    signed = "&".join(
        f"{name}={quote(value, safe='')}"
        for name, value in (
            ("SAMLRequest", deflated(request)),
            ("RelayState", relay_state),
            ("SigAlg", sig_alg),
        )
    )
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signed}&Signature={quote(base64.b64encode(signature).decode(), safe='')}"


async def test_requests_that_cannot_be_answered_get_a_page(
    app: object, admin: Api, env: str
) -> None:
    application = await saml_application(admin, env)
    stale = authn_request(application["spEntityId"], IssueInstant="2020-01-01T00:00:00Z")
    cases = {
        "No enabled SAML application": authn_request("https://unknown.example.com"),
        "AssertionConsumerServiceURL is not one": authn_request(
            application["spEntityId"], acs="https://evil.example.com/acs"
        ),
        "too old": stale,
    }
    async with Browser(app, env) as browser:
        for message, request in cases.items():
            page = await browser.http.get(
                f"/{env}/saml20/idp/sso", params={"SAMLRequest": deflated(request)}
            )
            assert page.status_code == 400, message
            assert message in page.text
        garbage = await browser.http.get(f"/{env}/saml20/idp/sso", params={"SAMLRequest": "%%%"})
        assert garbage.status_code == 400
        missing = await browser.http.get(f"/{env}/saml20/idp/sso")
        assert missing.status_code == 400 and "SAMLRequest is missing" in missing.text


async def test_signed_requests_are_verified_when_the_application_wants_them(
    app: object, admin: Api, env: str
) -> None:
    sp_key, sp_cert = certificate(common_name="sp.example.com")
    uploaded = await import_certificate(admin, env, sp_cert)
    application = await saml_application(
        admin,
        env,
        spVerification={"authnRequestSigned": True, "certificates": [{"id": uploaded["id"]}]},
    )
    request = authn_request(application["spEntityId"])
    other_key, _ = certificate(common_name="attacker")
    async with Browser(app, env) as browser:
        unsigned = await browser.http.get(
            f"/{env}/saml20/idp/sso", params={"SAMLRequest": deflated(request)}
        )
        assert unsigned.status_code == 400 and "must sign" in unsigned.text
        forged = await browser.http.get(
            f"/{env}/saml20/idp/sso?{signed_redirect_query(request, other_key, 'rs')}"
        )
        assert forged.status_code == 400 and "trusted certificate" in forged.text
        tampered_query = signed_redirect_query(request, sp_key, "rs").replace(
            "RelayState=rs", "RelayState=rt"
        )
        tampered = await browser.http.get(f"/{env}/saml20/idp/sso?{tampered_query}")
        assert tampered.status_code == 400
        good = await browser.http.get(
            f"/{env}/saml20/idp/sso?{signed_redirect_query(request, sp_key, 'rs')}"
        )
        assert good.status_code == 302 and "/signon/" in good.headers["location"]
        # an application with no certificates to check signatures with ignores them
        lenient = await saml_application(admin, env)
        lenient_request = authn_request(lenient["spEntityId"])
        ignored = await browser.http.get(
            f"/{env}/saml20/idp/sso?{signed_redirect_query(lenient_request, other_key, 'rs')}"
        )
        assert ignored.status_code == 302 and "/signon/" in ignored.headers["location"]


async def test_is_passive_without_a_session_answers_no_passive(
    app: object, admin: Api, env: str
) -> None:
    application = await saml_application(admin, env)
    request = authn_request(application["spEntityId"], request_id="_passive", IsPassive="true")
    async with Browser(app, env) as browser:
        page = await browser.http.get(
            f"/{env}/saml20/idp/sso", params={"SAMLRequest": deflated(request)}
        )
    _, document, _ = saml_response(page.text)
    assert document.get("InResponseTo") == "_passive"
    codes = [code.get("Value") for code in document.iter(f"{{{NS['samlp']}}}StatusCode")]
    assert codes == [
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
        "urn:oasis:names:tc:SAML:2.0:status:NoPassive",
    ]
    assert document.find("saml:Assertion", NS) is None
    XMLVerifier().verify(etree.tostring(document), x509_cert=await default_certificate(admin, env))


async def test_a_failed_sign_on_answers_authn_failed_with_the_application_policy(
    app: object, admin: Api, env: str
) -> None:
    """The application's own sign-on policy runs: here one whose identity provider is disabled,
    so the flow fails and the SP is told so."""
    application = await saml_application(admin, env)
    disabled = await create_provider(admin, env, provider("GITHUB", enabled=False))
    await policy_for(
        admin,
        env,
        application["id"],
        [{"type": "IDENTITY_PROVIDER", "identityProvider": {"id": disabled["id"]}}],
    )
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            f"/{env}/saml20/idp/sso",
            params={"SAMLRequest": deflated(authn_request(application["spEntityId"]))},
        )
        flow_id = query_of(first.headers["location"])["flowId"]
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "FAILED"
        page = await browser.http.get(flow["resumeUrl"])
        oauth_resume = await browser.resume(flow_id)
    _, document, _ = saml_response(page.text)
    codes = [code.get("Value") for code in document.iter(f"{{{NS['samlp']}}}StatusCode")]
    assert codes[-1] == "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
    assert oauth_resume.status_code in (400, 404)  # never an OAuth answer to the ACS URL


def logout_request(issuer: str, session_index: str) -> etree._Element:
    root = etree.Element(
        f"{{{NS['samlp']}}}LogoutRequest",
        nsmap={"samlp": NS["samlp"], "saml": NS["saml"]},
        ID="_logout-1",
        Version="2.0",
        IssueInstant=authn_request("x").get("IssueInstant"),
    )
    etree.SubElement(root, f"{{{NS['saml']}}}Issuer").text = issuer
    etree.SubElement(root, f"{{{NS['saml']}}}NameID").text = "whoever"
    etree.SubElement(root, f"{{{NS['samlp']}}}SessionIndex").text = session_index
    return root


async def test_single_logout_ends_the_session_and_answers_the_sp(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env)
    slo = "https://sp.example.com/slo"
    application = await saml_application(admin, env, sloEndpoint=slo)
    without_slo = await saml_application(admin, env)
    sso = f"/{env}/saml20/idp/sso"
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            sso, params={"SAMLRequest": deflated(authn_request(application["spEntityId"]))}
        )
        _, document, _ = saml_response((await sign_in(browser, first, person["username"])).text)
        statement = document.find("saml:Assertion/saml:AuthnStatement", NS)
        session_index = statement.get("SessionIndex")
        refused = await browser.http.get(
            f"/{env}/saml20/idp/slo",
            params={
                "SAMLRequest": deflated(logout_request(without_slo["spEntityId"], session_index))
            },
        )
        assert refused.status_code == 400 and "sloEndpoint" in refused.text
        page = await browser.http.get(
            f"/{env}/saml20/idp/slo",
            params={
                "SAMLRequest": deflated(logout_request(application["spEntityId"], session_index)),
                "RelayState": "bye",
            },
        )
        action, fields = form_fields(page.text)
        assert (action, fields["RelayState"]) == (slo, "bye")
        answer = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
        assert answer.tag == f"{{{NS['samlp']}}}LogoutResponse"
        assert answer.get("InResponseTo") == "_logout-1"
        XMLVerifier().verify(
            etree.tostring(answer), x509_cert=await default_certificate(admin, env)
        )
        # the session is over: the next request asks the user to sign on again
        again = await browser.http.get(
            sso, params={"SAMLRequest": deflated(authn_request(application["spEntityId"]))}
        )
        assert again.status_code == 302 and "/signon/" in again.headers["location"]


def requesting(issuer: str, *contexts: str) -> etree._Element:
    request = authn_request(issuer)
    requested = etree.SubElement(request, f"{{{NS['samlp']}}}RequestedAuthnContext")
    for context in contexts:
        etree.SubElement(requested, f"{{{NS['saml']}}}AuthnContextClassRef").text = context
    return request


async def test_requested_authn_context_picks_the_sign_on_policy(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env)
    honoured = await saml_application(admin, env, enableRequestedAuthnContext=True)
    ignoring = await saml_application(admin, env)
    for application in (honoured, ignoring):
        await policy_for(admin, env, application["id"], [{"type": "LOGIN"}])
    strict = await policy_for(admin, env, honoured["id"], [{"type": "LOGIN"}])
    await admin.create(
        f"/environments/{env}/applications/{ignoring['id']}/signOnPolicyAssignments",
        {"signOnPolicy": {"id": strict["id"]}, "priority": 2},
    )
    sso = f"/{env}/saml20/idp/sso"
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            sso,
            params={"SAMLRequest": deflated(requesting(honoured["spEntityId"], strict["name"]))},
        )
        page = await sign_in(browser, first, person["username"])
        unknown = await browser.http.get(
            sso, params={"SAMLRequest": deflated(requesting(honoured["spEntityId"], "Nope"))}
        )
        ignored = await browser.http.get(
            sso, params={"SAMLRequest": deflated(requesting(ignoring["spEntityId"], "Nope"))}
        )
    _, document, _ = saml_response(page.text)
    reference = "saml:Assertion/saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef"
    assert document.findtext(reference, namespaces=NS) == strict["name"]
    _, refused, _ = saml_response(unknown.text)
    codes = [code.get("Value") for code in refused.iter(f"{{{NS['samlp']}}}StatusCode")]
    assert codes[-1] == "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
    # without enableRequestedAuthnContext the request's contexts do not count: a sign-on page
    assert ignored.status_code == 302 and "/signon/" in ignored.headers["location"]


async def test_force_authn_asks_again_despite_the_session(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env)
    application = await saml_application(admin, env)
    sso = f"/{env}/saml20/idp/sso"
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            sso, params={"SAMLRequest": deflated(authn_request(application["spEntityId"]))}
        )
        await sign_in(browser, first, person["username"])
        forced = await browser.http.get(
            sso,
            params={
                "SAMLRequest": deflated(authn_request(application["spEntityId"], ForceAuthn="true"))
            },
        )
    assert forced.status_code == 302 and "/signon/" in forced.headers["location"]


async def test_a_name_id_policy_the_application_cannot_meet_is_refused(
    app: object, admin: Api, env: str
) -> None:
    person = await user(admin, env)
    application = await saml_application(
        admin, env, nameIdFormat="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    )
    request = authn_request(application["spEntityId"])
    etree.SubElement(
        request,
        f"{{{NS['samlp']}}}NameIDPolicy",
        Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    )
    async with Browser(app, env) as browser:
        first = await browser.http.get(
            f"/{env}/saml20/idp/sso", params={"SAMLRequest": deflated(request)}
        )
        page = await sign_in(browser, first, person["username"])
    _, document, _ = saml_response(page.text)
    codes = [code.get("Value") for code in document.iter(f"{{{NS['samlp']}}}StatusCode")]
    assert codes == [
        "urn:oasis:names:tc:SAML:2.0:status:Requester",
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
    ]
    assert document.find("saml:Assertion", NS) is None
