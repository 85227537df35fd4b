"""client_credentials at /{envId}/as/token and the management API's bearer-token checks."""

from __future__ import annotations

import base64

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio


async def test_worker_gets_a_signed_pingone_api_token(admin: Api, credentials: Credentials) -> None:
    response = await admin.client_credentials_token(
        credentials.environment_id, credentials.client_id, credentials.client_secret
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    keys = KeySet.import_key_set(
        (await admin.client.get(f"/{credentials.environment_id}/as/jwks")).json()
    )
    claims = jwt.decode(body["access_token"], keys).claims
    assert claims["client_id"] == credentials.client_id
    assert claims["env"] == credentials.environment_id
    assert claims["org"] == credentials.organization_id
    assert claims["iss"].endswith(f"/{credentials.environment_id}/as")
    assert claims["aud"] == ["https://api.pingone.com"]
    assert "sub" not in claims and claims["exp"] - claims["iat"] == 3600


async def test_client_secret_post_is_refused_for_a_basic_client(
    admin: Api, credentials: Credentials
) -> None:
    response = await admin.client.post(
        f"/{credentials.environment_id}/as/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_wrong_secret_and_unknown_client_are_invalid_client(
    admin: Api, credentials: Credentials
) -> None:
    wrong = await admin.client_credentials_token(
        credentials.environment_id, credentials.client_id, "nope"
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    unknown = await admin.client_credentials_token(
        credentials.environment_id, "00000000-0000-0000-0000-000000000000", "x"
    )
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"


async def test_malformed_token_requests(admin: Api, credentials: Credentials) -> None:
    auth = (
        "Basic "
        + base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    )
    no_grant = await admin.client.post(
        f"/{credentials.environment_id}/as/token", data={}, headers={"Authorization": auth}
    )
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "invalid_request"
    unknown_grant = await admin.client.post(
        f"/{credentials.environment_id}/as/token",
        data={"grant_type": "password"},
        headers={"Authorization": auth},
    )
    assert (
        unknown_grant.status_code == 400
        and unknown_grant.json()["error"] == "unsupported_grant_type"
    )
    repeated = await admin.client.post(
        f"/{credentials.environment_id}/as/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"
    json_body = await admin.client.post(
        f"/{credentials.environment_id}/as/token",
        json={"grant_type": "client_credentials"},
        headers={"Authorization": auth},
    )
    assert json_body.status_code == 400 and json_body.json()["error"] == "invalid_request"


async def test_token_endpoint_of_an_unknown_environment_is_not_found(
    admin: Api, credentials: Credentials
) -> None:
    response = await admin.client_credentials_token(
        "00000000-0000-0000-0000-000000000000", credentials.client_id, credentials.client_secret
    )
    assert response.status_code == 404


async def test_management_api_needs_a_valid_bearer_token(admin: Api) -> None:
    anonymous = admin.with_token(None)
    assert_error(await anonymous.get("/environments"), 401, "ACCESS_FAILED", detail="INVALID_TOKEN")
    forged = admin.with_token(admin.token[:-4] + "AAAA")
    assert_error(await forged.get("/environments"), 401, "ACCESS_FAILED", detail="INVALID_TOKEN")
    garbage = admin.with_token("not.a.jwt")
    assert_error(await garbage.get("/environments"), 401, "ACCESS_FAILED")


async def test_expired_token_is_rejected(admin: Api) -> None:
    from gatehouse.common import clock

    clock.advance(3601)
    assert_error(await admin.get("/environments"), 401, "ACCESS_FAILED", detail="INVALID_TOKEN")
