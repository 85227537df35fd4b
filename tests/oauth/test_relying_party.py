"""A real relying party against a real `gatehouse serve`: authlib's OAuth 2.0 client, configured
from the discovery document, signs a user on with the code grant and PKCE (the browser driven
through /as/authorize, the flows API and /as/resume), verifies the ID token against the JWKS,
calls userinfo, refreshes, introspects and revokes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.support.server import Server

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

REDIRECT_URI = "https://rp.example.com/callback"
PASSWORD = "Cl1ent-Side-Secret-W0rd!"


@pytest.fixture(scope="module")
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """The server's bootstrap worker, on the management API of its environment."""
    async with httpx.AsyncClient(timeout=30) as http:
        token = (
            await http.post(
                server.token_endpoint,
                data={"grant_type": "client_credentials"},
                auth=(server.client_id, server.client_secret),
            )
        ).json()["access_token"]
    async with httpx.AsyncClient(
        base_url=f"{server.api_path}/environments/{server.environment_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        yield client


async def created(response: Any) -> dict[str, Any]:
    response = await response
    assert response.status_code == 201, response.text
    return response.json()


async def relying_party(api: httpx.AsyncClient) -> tuple[str, str]:
    """A web application with the code and refresh grants and the openid scopes: (id, secret)."""
    application = await created(
        api.post(
            "/applications",
            json={
                "name": f"rp-{secrets.token_hex(4)}",
                "enabled": True,
                "protocol": "OPENID_CONNECT",
                "type": "WEB_APP",
                "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
                "responseTypes": ["CODE"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
                "redirectUris": [REDIRECT_URI],
                "pkceEnforcement": "S256_REQUIRED",
            },
        )
    )
    resources = (await api.get("/resources")).json()["_embedded"]["resources"]
    openid = next(resource for resource in resources if resource["name"] == "openid")
    scopes = (await api.get(f"/resources/{openid['id']}/scopes")).json()["_embedded"]["scopes"]
    await created(
        api.post(
            f"/applications/{application['id']}/grants",
            json={
                "resource": {"id": openid["id"]},
                "scopes": [s for s in scopes if s["name"] in ("openid", "profile", "email")],
            },
        )
    )
    secret = (await api.get(f"/applications/{application['id']}/secret")).json()["secret"]
    return application["id"], secret


async def person(api: httpx.AsyncClient) -> dict[str, Any]:
    user = await created(
        api.post(
            "/users",
            json={
                "username": f"rp-user-{secrets.token_hex(4)}",
                "email": "rp.user@example.com",
                "name": {"given": "Rita", "family": "Party"},
            },
        )
    )
    response = await api.put(
        f"/users/{user['id']}/password",
        json={"value": PASSWORD, "forceChange": False},
        headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
    )
    assert response.status_code == 200, response.text
    return user


async def sign_on(authorization_url: str, username: str) -> str:
    """The user's browser: authorize, the password on the flow, resume; the redirect back."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as browser:
        started = await browser.get(authorization_url)
        assert started.status_code == 302, started.text
        sign_on_page = urlsplit(started.headers["location"])
        flow_id = parse_qs(sign_on_page.query)["flowId"][0]
        origin = f"{sign_on_page.scheme}://{sign_on_page.netloc}"
        environment = sign_on_page.path.strip("/").split("/")[0]
        checked = await browser.post(
            f"{origin}/{environment}/flows/{flow_id}",
            json={"username": username, "password": PASSWORD},
            headers={"Content-Type": "application/vnd.pingidentity.usernamePassword.check+json"},
        )
        assert checked.status_code == 200 and checked.json()["status"] == "COMPLETED", checked.text
        resumed = await browser.get(checked.json()["resumeUrl"])
        assert resumed.status_code == 302, resumed.text
        return resumed.headers["location"]


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def test_an_authlib_relying_party_signs_a_user_on(
    server: Server, api: httpx.AsyncClient
) -> None:
    env = server.environment_id
    client_id, client_secret = await relying_party(api)
    user = await person(api)
    async with httpx.AsyncClient(timeout=30) as http:
        metadata = (
            await http.get(f"{server.base_url}/{env}/as/.well-known/openid-configuration")
        ).json()
        keys = KeySet.import_key_set((await http.get(metadata["jwks_uri"])).json())
    assert metadata["issuer"] == f"{server.base_url}/{env}/as"

    async with AsyncOAuth2Client(
        client_id,
        client_secret,
        scope="openid profile email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        timeout=30,
    ) as rp:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        redirected = await sign_on(url, user["username"])
        assert redirected.startswith(REDIRECT_URI) and f"state={state}" in redirected
        token = await rp.fetch_token(
            metadata["token_endpoint"], authorization_response=redirected, code_verifier=verifier
        )
        assert token["token_type"] == "Bearer" and token["refresh_token"]

        # the ID token, verified against the JWKS as a relying party must (OIDC Core 3.1.3.7)
        id_token = jwt.decode(token["id_token"], keys)
        assert id_token.header["alg"] == "RS256" and id_token.header["kid"]
        JWTClaimsRegistry(
            iss={"essential": True, "value": metadata["issuer"]},
            aud={"essential": True, "value": client_id},
            sub={"essential": True, "value": user["id"]},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
            iat={"essential": True},
        ).validate(id_token.claims)
        assert id_token.claims["at_hash"] == at_hash(token["access_token"])
        assert id_token.claims["email"] == "rp.user@example.com"

        info = await rp.get(metadata["userinfo_endpoint"])
        assert info.status_code == 200, info.text
        assert info.json()["sub"] == user["id"] and info.json()["given_name"] == "Rita"

        first = dict(token)
        refreshed = await rp.refresh_token(metadata["token_endpoint"])
        assert refreshed["refresh_token"] != first["refresh_token"]
        assert refreshed["access_token"] != first["access_token"]

        active = await rp.introspect_token(
            metadata["introspection_endpoint"], token=refreshed["access_token"]
        )
        assert active.json()["active"] is True and active.json()["sub"] == user["id"]

        revoked = await rp.revoke_token(
            metadata["revocation_endpoint"],
            token=refreshed["refresh_token"],
            token_type_hint="refresh_token",
        )
        assert revoked.status_code == 200
        inactive = await rp.introspect_token(
            metadata["introspection_endpoint"], token=refreshed["access_token"]
        )
        assert inactive.json() == {"active": False}
        assert (await rp.get(metadata["userinfo_endpoint"])).status_code == 401
