"""The upstream round trip's checks (federation.signon), without a network: the authorization
request, the code exchange's client authentication, and the ID token's verification."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gatehouse.federation import signon
from gatehouse.federation.outbound import OutboundPolicy, OutboundResponse
from gatehouse.federation.schemas import OidcProvider
from tests.federation.conftest import provider

pytestmark = pytest.mark.anyio

POLICY = OutboundPolicy()
KEY = RSAKey.generate_key(2048, parameters={"kid": "upstream", "alg": "RS256"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "upstream", "alg": "RS256"})


def settings(**overrides: Any) -> signon.Upstream:
    oidc = OidcProvider.model_validate(provider("OPENID_CONNECT", **overrides))
    return signon.Upstream.of_oidc(oidc)


def id_token(key: RSAKey = KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://idp.example.com",
        "aud": "gatehouse-client",
        "sub": "upstream-subject",
        "nonce": "n-1",
        "iat": now,
        "exp": now + 300,
        **overrides,
    }
    return jwt.encode({"alg": "RS256", "kid": "upstream"}, claims, key)


@pytest.fixture(autouse=True)
def _upstream_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    async def keys(url: str, policy: OutboundPolicy, kid: str | None) -> KeySet:
        return KeySet([KEY])

    monkeypatch.setattr(signon.key_sets, "key_set", keys)


async def test_a_valid_id_token_gives_its_claims() -> None:
    claims = await signon.verify_id_token(id_token(), settings(), "n-1", POLICY)
    assert claims["sub"] == "upstream-subject"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (lambda: id_token(iss="https://evil.example.com"), "another issuer"),
        (lambda: id_token(aud="someone-else"), "another client"),
        (lambda: id_token(aud=["a", "b"]), "another client"),
        (lambda: id_token(nonce="n-2"), "nonce"),
        (lambda: id_token(exp=int(time.time()) - 3600), "expired"),
        (lambda: id_token(OTHER_KEY), "signature"),
        (lambda: "not.a.token", "signature"),
    ],
)
async def test_id_tokens_that_do_not_check_out_are_refused(token: Any, message: str) -> None:
    with pytest.raises(signon.SignOnError) as refused:
        await signon.verify_id_token(token(), settings(), "n-1", POLICY)
    assert message in refused.value.message


def test_the_authorization_request_carries_state_nonce_and_pkce() -> None:
    request = signon.authorization_request(settings(), "https://gh/cb", "flow.secret")
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert query["state"] == "flow.secret" and query["nonce"] == request.nonce
    assert request.code_verifier is not None
    digest = hashlib.sha256(request.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    plain = signon.authorization_request(settings(pkceMethod="NONE"), "https://gh/cb", "s")
    assert plain.code_verifier is None and "code_challenge" not in plain.url


@pytest.mark.parametrize("method", ["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "NONE"])
async def test_the_code_exchange_authenticates_as_configured(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    sent: dict[str, Any] = {}

    async def answer(verb: str, url: str, policy: OutboundPolicy, **kwargs: Any) -> Any:
        sent.update(kwargs, url=url)
        return OutboundResponse(url, 200, "application/json", b'{"id_token": "t"}')

    monkeypatch.setattr(signon, "request", answer)
    config = settings(tokenEndpointAuthMethod=method)
    tokens = await signon.exchange_code(config, "s3cret", "code-1", "https://gh/cb", "v", POLICY)
    assert tokens["id_token"] == "t"
    form, headers = sent["form"], sent["headers"]
    assert form["code"] == "code-1" and form["code_verifier"] == "v"
    assert ("Authorization" in headers) == (method == "CLIENT_SECRET_BASIC")
    assert ("client_secret" in form) == (method == "CLIENT_SECRET_POST")


async def test_a_refused_code_is_a_sign_on_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async def answer(verb: str, url: str, policy: OutboundPolicy, **kwargs: Any) -> Any:
        return OutboundResponse(url, 400, "application/json", b'{"error": "invalid_grant"}')

    monkeypatch.setattr(signon, "request", answer)
    with pytest.raises(signon.SignOnError, match="invalid_grant"):
        await signon.exchange_code(settings(), "s", "c", "https://gh/cb", None, POLICY)
