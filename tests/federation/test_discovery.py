"""OpenID Provider discovery (seed 001): POST /identityProviders with the discover media type
fetches an issuer's metadata, checks it and returns it, creating nothing; every failure is
400 INVALID_DATA naming the problem with target `url`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.federation.conftest import Upstream
from tests.support.api import Api, assert_error
from tests.support.server import Server

pytestmark = pytest.mark.anyio

DISCOVER = "application/vnd.pingidentity.openid-configuration.discover+json"


async def _discover(admin: Api, env: str, url: str) -> Any:
    return await admin.post(
        f"/environments/{env}/identityProviders", json={"url": url}, media_type=DISCOVER
    )


def _refused(response: Any, *words: str) -> None:
    body = assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="url")
    message = body["details"][0]["message"]
    assert all(word in message for word in words), message


@pytest.mark.usefixtures("open_outbound")
async def test_discovery_returns_the_metadata_and_creates_nothing(
    admin: Api, env: str, upstream: Upstream
) -> None:
    metadata = upstream.metadata("/ok", code_challenge_methods_supported=["S256"])
    upstream.answer("/ok/.well-known/openid-configuration", metadata)
    for url in (
        f"{upstream.base_url}/ok",
        f"{upstream.base_url}/ok/",
        f"{upstream.base_url}/ok/.well-known/openid-configuration",
    ):
        response = await _discover(admin, env, url)
        assert response.status_code == 200, response.text
        assert response.json() == metadata
    listed = (await admin.get(f"/environments/{env}/identityProviders")).json()
    assert listed["count"] == 0


@pytest.mark.usefixtures("open_outbound")
async def test_token_endpoint_may_be_missing_only_for_implicit_providers(
    admin: Api, env: str, upstream: Upstream
) -> None:
    implicit = upstream.metadata(
        "/implicit", token_endpoint=None, response_types_supported=["id_token", "id_token token"]
    )
    upstream.answer("/implicit/.well-known/openid-configuration", implicit)
    assert (await _discover(admin, env, f"{upstream.base_url}/implicit")).status_code == 200
    code = upstream.metadata("/code", token_endpoint=None)
    upstream.answer("/code/.well-known/openid-configuration", code)
    _refused(await _discover(admin, env, f"{upstream.base_url}/code"), "token_endpoint")


async def test_discovery_of_a_gatehouse_environment(
    admin: Api, env: str, server: Server, open_outbound: None
) -> None:
    """Another Gatehouse (a real server process) is an OpenID Provider like any other."""
    issuer = f"{server.base_url}/{server.environment_id}/as"
    response = await _discover(admin, env, issuer)
    assert response.status_code == 200, response.text
    metadata = response.json()
    assert metadata["issuer"] == issuer
    assert metadata["jwks_uri"] == f"{issuer}/jwks"
    assert "code" in metadata["response_types_supported"]


ERRORS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("/html", {"body": b"<html></html>", "content_type": "text/html"}, ("JSON",)),
    ("/array", {"body": []}, ("not a JSON object",)),
    ("/big", {"body": b"{" + b" " * 1_100_000 + b"}"}, ("larger than",)),
    ("/missing", {"body": {"issuer": "x"}}, ("authorization_endpoint", "jwks_uri")),
    ("/status", {"body": {}, "status": 500}, ("HTTP 500",)),
    ("/slow", {"body": {}, "delay": 2.5}, ("did not answer",)),
]


@pytest.mark.parametrize(("path", "answer", "words"), ERRORS, ids=[e[0][1:] for e in ERRORS])
@pytest.mark.usefixtures("open_outbound")
async def test_bad_answers_are_refused(
    admin: Api,
    env: str,
    upstream: Upstream,
    path: str,
    answer: dict[str, Any],
    words: tuple[str, ...],
) -> None:
    settings = {key: value for key, value in answer.items() if key != "body"}
    upstream.answer(f"{path}/.well-known/openid-configuration", answer["body"], **settings)
    _refused(await _discover(admin, env, f"{upstream.base_url}{path}"), *words)


@pytest.mark.usefixtures("open_outbound")
async def test_issuer_must_be_the_url_discovered(admin: Api, env: str, upstream: Upstream) -> None:
    other = upstream.metadata("/elsewhere")
    upstream.answer("/mismatch/.well-known/openid-configuration", other)
    _refused(await _discover(admin, env, f"{upstream.base_url}/mismatch"), "issuer", "elsewhere")


@pytest.mark.usefixtures("open_outbound")
async def test_redirects_stay_on_the_host(admin: Api, env: str, upstream: Upstream) -> None:
    upstream.answer("/moved/.well-known/openid-configuration", upstream.metadata("/moved"))
    upstream.answer(
        "/old/.well-known/openid-configuration",
        {},
        status=302,
        headers={"Location": "/moved/.well-known/openid-configuration"},
    )
    # followed on the same host; the issuer then is /moved, not the /old asked for
    _refused(await _discover(admin, env, f"{upstream.base_url}/old"), "issuer")
    upstream.answer(
        "/away/.well-known/openid-configuration",
        {},
        status=302,
        headers={"Location": "https://idp.example.com/.well-known/openid-configuration"},
    )
    _refused(await _discover(admin, env, f"{upstream.base_url}/away"), "another host")


@pytest.mark.usefixtures("open_outbound")
async def test_unreachable_hosts_are_refused(admin: Api, env: str, upstream: Upstream) -> None:
    closed = Upstream()
    closed.close()
    _refused(await _discover(admin, env, f"{closed.base_url}/as"), "Could not connect")
    _refused(await _discover(admin, env, "https://no-such-host.invalid/as"), "cannot be resolved")


async def test_private_addresses_and_http_are_refused_by_default(
    admin: Api, env: str, upstream: Upstream, outbound: Callable[..., None]
) -> None:
    upstream.answer("/as/.well-known/openid-configuration", upstream.metadata("/as"))
    _refused(await _discover(admin, env, f"{upstream.base_url}/as"), "https")
    for url in (
        "https://127.0.0.1/as",
        "https://localhost/as",
        "https://[::1]/as",
        "https://10.1.2.3/as",
        "https://169.254.169.254/latest",
    ):
        _refused(await _discover(admin, env, url), "non-public address")
    outbound(outbound_allow_http=True)
    _refused(await _discover(admin, env, f"{upstream.base_url}/as"), "127.0.0.1", "non-public")
    outbound(outbound_allow_http=True, outbound_allow_private=True)
    assert (await _discover(admin, env, f"{upstream.base_url}/as")).status_code == 200


@pytest.mark.parametrize(
    "url", ["ftp://idp.example.com", "not a url", "https://user:pw@idp.example.com", "https://"]
)
async def test_urls_that_are_not_https_urls_are_refused(admin: Api, env: str, url: str) -> None:
    _refused(await _discover(admin, env, url))


async def test_discovery_body_is_validated(admin: Api, env: str) -> None:
    assert_error(
        await admin.post(f"/environments/{env}/identityProviders", json={}, media_type=DISCOVER),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target="url",
    )
