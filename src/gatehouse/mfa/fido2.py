"""FIDO2 / WebAuthn (W3C Web Authentication Level 2) through the `webauthn` package: registration
options and attestation verification when a device is paired, authentication options and
assertion verification when it is used.

The relying party comes from three settings Gatehouse proposes (not in settings.py yet, read here
with defaults): `webauthn_rp_id` (GATEHOUSE_WEBAUTHN_RP_ID), `webauthn_rp_name`
(GATEHOUSE_WEBAUTHN_RP_NAME, default "Gatehouse") and `webauthn_origins`
(GATEHOUSE_WEBAUTHN_ORIGINS, the origins whose pages may run the ceremonies). Without them the
origin is that of `auth_base_url` (the hosted sign-on pages), else http://localhost:<port>, and the
RP id is that origin's host name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gatehouse.settings import Settings

# How long the browser may take, and how long the challenge is accepted.
CEREMONY_SECONDS = 300


class Fido2Error(Exception):
    """An attestation or assertion that does not verify (the message says why)."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origins: tuple[str, ...]


@dataclass(frozen=True)
class Ceremony:
    """Options for the browser (a JSON document, as `navigator.credentials` takes it once its
    base64url members are decoded) and the challenge in them (base64url), kept to verify the
    answer."""

    options: str
    challenge: str


@dataclass(frozen=True)
class Credential:
    """A verified registration: credential id and COSE public key (base64url), sign count, and
    whether the credential is backed up (a synced passkey rather than a device-bound key)."""

    id: str
    public_key: str
    sign_count: int
    backed_up: bool


def relying_party(settings: Settings) -> RelyingParty:
    base = settings.auth_base_url
    default_origin = _origin(base) if base else f"http://localhost:{settings.port}"
    configured = [o.strip() for o in (settings.webauthn_origins or "").split(",") if o.strip()]
    return RelyingParty(
        id=settings.webauthn_rp_id or urlsplit(default_origin).hostname or "",
        name=settings.webauthn_rp_name,
        origins=tuple(configured or [default_origin]),
    )


def registration_options(
    rp: RelyingParty,
    *,
    user_handle: bytes,
    user_name: str,
    display_name: str,
    exclude: Sequence[str],
) -> Ceremony:
    """Options for navigator.credentials.create(); `exclude` lists the user's credentials (ids,
    base64url) so the same authenticator is not registered twice."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        timeout=CEREMONY_SECONDS * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))
            for credential_id in exclude
        ],
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def verify_registration(
    rp: RelyingParty, attestation: str, challenge: str, origins: Sequence[str]
) -> Credential:
    """Verify the browser's answer to registration (the PublicKeyCredential as JSON)."""
    try:
        verified = verify_registration_response(
            credential=attestation,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=list(origins),
        )
    except WebAuthnException as exc:
        raise Fido2Error(f"The attestation could not be verified: {exc}") from None
    except Exception:  # untrusted input the library failed to parse: a refusal, not a 500
        raise Fido2Error("The attestation could not be verified: it is malformed.") from None
    return Credential(
        id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        backed_up=verified.credential_backed_up,
    )


def authentication_options(rp: RelyingParty, credential_id: str) -> Ceremony:
    """Options for navigator.credentials.get(), allowing this one credential."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=CEREMONY_SECONDS * 1000,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def verify_assertion(
    rp: RelyingParty,
    assertion: str,
    challenge: str,
    origins: Sequence[str],
    *,
    public_key: str,
    sign_count: int,
) -> int:
    """Verify the browser's answer to authentication; returns the authenticator's new sign
    count (a count that did not grow, a sign of a cloned authenticator, is refused)."""
    try:
        verified = verify_authentication_response(
            credential=assertion,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=list(origins),
            credential_public_key=base64url_to_bytes(public_key),
            credential_current_sign_count=sign_count,
        )
    except WebAuthnException as exc:
        raise Fido2Error(f"The assertion could not be verified: {exc}") from None
    except Exception:  # untrusted input the library failed to parse: a refusal, not a 500
        raise Fido2Error("The assertion could not be verified: it is malformed.") from None
    return verified.new_sign_count


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
