"""Gatehouse as a SAML identity provider (saml-core-2.0-os sections 3.4 and 2.3, saml-profiles
section 4.1 Web Browser SSO): reading an AuthnRequest, writing the Response and its Assertion,
and the IdP metadata (saml-metadata-2.0-os).

- `read_authn_request`: the request's ID, Issuer (the application's spEntityId), the ACS URL
  (AssertionConsumerServiceURL, else AssertionConsumerServiceIndex, else the first of acsUrls;
  a URL must be one of acsUrls unless the request was signed and the application has
  enableAlwaysAcceptAcsUrlInSignedAuthnRequest), ForceAuthn, IsPassive and NameIDPolicy Format.
- `response`: a Response with one Assertion: Issuer, Subject (NameID + bearer
  SubjectConfirmationData with Recipient, NotOnOrAfter and InResponseTo), Conditions (NotBefore,
  NotOnOrAfter, AudienceRestriction = spEntityId), AuthnStatement (AuthnInstant, SessionIndex,
  SessionNotOnOrAfter) and the attribute mappings' AttributeStatement. The assertion is signed
  when assertionSigned, the response when responseSigned (the assertion first).
- `error_response`: a Response with a non-success StatusCode (AuthnFailed, NoPassive ...).
- `read_logout_request` / `logout_response`: single logout (section 3.7), the SP's LogoutRequest
  and the IdP's LogoutResponse.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from lxml import etree

from gatehouse.applications.models import ApplicationAttributeMapping
from gatehouse.common import clock
from gatehouse.directory.models import User
from gatehouse.resources import expressions
from gatehouse.saml.service import SUBJECT_NAMES, SigningMaterial
from gatehouse.saml.xml import (
    DS,
    MD,
    POST_BINDING,
    REDIRECT_BINDING,
    SAML,
    SAMLP,
    XS,
    XSI,
    Element,
    SamlError,
    child,
    qname,
    sign,
    text_of,
)

SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
AUTHN_FAILED = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
NO_AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
INVALID_NAME_ID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
BASIC_NAME_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
UNSPECIFIED_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
CLOCK_SKEW = timedelta(seconds=60)


def new_id() -> str:
    """An xs:ID (it must not start with a digit)."""
    return "_" + secrets.token_hex(20)


def instant(moment: datetime) -> str:
    return clock.as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AuthnRequest:
    id: str
    issuer: str
    acs_url: str
    force_authn: bool = False
    is_passive: bool = False
    name_id_format: str | None = None
    requested_contexts: tuple[str, ...] = ()  # RequestedAuthnContext AuthnContextClassRefs


def request_issuer(request: Element, kind: str = "AuthnRequest") -> str:
    if request.tag != qname(SAMLP, kind):
        raise SamlError(f"The SAML message is not a {kind}.")
    issuer = text_of(child(request, SAML, "Issuer"))
    if not issuer:
        raise SamlError(f"The {kind} has no Issuer.")
    return issuer


def read_authn_request(
    request: Element, config: dict[str, Any], *, signed: bool, destination: str
) -> AuthnRequest:
    """The request of the application whose settings are `config` (its spEntityId is the
    request's Issuer; the request's signature, when required, was checked already)."""
    request_id = _check_request(request, destination)
    policy = child(request, SAMLP, "NameIDPolicy")
    return AuthnRequest(
        id=request_id,
        issuer=request_issuer(request),
        acs_url=_acs_url(request, config, signed),
        force_authn=request.get("ForceAuthn") in ("true", "1"),
        is_passive=request.get("IsPassive") in ("true", "1"),
        name_id_format=policy.get("Format") if policy is not None else None,
        requested_contexts=_requested_contexts(request),
    )


def _requested_contexts(request: Element) -> tuple[str, ...]:
    requested = child(request, SAMLP, "RequestedAuthnContext")
    if requested is None:
        return ()
    references = requested.findall(qname(SAML, "AuthnContextClassRef"))
    return tuple(text for text in (text_of(item) for item in references) if text)


def _check_request(request: Element, destination: str) -> str:
    """The request's ID, once its Version, Destination and IssueInstant are right."""
    kind = etree.QName(request).localname
    request_id = request.get("ID")
    if not request_id or request.get("Version") != "2.0":
        raise SamlError(f"The {kind} needs an ID and Version 2.0.")
    given_destination = request.get("Destination")
    if given_destination is not None and given_destination != destination:
        raise SamlError(f"The {kind} is meant for another destination.")
    issued = _time(request.get("IssueInstant"), "IssueInstant")
    if abs(clock.now() - issued) > timedelta(minutes=5) + CLOCK_SKEW:
        raise SamlError(f"The {kind} is too old, or from the future.")
    return request_id


