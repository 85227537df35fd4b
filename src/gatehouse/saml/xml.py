"""SAML 2.0 XML (saml-core-2.0-os) parsed defensively, signed and verified with signxml, and
carried over the HTTP-Redirect and HTTP-POST bindings (saml-bindings-2.0-os sections 3.4, 3.5).

- `parse`: lxml with no DTDs, no entities, no network, no huge trees, comments and processing
  instructions dropped (so a comment cannot split a NameID), and a size limit. A document with a
  DOCTYPE is refused.
- `sign`: an enveloped XML-DSig signature (exclusive c14n, SHA-256 or stronger) placed right
  after the element's Issuer, as the schema wants it, with the signing certificate in KeyInfo.
- `verify`: the signature that is a direct child of the element, by one of the trusted
  certificates, over exactly that element; the element returned is the one signxml verified,
  so callers read only signed content (signature wrapping cannot slip other content in).
- `redirect_*`: DEFLATE + base64 messages in a query string, and the query-string signature
  (SigAlg, Signature) of section 3.4.4.1.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import InvalidDigest, InvalidSignature, SignXMLException

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
NAMESPACES = {"saml": SAML, "samlp": SAMLP, "md": MD, "ds": DS}

POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDINGS = {"HTTP_POST": POST_BINDING, "HTTP_REDIRECT": REDIRECT_BINDING}

MAX_MESSAGE_BYTES = 256 * 1024

# PingOne's signatureAlgorithm names -> XML-DSig signature methods
SIGNATURE_METHODS: dict[str, SignatureMethod] = {
    "SHA256withRSA": SignatureMethod.RSA_SHA256,
    "SHA384withRSA": SignatureMethod.RSA_SHA384,
    "SHA512withRSA": SignatureMethod.RSA_SHA512,
    "SHA256withECDSA": SignatureMethod.ECDSA_SHA256,
    "SHA384withECDSA": SignatureMethod.ECDSA_SHA384,
    "SHA512withECDSA": SignatureMethod.ECDSA_SHA512,
}
DIGESTS = {
    "256": DigestAlgorithm.SHA256,
    "384": DigestAlgorithm.SHA384,
    "512": DigestAlgorithm.SHA512,
}
ACCEPTED = SignatureConfiguration(
    location="./",
    expect_references=1,
    signature_methods=frozenset(SIGNATURE_METHODS.values()),
    digest_algorithms=frozenset(DIGESTS.values()),
)
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}

Element = etree._Element


class SamlError(ValueError):
    """A message that cannot be accepted; `message` says why, for the sign-on's error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(document: bytes) -> Element:
    if len(document) > MAX_MESSAGE_BYTES:
        raise SamlError("The SAML message is too large.")
    try:
        root = etree.fromstring(document, parser=_parser())
    except etree.XMLSyntaxError:
        raise SamlError("The SAML message is not well-formed XML.") from None
    docinfo = etree.ElementTree(root).docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise SamlError("The SAML message may not have a DOCTYPE.")
    if any(True for _ in root.iter(etree.Entity)):
        raise SamlError("The SAML message may not use entities.")
    return root


def serialize(element: Element) -> bytes:
    return etree.tostring(element, encoding="utf-8")


