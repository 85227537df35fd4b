"""The seed use case "Configure a SAML identity provider", step by step: upload the identity
provider's verification certificate (1a) and the SP signing key as PKCS#12 (1b), create the SAML
identity provider (2), a population for its users (3), a sign-on policy (4) and its LOGIN action
offering the provider (5). Then a sign-on shows the provider's button, whose link carries an
AuthnRequest signed with the imported key over the HTTP-POST binding, and the SP metadata names
that key."""

from __future__ import annotations

import base64
import re
from html import unescape

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import XMLVerifier

from tests.keys.support import certificate, import_certificate, pkcs12_file, upload
from tests.saml.support import SAML, SAMLP
from tests.signon.support import Browser, application, assign
from tests.support.api import Api

pytestmark = pytest.mark.anyio

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


async def test_configure_a_saml_identity_provider(app: object, admin: Api, env: str) -> None:
    _, idp_cert = certificate(common_name="idp.example.com")
    verification = await import_certificate(admin, env, idp_cert)  # step 1a
    sp_key, sp_cert = certificate(common_name="sp.example.com")
    imported = await upload(  # step 1b
        admin,
        f"/environments/{env}/keys",
        pkcs12_file(sp_key, sp_cert, "p12-pass"),
        "sp.p12",
        usageType="SIGNING",
        password="p12-pass",
    )
    assert imported.status_code == 201, imported.text
    provider = await admin.post(  # step 2
        f"/environments/{env}/identityProviders",
        json={
            "type": "SAML",
            "name": "Corporate SAML",
            "enabled": True,
            "idpEntityId": "https://idp.example.com/saml",
            "spEntityId": "https://gatehouse.example.com/sp",
            "ssoEndpoint": "https://idp.example.com/sso",
            "ssoBinding": "HTTP_POST",
            "idpVerification": {"certificates": [{"id": verification["id"]}]},
            "authnRequestSigned": True,
            "spSigning": {"key": {"id": imported.json()["id"]}},
        },
    )
    assert provider.status_code == 200, provider.text
    provider_id = provider.json()["id"]
    population = await admin.create(  # step 3
        f"/environments/{env}/populations", {"name": "SAML users"}
    )
    await admin.put(
        f"/environments/{env}/identityProviders/{provider_id}",
        json={**provider.json(), "registration": {"population": {"id": population["id"]}}},
    )
    policy = await admin.create(  # step 4
        f"/environments/{env}/signOnPolicies", {"name": "SAML_Login"}
    )
    await admin.create(  # step 5
        f"/environments/{env}/signOnPolicies/{policy['id']}/actions",
        {"priority": 1, "type": "LOGIN", "socialProviders": [{"id": provider_id}]},
    )
    client = await application(admin, env)
    await assign(admin, env, client.id, policy["id"])

    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        (button,) = flow["_embedded"]["socialProviders"]
        assert (button["id"], button["type"], button["name"]) == (
            provider_id,
            "SAML",
            "Corporate SAML",
        )
        page = await browser.http.get(button["_links"]["authenticate"]["href"])
        metadata = await browser.http.get(f"/{env}/saml20/sp/metadata/{provider_id}")
    assert page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]*)"', page.text)
    assert action and unescape(action.group(1)) == "https://idp.example.com/sso"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text))
    assert unescape(fields["RelayState"]).startswith(flow_id)
    document = base64.b64decode(unescape(fields["SAMLRequest"]))
    verified = XMLVerifier().verify(document, x509_cert=sp_cert).signed_xml
    assert verified.tag == f"{{{SAMLP}}}AuthnRequest"
    assert verified.findtext(f"{{{SAML}}}Issuer") == "https://gatehouse.example.com/sp"
    assert verified.get("AssertionConsumerServiceURL") == f"http://testserver/{env}/saml20/sp/acs"

    assert metadata.status_code == 200
    root = etree.fromstring(metadata.content)
    assert root.get("entityID") == "https://gatehouse.example.com/sp"
    descriptor = root.find(f"{{{MD}}}SPSSODescriptor")
    assert descriptor is not None and descriptor.get("AuthnRequestsSigned") == "true"
    acs = descriptor.find(f"{{{MD}}}AssertionConsumerService")
    assert acs is not None and acs.get("Location") == f"http://testserver/{env}/saml20/sp/acs"
    published = descriptor.findtext(
        f"{{{MD}}}KeyDescriptor/{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"
    )
    assert base64.b64decode(published) == sp_cert.public_bytes(Encoding.DER)
