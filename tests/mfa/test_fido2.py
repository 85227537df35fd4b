"""FIDO2 devices: creation answers WebAuthn registration options; activation verifies a real
attestation (built by a software authenticator) with the webauthn package, and refuses one that
does not verify; the stored credential then verifies sign-on assertions."""

from __future__ import annotations

import json

import pytest

from gatehouse.common import clock
from gatehouse.mfa import service
from tests.mfa.support import (
    ORIGIN,
    RP_ID,
    SoftwareAuthenticator,
    activate,
    b64url,
    create_device,
    create_user,
    device_path,
    load,
    unit_of_work,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def fido2_device(admin: Api, env: str, user: dict | None = None) -> tuple[dict, dict]:
    user = user or await create_user(admin, env, name={"given": "Ada", "family": "Lovelace"})
    return user, await create_device(admin, env, user["id"], {"type": "FIDO2"})


async def test_creation_answers_registration_options(admin: Api, env: str) -> None:
    user, device = await fido2_device(admin, env)
    assert device["status"] == "ACTIVATION_REQUIRED"
    assert device["rp"] == {"id": RP_ID, "name": "Gatehouse"}
    options = json.loads(device["publicKeyCredentialCreationOptions"])
    assert options["rp"] == {"id": RP_ID, "name": "Gatehouse"}
    assert options["user"]["name"] == user["username"]
    assert options["user"]["displayName"] == "Ada Lovelace"
    assert len(options["challenge"]) >= 43
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert "publicKeyCredentialCreationOptions" not in read


async def test_a_verified_attestation_activates_the_device(admin: Api, env: str) -> None:
    user, device = await fido2_device(admin, env)
    authenticator = SoftwareAuthenticator()
    attestation = authenticator.attestation(device["publicKeyCredentialCreationOptions"])
    response = await activate(
        admin, env, user["id"], device["id"], {"attestation": attestation, "origin": ORIGIN}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ACTIVE"


@pytest.mark.parametrize(
    "mistake",
    ["challenge", "origin", "rp_id", "not_json", "not_a_credential", "garbled_object"],
)
async def test_an_attestation_that_does_not_verify_is_refused(
    admin: Api, env: str, mistake: str
) -> None:
    user, device = await fido2_device(admin, env)
    options = device["publicKeyCredentialCreationOptions"]
    authenticator = SoftwareAuthenticator()
    attestations = {
        "challenge": lambda: authenticator.attestation(options, challenge=b64url(b"x" * 32)),
        "origin": lambda: authenticator.attestation(options, origin="https://evil.example"),
        "rp_id": lambda: authenticator.attestation(options, rp_id="evil.example"),
        "not_json": lambda: "{not json",
        "not_a_credential": lambda: json.dumps({"id": "abc"}),
        "garbled_object": lambda: json.dumps(
            {
                **json.loads(authenticator.attestation(options)),
                "response": {"clientDataJSON": "!!", "attestationObject": "%%%"},
            }
        ),
    }
    response = await activate(
        admin, env, user["id"], device["id"], {"attestation": attestations[mistake]()}
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="attestation")
    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert read["status"] == "ACTIVATION_REQUIRED"


async def test_activation_needs_an_attestation_from_an_allowed_origin(admin: Api, env: str) -> None:
    user, device = await fido2_device(admin, env)
    attestation = SoftwareAuthenticator().attestation(device["publicKeyCredentialCreationOptions"])
    missing = await activate(admin, env, user["id"], device["id"], {"otp": "123456"})
    assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="attestation")
    foreign = await activate(
        admin,
        env,
        user["id"],
        device["id"],
        {"attestation": attestation, "origin": "https://evil.example"},
    )
    body = assert_error(foreign, 400, "INVALID_DATA", detail="INVALID_VALUE", target="origin")
    assert body["details"][0]["innerError"]["allowedValues"] == [ORIGIN]


async def test_registration_options_expire(admin: Api, env: str) -> None:
    user, device = await fido2_device(admin, env)
    attestation = SoftwareAuthenticator().attestation(device["publicKeyCredentialCreationOptions"])
    clock.advance(301)
    response = await activate(admin, env, user["id"], device["id"], {"attestation": attestation})
    assert_error(response, 400, "REQUEST_FAILED")


async def test_an_authenticator_is_registered_once_per_user(admin: Api, env: str) -> None:
    user, first = await fido2_device(admin, env)
    authenticator = SoftwareAuthenticator()
    attestation = authenticator.attestation(first["publicKeyCredentialCreationOptions"])
    assert (
        await activate(admin, env, user["id"], first["id"], {"attestation": attestation})
    ).status_code == 200
    _, second = await fido2_device(admin, env, user)
    options = json.loads(second["publicKeyCredentialCreationOptions"])
    assert options["excludeCredentials"][0]["id"] == b64url(authenticator.credential_id)
    again = authenticator.attestation(second["publicKeyCredentialCreationOptions"])
    response = await activate(admin, env, user["id"], second["id"], {"attestation": again})
    assert_error(response, 400, "INVALID_DATA", target="attestation")


async def test_the_registered_credential_verifies_sign_on_assertions(
    app, admin: Api, env: str
) -> None:
    user, device = await fido2_device(admin, env)
    authenticator = SoftwareAuthenticator()
    attestation = authenticator.attestation(device["publicKeyCredentialCreationOptions"])
    assert (
        await activate(admin, env, user["id"], device["id"], {"attestation": attestation})
    ).status_code == 200
    runtime = app.state.runtime

    async with unit_of_work(app) as session:
        stored_user, stored = await load(session, user["id"], device["id"])
        assert service.amr(stored) == "hwk"
        challenge = await service.start_authentication(session, runtime, stored_user, stored)
    options = challenge.public_key_credential_request_options
    assert options is not None and not challenge.otp_sent
    assertion = authenticator.assertion(options)

    async with unit_of_work(app) as session:
        _, stored = await load(session, user["id"], device["id"])
        result = await service.check_assertion(session, runtime, stored, assertion, ORIGIN)
        assert result.accepted, result
        assert stored.sign_count == 1
        # the challenge is used up: the same assertion cannot be replayed
        replay = await service.check_assertion(session, runtime, stored, assertion)
    assert not replay.accepted and replay.reason == service.NOT_STARTED

    async with unit_of_work(app) as session:
        stored_user, stored = await load(session, user["id"], device["id"])
        challenge = await service.start_authentication(session, runtime, stored_user, stored)
    impostor = SoftwareAuthenticator()
    impostor.credential_id = authenticator.credential_id
    forged = impostor.assertion(challenge.public_key_credential_request_options or "")
    async with unit_of_work(app) as session:
        _, stored = await load(session, user["id"], device["id"])
        refused = await service.check_assertion(session, runtime, stored, forged)
    assert not refused.accepted and refused.reason == service.INVALID
    assert refused.failures_remaining == 2
    problem = service.refusal(refused, "assertion")
    assert problem.details[0].target == "assertion"
    assert "could not be verified" in problem.details[0].message