def qname(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def child(parent: Element, namespace: str, name: str) -> Element | None:
    return parent.find(qname(namespace, name))


def children(parent: Element, namespace: str, name: str) -> list[Element]:
    return parent.findall(qname(namespace, name))


def text_of(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


# --- signatures ----------------------------------------------------------------------------


def sign(element: Element, private_key_pem: str, certificate_pem: str, algorithm: str) -> Element:
    """`element` (which has an ID and an Issuer child) with an enveloped signature after its
    Issuer: a new element, signed as a document of its own (exclusive c14n keeps the signature
    valid once the element is placed in a larger message)."""
    method = SIGNATURE_METHODS[algorithm]
    placeholder = etree.Element(qname(DS, "Signature"), Id="placeholder", nsmap={"ds": DS})
    issuer = child(element, SAML, "Issuer")
    if issuer is None:
        element.insert(0, placeholder)
    else:
        issuer.addnext(placeholder)
    signer = XMLSigner(
        signature_algorithm=method,
        digest_algorithm=DIGESTS[algorithm[3:6]],
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    return signer.sign(
        element,
        key=private_key_pem,
        cert=certificate_pem,
        reference_uri=element.get("ID"),
        id_attribute="ID",
    )


def has_signature(element: Element) -> bool:
    return child(element, DS, "Signature") is not None


def verify(element: Element, certificates: Iterable[x509.Certificate]) -> Element:
    """The element as its own signature (a direct child) covers it, by one of `certificates`.
    SamlError when it is unsigned, signed by another key, or the signature covers anything
    else than the element itself."""
    if not has_signature(element):
        raise SamlError(f"The SAML {etree.QName(element).localname} is not signed.")
    document = serialize(element)
    reason = "is not signed by a trusted certificate"
    for certificate in certificates:
        try:
            result = XMLVerifier().verify(
                document, x509_cert=certificate, parser=_parser(), expect_config=ACCEPTED
            )
        except InvalidSignature as error:  # InvalidDigest and InvalidCertificate too
            if isinstance(error, InvalidDigest):
                reason = "was changed after it was signed"
            continue
        except (SignXMLException, etree.LxmlError, ValueError, TypeError, KeyError, IndexError):
            reason = "has a signature that cannot be read"  # fail closed on any malformed input
            continue
        signed = result.signed_xml  # type: ignore[union-attr]
        if (
            signed is None
            or signed.tag != element.tag
            or signed.get("ID") is None
            or signed.get("ID") != element.get("ID")
        ):
            raise SamlError("The SAML signature does not cover the element it is attached to.")
        return signed
    raise SamlError(f"The SAML {etree.QName(element).localname} {reason}.")


# --- bindings -------------------------------------------------------------------------------


def post_encode(element: Element) -> str:
    return base64.b64encode(serialize(element)).decode("ascii")


def post_decode(value: str) -> Element:
    return parse(_b64(value))


def redirect_encode(element: Element) -> str:
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(serialize(element)) + compressor.flush()
    return base64.b64encode(deflated).decode("ascii")


def redirect_decode(value: str) -> Element:
    inflater = zlib.decompressobj(wbits=-15)
    try:
        document = inflater.decompress(_b64(value), MAX_MESSAGE_BYTES + 1)
    except zlib.error:
        raise SamlError("The SAML message is not DEFLATE-encoded.") from None
    return parse(document)


def _b64(value: str) -> bytes:
    if len(value) > MAX_MESSAGE_BYTES * 2:
        raise SamlError("The SAML message is too large.")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlError("The SAML message is not base64-encoded.") from None


def redirect_query(
    parameter: str,
    element: Element,
    relay_state: str | None,
    signing: tuple[str, str] | None = None,
) -> str:
    """The query string of a Redirect-binding message; `signing` (private key PEM, PingOne
    algorithm name) signs it (section 3.4.4.1)."""
    parts = [f"{parameter}={quote(redirect_encode(element), safe='')}"]
    if relay_state is not None:
        parts.append(f"RelayState={quote(relay_state, safe='')}")
    if signing is not None:
        key_pem, algorithm = signing
        parts.append(f"SigAlg={quote(SIGNATURE_METHODS[algorithm].value, safe='')}")
        signature = _sign_bytes("&".join(parts).encode("ascii"), key_pem, algorithm)
        parts.append(f"Signature={quote(base64.b64encode(signature).decode(), safe='')}")
    return "&".join(parts)


def verify_redirect_signature(
    raw_query: str, parameter: str, certificates: Iterable[x509.Certificate]
) -> None:
    """The query-string signature over the parameters exactly as they were sent."""
    raw = _raw_parameters(raw_query)
    if "Signature" not in raw or "SigAlg" not in raw:
        raise SamlError("The SAML request is not signed.")

    method = unquote_plus(raw["SigAlg"])
    algorithm = next((name for name, m in SIGNATURE_METHODS.items() if m.value == method), None)
    if algorithm is None:
        raise SamlError("The SAML request is signed with an algorithm that is not accepted.")
    signed = "&".join(
        f"{name}={raw[name]}" for name in (parameter, "RelayState", "SigAlg") if name in raw
    ).encode("ascii", "replace")
    try:
        signature = base64.b64decode(unquote_plus(raw["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise SamlError("The SAML request's signature is not base64-encoded.") from None
    for certificate in certificates:
        if _verify_bytes(certificate, signature, signed, algorithm):
            return
    raise SamlError("The SAML request is not signed by a trusted certificate.")


def _raw_parameters(raw_query: str) -> Mapping[str, str]:
    values: dict[str, str] = {}
    for pair in raw_query.split("&"):
        name, _, value = pair.partition("=")
        if name in values:
            raise SamlError(f"The SAML request repeats {name}.")
        values[name] = value
    return values


def _sign_bytes(data: bytes, key_pem: str, algorithm: str) -> bytes:
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    digest = _HASHES[algorithm[3:6]]()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), digest)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(digest))
    raise SamlError("The signing key is neither an RSA nor an EC key.")


def _verify_bytes(
    certificate: x509.Certificate, signature: bytes, data: bytes, algorithm: str
) -> bool:
    key = certificate.public_key()
    digest = _HASHES[algorithm[3:6]]()
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm.endswith("RSA"):
            key.verify(signature, data, padding.PKCS1v15(), digest)
            return True
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm.endswith("ECDSA"):
            key.verify(signature, data, ec.ECDSA(digest))
            return True
    except CryptoInvalidSignature:
        return False
    return False
