"""What the MFA tests share: users made through the API, the codes Gatehouse sent (read from the
outbox, as a person reads their phone), and a software FIDO2 authenticator that builds real
WebAuthn attestations and assertions."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import cbor2
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.directory.models import User
from gatehouse.mfa.models import MfaDevice
from gatehouse.notifications.models import OutboxMessage
from tests.support.api import Api

ACTIVATE = "application/vnd.pingidentity.device.activate+json"
SEND_ACTIVATION_CODE = "application/vnd.pingidentity.device.sendActivationCode+json"
REORDER = "application/vnd.pingidentity.devices.reorder+json"
ORDER_REMOVE = "application/vnd.pingidentity.devices.order.remove+json"

# The relying party Gatehouse derives when no WebAuthn settings are given (tests set none).
RP_ID = "localhost"
ORIGIN = "http://localhost:8000"

# Numbers the phonenumbers metadata knows: a US number (mobile or fixed) and a French mobile.
US_PHONE = "+1 (415) 555-2671"
US_PHONE_E164 = "+14155552671"
FR_MOBILE = "+33 6 12 34 56 78"
FR_MOBILE_E164 = "+33612345678"
UK_LANDLINE = "+44 20 7946 0958"


async def create_user(admin: Api, env: str, **attributes: Any) -> dict[str, Any]:
    body = {"username": f"mfa-{secrets.token_hex(4)}", "email": "user@example.com", **attributes}
    return await admin.create(f"/environments/{env}/users", body)


async def create_device(admin: Api, env: str, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return await admin.create(f"/environments/{env}/users/{user_id}/devices", body)


def device_path(env: str, user_id: str, device_id: str = "") -> str:
    base = f"/environments/{env}/users/{user_id}/devices"
    return f"{base}/{device_id}" if device_id else base


async def activate(admin: Api, env: str, user_id: str, device_id: str, body: dict[str, Any]) -> Any:
    return await admin.post(device_path(env, user_id, device_id), json=body, media_type=ACTIVATE)


async def messages_to(app: Any, env: str, recipient: str) -> list[OutboxMessage]:
    """The messages sent to `recipient` in environment `env`, newest first."""
    async with app.state.runtime.sessions() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.environment_id == uuid.UUID(env),
                OutboxMessage.recipient == recipient,
            )
            .order_by(OutboxMessage.created_at.desc())
        )
        return list(rows)


async def last_code(app: Any, env: str, recipient: str) -> str:
    """The code in the newest message sent to `recipient` in environment `env`."""
    messages = await messages_to(app, env, recipient)
    assert messages, f"nothing was sent to {recipient}"
    code = messages[0].variables["code"]
    assert code in messages[0].body.replace(" ", "")
    return code


def other_code(code: str) -> str:
    """A code of the same length that is not `code`."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SoftwareAuthenticator:
    """A FIDO2 authenticator in software: an EC P-256 key, "none" attestation, ES256 assertions,
    a sign count that grows with every assertion."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0

    def attestation(
        self,
        creation_options: str,
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        challenge: str | None = None,
    ) -> str:
        """The PublicKeyCredential navigator.credentials.create() would give, as JSON."""
        options = json.loads(creation_options)
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        attested = (
            bytes(16)  # AAGUID: none
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self._cose_public_key()
        )
        flags = 0x01 | 0x04 | 0x40  # user present, user verified, attested credential data
        auth_data = self._authenticator_data(rp_id, flags) + attested
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation_object),
                },
                "clientExtensionResults": {},
            }
        )

    def assertion(self, request_options: str, *, origin: str = ORIGIN, rp_id: str = RP_ID) -> str:
        """The PublicKeyCredential navigator.credentials.get() would give, as JSON."""
        options = json.loads(request_options)
        assert options["allowCredentials"][0]["id"] == b64url(self.credential_id)
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._authenticator_data(rp_id, 0x01 | 0x04)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": None,
                },
                "clientExtensionResults": {},
            }
        )

    def _authenticator_data(self, rp_id: str, flags: int) -> bytes:
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big")

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def _cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


def new_uuid() -> str:
    return str(uuid.uuid4())


@asynccontextmanager
async def unit_of_work(app: Any) -> AsyncIterator[AsyncSession]:
    """A session in a transaction, committed at the end: how a sign-on flow calls the service."""
    async with app.state.runtime.sessions() as session, session.begin():
        yield session


async def load(session: AsyncSession, user_id: str, device_id: str) -> tuple[User, MfaDevice]:
    user = await session.get(User, uuid.UUID(user_id))
    device = await session.get(MfaDevice, uuid.UUID(device_id))
    assert user is not None and device is not None
    return user, device
