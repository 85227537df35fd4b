"""Gatehouse as a SAML service provider of an external SAML identity provider (saml-core-2.0-os,
saml-profiles-2.0-os 4.1 Web Browser SSO, saml-bindings-2.0-os 3.4 and 3.5):

- `authn_request`: the AuthnRequest sent to the provider's ssoEndpoint: Issuer spEntityId,
  Destination, AssertionConsumerServiceURL (our ACS) with the HTTP-POST binding, a NameIDPolicy
  that allows creating an identifier, and the action's acrValues as RequestedAuthnContext. Signed with the spSigning key when authnRequestSigned
  (XML-DSig inside the message for HTTP-POST, the query-string signature for HTTP-Redirect).
- `read_response`: who the provider's Response signs on, after every check the profile asks
  for, each failure a SamlError naming it:
    * the Response: Version 2.0, Destination (when present) our ACS, Issuer (when present) the
      provider's idpEntityId, InResponseTo our request's ID, a Success status;
    * the signature: a signed Response (checked against idpVerification.certificates) covers
      its one Assertion, otherwise the Assertion itself must be signed. Only the signed element
      signxml returns is read further, and it must hold exactly one Assertion (no encrypted
      ones): content outside the signature, or a second assertion, is never used;
    * the Assertion: Issuer idpEntityId; a Subject NameID; a bearer SubjectConfirmationData
      with Recipient our ACS, InResponseTo our request, NotOnOrAfter in the future; Conditions
      NotBefore/NotOnOrAfter around now (CLOCK_SKEW of leeway) and an AudienceRestriction naming
      our spEntityId; an AuthnStatement.
  The assertion's ID and expiry are returned so the caller can refuse a replay.
- `metadata`: the SP's EntityDescriptor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from lxml import etree

from gatehouse.common import clock
from gatehouse.federation.schemas import SamlProvider
from gatehouse.saml.xml import (
    DS,
    MD,
    POST_BINDING,
    SAML,
    SAMLP,
    Element,
    SamlError,
    child,
    children,
    has_signature,
    qname,
    sign,
    text_of,
    verify,
)

CLOCK_SKEW = timedelta(seconds=60)
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


@dataclass(frozen=True)
class Signing:
    private_key_pem: str
    certificate_pem: str
    algorithm: str


def new_id() -> str:
    return "_" + secrets.token_hex(20)


def _instant(moment: datetime) -> str:
    return clock.as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def authn_request(
    settings: SamlProvider,
    request_id: str,
    acs_url: str,
    signing: Signing | None,
    contexts: list[str] | None = None,
) -> Element:
    """The AuthnRequest; signed inside (enveloped) when `signing` is given (HTTP-POST).
    `contexts` (an IDENTITY_PROVIDER action's acrValues) become its RequestedAuthnContext."""
    element = etree.Element(
        qname(SAMLP, "AuthnRequest"),
        nsmap={"samlp": SAMLP, "saml": SAML},
        ID=request_id,
        Version="2.0",
        IssueInstant=_instant(clock.now()),
        Destination=str(settings.sso_endpoint),
        AssertionConsumerServiceURL=acs_url,
        ProtocolBinding=POST_BINDING,
    )
    etree.SubElement(element, qname(SAML, "Issuer")).text = settings.sp_entity_id
    etree.SubElement(element, qname(SAMLP, "NameIDPolicy"), Format=UNSPECIFIED, AllowCreate="true")
    if contexts:
        requested = etree.SubElement(
            element, qname(SAMLP, "RequestedAuthnContext"), Comparison="exact"
        )
        for context in contexts:
            etree.SubElement(requested, qname(SAML, "AuthnContextClassRef")).text = context
    if signing is not None:
        element = sign(element, signing.private_key_pem, signing.certificate_pem, signing.algorithm)
    return element


@dataclass(frozen=True)
class Expected:
    """What our side knows a Response must match."""

    idp_entity_id: str
    sp_entity_id: str
    acs_url: str
    request_id: str
    certificates: list[x509.Certificate]


@dataclass(frozen=True)
class SignedOn:
    subject: str
    attributes: dict[str, Any]  # `${samlAssertion.<name>}` values; "subject" is the NameID
    assertion_id: str
    expires_at: datetime


def read_response(response: Element, expected: Expected) -> SignedOn:
    _check_response(response, expected)
    if has_signature(response):
        signed_response = verify(response, expected.certificates)
        _check_response(signed_response, expected)
        assertion = _only_assertion(signed_response)
        if has_signature(assertion):
            assertion = verify(assertion, expected.certificates)
    else:
        assertion = verify(_only_assertion(response), expected.certificates)
    return _read_assertion(assertion, expected)


def _check_response(response: Element, expected: Expected) -> None:
    if response.tag != qname(SAMLP, "Response") or response.get("Version") != "2.0":
        raise SamlError("The message is not a SAML 2.0 Response.")
    destination = response.get("Destination")
    if destination is not None and destination != expected.acs_url:
        raise SamlError("The SAML response is meant for another destination.")
    issuer = text_of(child(response, SAML, "Issuer"))
    if issuer is not None and issuer != expected.idp_entity_id:
        raise SamlError("The SAML response comes from another identity provider.")
    if response.get("InResponseTo") != expected.request_id:
        raise SamlError("The SAML response does not answer this sign-on's request.")
    status = child(response, SAMLP, "Status")
    code = child(status, SAMLP, "StatusCode") if status is not None else None
    if code is None or code.get("Value") != SUCCESS:
        value = code.get("Value", "") if code is not None else "none"
        second = child(code, SAMLP, "StatusCode") if code is not None else None
        reason = (second.get("Value", "") if second is not None else value).rsplit(":", 1)[-1]
        message = text_of(child(status, SAMLP, "StatusMessage")) if status is not None else None
        raise SamlError(
            f"The identity provider did not sign the user on ({reason}"
            f"{': ' + message if message else ''})."
        )


def _only_assertion(response: Element) -> Element:
    if children(response, SAML, "EncryptedAssertion"):
        raise SamlError("Encrypted SAML assertions are not supported.")
    assertions = children(response, SAML, "Assertion")
    if len(assertions) != 1 or len(response.findall(f".//{qname(SAML, 'Assertion')}")) != 1:
        raise SamlError("The SAML response must carry exactly one assertion.")
    return assertions[0]


def _read_assertion(assertion: Element, expected: Expected) -> SignedOn:
    now = clock.now()
    if text_of(child(assertion, SAML, "Issuer")) != expected.idp_entity_id:
        raise SamlError("The SAML assertion was issued by another identity provider.")
    assertion_id = assertion.get("ID")
    if not assertion_id:
        raise SamlError("The SAML assertion has no ID.")
    subject = child(assertion, SAML, "Subject")
    name_id = text_of(child(subject, SAML, "NameID")) if subject is not None else None
    if not name_id:
        raise SamlError("The SAML assertion has no subject NameID.")
    assert subject is not None
    _check_confirmation(subject, expected, now)
    expires_at = _check_conditions(assertion, expected, now)
    if child(assertion, SAML, "AuthnStatement") is None:
        raise SamlError("The SAML assertion has no AuthnStatement.")
    attributes: dict[str, Any] = {**_attributes(assertion), "subject": name_id}
    return SignedOn(name_id, attributes, assertion_id, expires_at)


def _check_confirmation(subject: Element, expected: Expected, now: datetime) -> None:
    for confirmation in children(subject, SAML, "SubjectConfirmation"):
        data = child(confirmation, SAML, "SubjectConfirmationData")
        if confirmation.get("Method") != BEARER or data is None:
            continue
        if data.get("Recipient") != expected.acs_url:
            raise SamlError("The SAML assertion is meant for another recipient.")
        if data.get("InResponseTo") != expected.request_id:
            raise SamlError("The SAML assertion answers another request.")
        if _time(data.get("NotOnOrAfter"), "NotOnOrAfter") + CLOCK_SKEW <= now:
            raise SamlError("The SAML assertion has expired.")
        if data.get("NotBefore") is not None:
            raise SamlError("A bearer confirmation may not have NotBefore.")
        return
    raise SamlError("The SAML assertion has no bearer subject confirmation.")


def _check_conditions(assertion: Element, expected: Expected, now: datetime) -> datetime:
    conditions = child(assertion, SAML, "Conditions")
    if conditions is None:
        raise SamlError("The SAML assertion has no Conditions.")
    not_before = conditions.get("NotBefore")
    if not_before is not None and _time(not_before, "NotBefore") - CLOCK_SKEW > now:
        raise SamlError("The SAML assertion is not valid yet.")
    expires_at = _time(conditions.get("NotOnOrAfter"), "NotOnOrAfter")
    if expires_at + CLOCK_SKEW <= now:
        raise SamlError("The SAML assertion has expired.")
    restrictions = children(conditions, SAML, "AudienceRestriction")
    if not restrictions:
        raise SamlError("The SAML assertion has no audience restriction.")
    for restriction in restrictions:
        audiences = {text_of(item) for item in children(restriction, SAML, "Audience")}
        if expected.sp_entity_id not in audiences:
            raise SamlError("The SAML assertion is meant for another audience.")
    return expires_at + CLOCK_SKEW


def _time(value: str | None, what: str) -> datetime:
    if not value:
        raise SamlError(f"The SAML assertion has no {what}.")
    try:
        return clock.as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise SamlError(f"The SAML assertion's {what} is not a time.") from None


def _attributes(assertion: Element) -> dict[str, Any]:
    """Attribute name -> its value (a list when it has several)."""
    values: dict[str, Any] = {}
    for statement in children(assertion, SAML, "AttributeStatement"):
        for attribute in children(statement, SAML, "Attribute"):
            name = attribute.get("Name")
            if not name or name == "subject":
                continue
            texts = [text_of(item) or "" for item in children(attribute, SAML, "AttributeValue")]
            values[name] = texts[0] if len(texts) == 1 else texts
    return values


def metadata(settings: SamlProvider, acs_url: str, certificate_pem: str | None) -> Element:
    root = etree.Element(
        qname(MD, "EntityDescriptor"), nsmap={"md": MD, "ds": DS}, entityID=settings.sp_entity_id
    )
    descriptor = etree.SubElement(
        root,
        qname(MD, "SPSSODescriptor"),
        AuthnRequestsSigned="true" if settings.authn_request_signed else "false",
        WantAssertionsSigned="true",
        protocolSupportEnumeration=SAMLP,
    )
    if certificate_pem is not None:
        key = etree.SubElement(descriptor, qname(MD, "KeyDescriptor"), use="signing")
        data = etree.SubElement(etree.SubElement(key, qname(DS, "KeyInfo")), qname(DS, "X509Data"))
        body = "".join(
            line for line in certificate_pem.strip().splitlines() if not line.startswith("-----")
        )
        etree.SubElement(data, qname(DS, "X509Certificate")).text = body
    etree.SubElement(descriptor, qname(MD, "NameIDFormat")).text = UNSPECIFIED
    etree.SubElement(
        descriptor,
        qname(MD, "AssertionConsumerService"),
        Binding=POST_BINDING,
        Location=acs_url,
        index="0",
        isDefault="true",
    )
    return root