def _acs_url(request: Element, config: dict[str, Any], signed: bool) -> str:
    registered: list[str] = config.get("acsUrls") or []
    given = request.get("AssertionConsumerServiceURL")
    if given is not None:
        binding = request.get("ProtocolBinding")
        if binding is not None and binding != POST_BINDING:
            raise SamlError("Responses are only sent with the HTTP-POST binding.")
        always = signed and config.get("enableAlwaysAcceptAcsUrlInSignedAuthnRequest")
        if given not in registered and not always:
            raise SamlError("The AssertionConsumerServiceURL is not one of the application's.")
        return given
    index = request.get("AssertionConsumerServiceIndex")
    if index is not None:
        if not index.isdigit() or int(index) >= len(registered):
            raise SamlError("The AssertionConsumerServiceIndex names no ACS URL.")
        return registered[int(index)]
    return registered[0]


def _time(value: str | None, what: str) -> datetime:
    if not value:
        raise SamlError(f"The SAML message has no {what}.")
    try:
        return clock.as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise SamlError(f"The SAML message's {what} is not a time.") from None


@dataclass(frozen=True)
class Attribute:
    name: str
    values: list[str]
    name_format: str = BASIC_NAME_FORMAT


@dataclass(frozen=True)
class Assertion:
    """What the assertion says, from the completed sign-on and the application's mappings."""

    issuer: str  # the IdP entity id
    audience: str  # spEntityId
    acs_url: str
    subject: str
    name_id_format: str
    session_index: str
    authn_instant: datetime
    lifetime: timedelta  # assertionDuration
    session_lifetime: timedelta | None  # sessionNotOnOrAfterDuration
    in_response_to: str | None
    authn_context: str  # the AuthnContextClassRef (see authn_context)
    attributes: list[Attribute] = field(default_factory=list)


def response(
    assertion: Assertion, signing: SigningMaterial, *, sign_assertion: bool, sign_response: bool
) -> Element:
    now = clock.now()
    message = _response_shell(assertion.issuer, assertion.acs_url, assertion.in_response_to, now)
    status = etree.SubElement(message, qname(SAMLP, "Status"))
    etree.SubElement(status, qname(SAMLP, "StatusCode"), Value=SUCCESS)
    element = _assertion(assertion, now)
    if sign_assertion:
        element = sign(element, signing.private_key_pem, signing.certificate_pem, signing.algorithm)
    message.append(element)
    if sign_response:
        message = sign(message, signing.private_key_pem, signing.certificate_pem, signing.algorithm)
    return message


def error_response(
    issuer: str,
    acs_url: str,
    in_response_to: str | None,
    status_code: str,
    message: str,
    signing: SigningMaterial,
) -> Element:
    """A failed sign-on's answer: top-level Responder or Requester, the reason as second level."""
    now = clock.now()
    element = _response_shell(issuer, acs_url, in_response_to, now)
    status = etree.SubElement(element, qname(SAMLP, "Status"))
    top = REQUESTER if status_code in (INVALID_NAME_ID_POLICY, NO_AUTHN_CONTEXT) else RESPONDER
    outer = etree.SubElement(status, qname(SAMLP, "StatusCode"), Value=top)
    etree.SubElement(outer, qname(SAMLP, "StatusCode"), Value=status_code)
    etree.SubElement(status, qname(SAMLP, "StatusMessage")).text = message
    return sign(element, signing.private_key_pem, signing.certificate_pem, signing.algorithm)


def _response_shell(
    issuer: str, destination: str, in_response_to: str | None, now: datetime
) -> Element:
    element = etree.Element(
        qname(SAMLP, "Response"),
        nsmap={"samlp": SAMLP, "saml": SAML},
        ID=new_id(),
        Version="2.0",
        IssueInstant=instant(now),
        Destination=destination,
    )
    if in_response_to:
        element.set("InResponseTo", in_response_to)
    etree.SubElement(element, qname(SAML, "Issuer")).text = issuer
    return element


