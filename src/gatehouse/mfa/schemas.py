"""Request and response models of users' MFA devices, named after PingOne's (MFA spec, DOCS "MFA
Devices").

Gatehouse choices where PingOne's public model is silent:
- A TOTP device answers its creation (only) with `_embedded.secret`: `{secret, keyUri, qrImage}`,
  where `qrImage` is a PNG of the key URI's QR code, base64-encoded.
- A FIDO2 device answers its creation (only) with `publicKeyCredentialCreationOptions`, the
  WebAuthn registration options as a JSON string (base64url members), and `rp {id, name}`.
- `lock {status: LOCKED, expiresAt}` appears while too many failed checks lock the device.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from gatehouse.common.schemas import HalView, Ref, RequestModel, Timestamp, ViewModel
from gatehouse.directory.users.schemas import Email
from gatehouse.mfa import phones

JSON = "application/json"
ACTIVATE = "application/vnd.pingidentity.device.activate+json"
SEND_ACTIVATION_CODE = "application/vnd.pingidentity.device.sendActivationCode+json"
REORDER = "application/vnd.pingidentity.devices.reorder+json"
ORDER_REMOVE = "application/vnd.pingidentity.devices.order.remove+json"

ACTIVATION_REQUIRED, ACTIVE = "ACTIVATION_REQUIRED", "ACTIVE"

DeviceType = Literal["SMS", "VOICE", "EMAIL", "TOTP", "FIDO2"]
DeviceStatus = Literal["ACTIVATION_REQUIRED", "ACTIVE"]
Nickname = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Phone = Annotated[str, StringConstraints(max_length=64), AfterValidator(phones.normalize)]
MAX_ORDERED_DEVICES = 100


class DeviceCreate(RequestModel):
    """POST /users/{userId}/devices. `phone` is required for SMS and VOICE, `email` for EMAIL;
    `status: ACTIVE` skips activation (not for FIDO2, which activates with its attestation);
    `policy` defaults to the environment's default MFA policy."""

    type: DeviceType
    phone: Phone | None = None
    email: Email | None = None
    nickname: Nickname | None = None
    status: DeviceStatus = ACTIVATION_REQUIRED
    policy: Ref | None = None


class DeviceActivate(RequestModel):
    """device.activate+json: `otp` for SMS, VOICE, EMAIL and TOTP; `attestation` (the browser's
    PublicKeyCredential as a JSON string) and optionally `origin` for FIDO2."""

    otp: Annotated[str, StringConstraints(min_length=1, max_length=16)] | None = None
    attestation: Annotated[str, StringConstraints(min_length=1, max_length=65_536)] | None = None
    origin: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None


class DeviceNickname(RequestModel):
    nickname: Nickname


class DeviceOrder(RequestModel):
    """devices.reorder+json: the user's devices, the default first."""

    order: Annotated[list[Ref], Field(min_length=1, max_length=MAX_ORDERED_DEVICES)]


class TotpSecretView(ViewModel):
    secret: str
    key_uri: str = Field(alias="keyUri")
    qr_image: str = Field(alias="qrImage")


class DeviceView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    user: dict[str, str]
    type: str
    status: str
    nickname: str | None = None
    phone: str | None = None
    email: str | None = None
    policy: dict[str, str] | None = None
    lock: dict[str, Any] | None = None
    rp: dict[str, str] | None = None
    public_key_credential_creation_options: str | None = Field(
        default=None, alias="publicKeyCredentialCreationOptions"
    )
    embedded: dict[str, TotpSecretView] | None = Field(default=None, alias="_embedded")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
