"""An application's jwksUrl (private_key_jwt assertions, login_hint_token, request objects) is
fetched under the outbound policy, from a real HTTPS server on loopback: refused under the
default policy (loopback is not public) without a connection, fetched when the deployment allows
private addresses and trusts the server's certificate authority, kept per URL, and fetched again
once when a JWT names a key id the kept set does not have."""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse.federation import key_sets
from tests.federation.conftest import Upstream
from tests.notifications.smtp_servers import make_certificate, server_tls
from tests.oauth import support
from tests.oauth.test_client_authentication import assertion, code_for, redeem_with_assertion
from tests.oauth.test_login_hint_token import claims_for, mfa_only_setup
from tests.signon import support as signon
from tests.signon.support import Browser
from tests.support.api import Api

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_upstream(certificate: tuple[Path, Path]) -> Iterator[Upstream]:
    context: ssl.SSLContext = server_tls(certificate)
    server = Upstream(tls=context)
    yield server
    server.close()


@pytest.fixture
def outbound(app: Any) -> Iterator[Callable[..., None]]:
    """outbound(**settings): change the app's outbound settings for this test."""
    runtime = app.state.runtime
    original = runtime.settings

    def change(**settings: Any) -> None:
        runtime.settings = original.model_copy(update=settings)

    yield change
    runtime.settings = original


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


def serve_keys(upstream: Upstream, *keys: RSAKey) -> str:
    """Serve a key set at a path of its own; its URL."""
    return upstream.answer(
        f"/jwks-{secrets.token_hex(4)}", {"keys": [key.as_dict(private=False) for key in keys]}
    )


def fetches(upstream: Upstream, url: str) -> int:
    path = url.removeprefix(upstream.base_url)
    return upstream.paths.count(path)


async def redeem(app: Any, admin: Api, env: str, client: support.Client, key: RSAKey) -> Any:
    code = await code_for(app, admin, env, client)
    return await redeem_with_assertion(
        admin, env, client, code, assertion(key, client.id, f"{support.issuer(env)}/token")
    )


async def test_a_loopback_jwks_url_is_refused_by_default_and_fetched_when_allowed(
    app: Any,
    admin: Api,
    env: str,
    https_upstream: Upstream,
    certificate: tuple[Path, Path],
    outbound: Callable[..., None],
) -> None:
    key = rsa_key("loopback-key")
    url = serve_keys(https_upstream, key)
    client = await support.oidc_client(
        admin, env, tokenEndpointAuthMethod="PRIVATE_KEY_JWT", jwksUrl=url
    )

    refused = await redeem(app, admin, env, client, key)
    assert refused.status_code == 401, refused.text
    assert refused.json() == {
        "error": "invalid_client",
        "error_description": "The keys at the client's jwksUrl cannot be fetched.",
    }
    assert fetches(https_upstream, url) == 0  # refused before any connection

    outbound(outbound_allow_private=True)  # loopback allowed, but its certificate not trusted
    untrusted = await redeem(app, admin, env, client, key)
    assert untrusted.status_code == 401, untrusted.text
    assert fetches(https_upstream, url) == 0

    outbound(outbound_allow_private=True, outbound_ca_file=certificate[0])
    allowed = await redeem(app, admin, env, client, key)
    assert allowed.status_code == 200, allowed.text
    assert fetches(https_upstream, url) == 1


async def test_an_unknown_kid_fetches_the_set_again_once(
    app: Any,
    admin: Api,
    env: str,
    https_upstream: Upstream,
    certificate: tuple[Path, Path],
    outbound: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbound(outbound_allow_private=True, outbound_ca_file=certificate[0])
    first = rsa_key("first")
    url = serve_keys(https_upstream, first)
    client = await support.oidc_client(
        admin, env, tokenEndpointAuthMethod="PRIVATE_KEY_JWT", jwksUrl=url
    )
    for _ in range(2):
        response = await redeem(app, admin, env, client, first)
        assert response.status_code == 200, response.text
    assert fetches(https_upstream, url) == 1  # kept

    # a known kid with a bad signature is not a reason to fetch again
    forged = await redeem(app, admin, env, client, rsa_key("first"))
    assert forged.status_code == 401, forged.text
    assert fetches(https_upstream, url) == 1

    # the client rotates: the new kid is fetched again, once
    rotated = rsa_key("rotated")
    https_upstream.answer(url.removeprefix(https_upstream.base_url), {"keys": [rotated.as_dict()]})
    monkeypatch.setattr(key_sets, "REFETCH_AFTER", 0.0)
    response = await redeem(app, admin, env, client, rotated)
    assert response.status_code == 200, response.text
    assert fetches(https_upstream, url) == 2

    # a kid that is nowhere: one fetch, then refused
    unknown = await redeem(app, admin, env, client, rsa_key("nowhere"))
    assert unknown.status_code == 401, unknown.text
    assert fetches(https_upstream, url) == 3

    # right after a fetch, an unknown kid does not fetch again
    monkeypatch.setattr(key_sets, "REFETCH_AFTER", 30.0)
    again = await redeem(app, admin, env, client, rsa_key("elsewhere"))
    assert again.status_code == 401, again.text
    assert fetches(https_upstream, url) == 3


async def test_a_login_hint_token_checked_with_a_jwks_url(
    app: Any,
    admin: Api,
    env: str,
    https_upstream: Upstream,
    certificate: tuple[Path, Path],
    outbound: Callable[..., None],
) -> None:
    key = rsa_key("hint")
    url = serve_keys(https_upstream, key)
    client, person = await mfa_only_setup(
        admin, env, tokenEndpointAuthMethod="PRIVATE_KEY_JWT", jwksUrl=url
    )
    token = jwt.encode(
        {"alg": "RS256", "kid": "hint"}, claims_for(client, env, sub=person["id"]), key
    )
    async with Browser(app, env) as browser:
        refused = await browser.authorize(client, login_hint_token=token)
        assert signon.query_of(refused.headers["location"])["error"] == "invalid_request"
        assert fetches(https_upstream, url) == 0

        outbound(outbound_allow_private=True, outbound_ca_file=certificate[0])
        flow_id = await browser.start(client, login_hint_token=token)
        assert (await browser.flow(flow_id)).json()["status"] == "OTP_REQUIRED"
        assert fetches(https_upstream, url) == 1