def _assertion(assertion: Assertion, now: datetime) -> Element:
    expires = now + assertion.lifetime
    element = etree.Element(
        qname(SAML, "Assertion"),
        nsmap={"saml": SAML, "xs": XS, "xsi": XSI},
        ID=new_id(),
        Version="2.0",
        IssueInstant=instant(now),
    )
    etree.SubElement(element, qname(SAML, "Issuer")).text = assertion.issuer
    subject = etree.SubElement(element, qname(SAML, "Subject"))
    name_id = etree.SubElement(subject, qname(SAML, "NameID"), Format=assertion.name_id_format)
    name_id.text = assertion.subject
    confirmation = etree.SubElement(subject, qname(SAML, "SubjectConfirmation"), Method=BEARER)
    data = etree.SubElement(
        confirmation,
        qname(SAML, "SubjectConfirmationData"),
        NotOnOrAfter=instant(expires),
        Recipient=assertion.acs_url,
    )
    if assertion.in_response_to:
        data.set("InResponseTo", assertion.in_response_to)
    conditions = etree.SubElement(
        element,
        qname(SAML, "Conditions"),
        NotBefore=instant(now - CLOCK_SKEW),
        NotOnOrAfter=instant(expires),
    )
    restriction = etree.SubElement(conditions, qname(SAML, "AudienceRestriction"))
    etree.SubElement(restriction, qname(SAML, "Audience")).text = assertion.audience
    statement = etree.SubElement(
        element,
        qname(SAML, "AuthnStatement"),
        AuthnInstant=instant(assertion.authn_instant),
        SessionIndex=assertion.session_index,
    )
    if assertion.session_lifetime is not None:
        statement.set("SessionNotOnOrAfter", instant(now + assertion.session_lifetime))
    context = etree.SubElement(statement, qname(SAML, "AuthnContext"))
    etree.SubElement(context, qname(SAML, "AuthnContextClassRef")).text = assertion.authn_context
    if assertion.attributes:
        attributes = etree.SubElement(element, qname(SAML, "AttributeStatement"))
        for attribute in assertion.attributes:
            item = etree.SubElement(
                attributes,
                qname(SAML, "Attribute"),
                Name=attribute.name,
                NameFormat=attribute.name_format,
            )
            for value in attribute.values:
                value_element = etree.SubElement(item, qname(SAML, "AttributeValue"))
                value_element.set(qname(XSI, "type"), "xs:string")
                value_element.text = value
    return element


def metadata(
    entity_id: str,
    certificate_pem: str,
    sso_url: str,
    slo_url: str,
    name_id_formats: list[str],
    *,
    wants_signed_requests: bool,
) -> Element:
    """The IdP's EntityDescriptor: signing certificate, SSO over Redirect and POST, SLO."""
    root = etree.Element(
        qname(MD, "EntityDescriptor"), nsmap={"md": MD, "ds": DS}, entityID=entity_id
    )
    descriptor = etree.SubElement(
        root,
        qname(MD, "IDPSSODescriptor"),
        WantAuthnRequestsSigned="true" if wants_signed_requests else "false",
        protocolSupportEnumeration=SAMLP,
    )
    _key_descriptor(descriptor, certificate_pem)
    for binding in (REDIRECT_BINDING, POST_BINDING):
        etree.SubElement(
            descriptor, qname(MD, "SingleLogoutService"), Binding=binding, Location=slo_url
        )
    for name_id_format in name_id_formats:
        etree.SubElement(descriptor, qname(MD, "NameIDFormat")).text = name_id_format
    for binding in (REDIRECT_BINDING, POST_BINDING):
        etree.SubElement(
            descriptor, qname(MD, "SingleSignOnService"), Binding=binding, Location=sso_url
        )
    return root


def _key_descriptor(descriptor: Element, certificate_pem: str) -> None:
    key = etree.SubElement(descriptor, qname(MD, "KeyDescriptor"), use="signing")
    info = etree.SubElement(key, qname(DS, "KeyInfo"))
    data = etree.SubElement(info, qname(DS, "X509Data"))
    body = "".join(
        line for line in certificate_pem.strip().splitlines() if not line.startswith("-----")
    )
    etree.SubElement(data, qname(DS, "X509Certificate")).text = body


