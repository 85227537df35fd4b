"""What the SAML tests share: SAML application bodies, AuthnRequests as a service provider writes
them, and reading the auto-POST form an identity provider answers with."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
import zlib
from datetime import UTC, datetime
from html import unescape
from typing import Any

from lxml import etree

from tests.support.api import Api

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS = {"saml": SAML, "samlp": SAMLP, "ds": "http://www.w3.org/2000/09/xmldsig#"}
ACS = "https://sp.example.com/acs"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def saml_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": f"saml-{secrets.token_hex(3)}",
        "enabled": True,
        "protocol": "SAML",
        "type": "WEB_APP",
        "spEntityId": f"https://sp.example.com/{secrets.token_hex(4)}",
        "acsUrls": [ACS],
        "assertionDuration": 60,
        **changes,
    }


async def saml_application(admin: Api, env: str, **changes: Any) -> dict[str, Any]:
    return await admin.create(f"/environments/{env}/applications", saml_body(**changes))


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def authn_request(
    issuer: str, *, acs: str | None = ACS, request_id: str | None = None, **attributes: str
) -> etree._Element:
    root = etree.Element(
        f"{{{SAMLP}}}AuthnRequest",
        nsmap={"samlp": SAMLP, "saml": SAML},
        **{
            "ID": request_id or f"_{uuid.uuid4().hex}",
            "Version": "2.0",
            "IssueInstant": now(),
            **attributes,
        },
    )
    if acs is not None:
        root.set("AssertionConsumerServiceURL", acs)
    etree.SubElement(root, f"{{{SAML}}}Issuer").text = issuer
    return root


def deflated(element: etree._Element) -> str:
    compressor = zlib.compressobj(wbits=-15)
    data = compressor.compress(etree.tostring(element)) + compressor.flush()
    return base64.b64encode(data).decode()


def posted(element: etree._Element) -> str:
    return base64.b64encode(etree.tostring(element)).decode()


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-submitting form page."""
    action = re.search(r'<form method="post" action="([^"]*)"', html)
    assert action, html
    fields = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)
    return unescape(action.group(1)), {unescape(k): unescape(v) for k, v in fields}


def saml_response(html: str) -> tuple[str, etree._Element, str | None]:
    action, fields = form_fields(html)
    document = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    return action, document, fields.get("RelayState")