class AssertionRefused(Exception):
    """The sign-on succeeded but no assertion can be made: answered with `status`."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def authn_context(requested: bool, policy_name: str | None, amr: Iterable[str]) -> str:
    """The completed policy's name when the SP asked for a context (requested contexts name
    sign-on policies); else PasswordProtectedTransport when a password was used."""
    if requested and policy_name:
        return policy_name
    return PASSWORD_CONTEXT if "pwd" in amr else UNSPECIFIED_CONTEXT


def name_id_format(configured: str | None, requested: str | None) -> str:
    """The NameID Format: the application's nameIdFormat; a request may ask for a specific
    format only when it is that one (else InvalidNameIDPolicy)."""
    if requested in (None, UNSPECIFIED):
        return configured or UNSPECIFIED
    if configured in (None, UNSPECIFIED) or configured == requested:
        return requested
    raise AssertionRefused(
        INVALID_NAME_ID_POLICY, f"The application sends NameIDs of the format {configured}."
    )


def mapped_attributes(
    mappings: Iterable[ApplicationAttributeMapping], user: User, custom: Mapping[str, str]
) -> tuple[str, list[Attribute]]:
    """The subject (the saml_subject mapping) and the attributes of the other mappings, their
    values read from the user; a required mapping without a value refuses the assertion."""
    subject: str | None = None
    attributes: list[Attribute] = []
    for mapping in mappings:
        try:
            expression = expressions.parse(mapping.value, custom)
        except expressions.ExpressionError:  # a custom attribute disabled since
            expression = None
        values = _values(expressions.evaluate(expression, user)) if expression else []
        if not values:
            if mapping.required:
                raise AssertionRefused(
                    AUTHN_FAILED, f"The user has no value for the required {mapping.name!r}."
                )
            continue
        if mapping.name.lower() in SUBJECT_NAMES:
            subject = values[0]
        else:
            name_format = mapping.name_format or BASIC_NAME_FORMAT
            attributes.append(Attribute(mapping.name, values, name_format))
    if not subject:
        raise AssertionRefused(AUTHN_FAILED, "The user has no value for the assertion subject.")
    return subject, attributes


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    texts = []
    for item in items:
        if item is None or item == "":
            continue
        if isinstance(item, bool):
            texts.append("true" if item else "false")
        elif isinstance(item, dict):
            texts.append(orjson.dumps(item).decode())
        else:
            texts.append(str(item))
    return texts


# --- single logout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LogoutRequest:
    id: str
    issuer: str
    session_indexes: list[str]


def read_logout_request(request: Element, *, destination: str) -> LogoutRequest:
    request_id = _check_request(request, destination)
    not_on_or_after = request.get("NotOnOrAfter")
    if not_on_or_after is not None and _time(not_on_or_after, "NotOnOrAfter") <= clock.now():
        raise SamlError("The LogoutRequest has expired.")
    if child(request, SAML, "NameID") is None:
        raise SamlError("The LogoutRequest names no NameID.")
    indexes = [text_of(item) or "" for item in request.findall(qname(SAMLP, "SessionIndex"))]
    return LogoutRequest(request_id, request_issuer(request, "LogoutRequest"), indexes)


def logout_response(
    issuer: str, destination: str, in_response_to: str, signing: SigningMaterial | None
) -> Element:
    """A successful LogoutResponse; signed inside when `signing` is given (HTTP-POST)."""
    element = etree.Element(
        qname(SAMLP, "LogoutResponse"),
        nsmap={"samlp": SAMLP, "saml": SAML},
        ID=new_id(),
        Version="2.0",
        IssueInstant=instant(clock.now()),
        Destination=destination,
        InResponseTo=in_response_to,
    )
    etree.SubElement(element, qname(SAML, "Issuer")).text = issuer
    status = etree.SubElement(element, qname(SAMLP, "Status"))
    etree.SubElement(status, qname(SAMLP, "StatusCode"), Value=SUCCESS)
    if signing is not None:
        element = sign(element, signing.private_key_pem, signing.certificate_pem, signing.algorithm)
    return element
