"""Helpers of the federation tests: a valid body of every provider type, an upstream HTTP server
on loopback (http.server in a thread) that answers what a test tells it to, and the outbound
settings of the module's app, changed for one test."""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.api import Api


def apple_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


SECRETS = {"appSecret", "clientSecret", "clientSecretSigningKey"}

OIDC: dict[str, Any] = {
    "issuer": "https://idp.example.com",
    "authorizationEndpoint": "https://idp.example.com/authorize",
    "tokenEndpoint": "https://idp.example.com/token",
    "jwksEndpoint": "https://idp.example.com/jwks",
    "userInfoEndpoint": "https://idp.example.com/userinfo",
    "clientId": "gatehouse-client",
    "clientSecret": "oidc-secret",
    "scopes": ["openid", "email"],
    "tokenEndpointAuthMethod": "CLIENT_SECRET_POST",
    "pkceMethod": "S256",
}

SOCIAL_CLIENT_TYPES = [
    "GOOGLE",
    "LINKEDIN",
    "LINKEDIN_OIDC",
    "YAHOO",
    "AMAZON",
    "TWITTER",
    "GITHUB",
]


def type_fields(kind: str) -> dict[str, Any]:
    """The type-specific fields of a valid provider of `kind` (SAML aside: it needs certificates)."""
    if kind == "FACEBOOK":
        return {"appId": "facebook-app", "appSecret": "facebook-secret"}
    if kind in SOCIAL_CLIENT_TYPES:
        return {"clientId": f"{kind.lower()}-client", "clientSecret": f"{kind.lower()}-secret"}
    if kind == "MICROSOFT":
        return {"clientId": "ms-client", "clientSecret": "ms-secret", "tenantId": "contoso"}
    if kind == "PAYPAL":
        return {"clientId": "pp-client", "clientSecret": "pp-secret", "clientEnvironment": "live"}
    if kind == "APPLE":
        return {
            "clientId": "com.example.signin",
            "clientSecretSigningKey": apple_key_pem(),
            "keyId": "ABCDE12345",
            "teamId": "TEAM123456",
        }
    if kind == "OPENID_CONNECT":
        return dict(OIDC)
    raise ValueError(kind)


def provider(kind: str, name: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name or f"{kind.lower()} provider",
        "enabled": True,
        **type_fields(kind),
        **overrides,
    }


async def create_provider(admin: Api, env: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST and expect 200, as PingOne answers."""
    response = await admin.post(f"/environments/{env}/identityProviders", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def outbound(app: Any) -> Iterator[Callable[..., None]]:
    """outbound(**settings): change the app's outbound settings for this test."""
    runtime = app.state.runtime
    original = runtime.settings

    def change(**settings: Any) -> None:
        runtime.settings = original.model_copy(update=settings)

    yield change
    runtime.settings = original


@pytest.fixture
def open_outbound(outbound: Callable[..., None]) -> None:
    """Loopback and http allowed, a one-second time limit: what the upstream server needs."""
    outbound(outbound_allow_private=True, outbound_allow_http=True, outbound_timeout_seconds=1.0)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Upstream:
    """An HTTP server on 127.0.0.1 answering each path as told (HTTPS with a `tls` context)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.answers: dict[str, Answer] = {}
        self.hosts: list[str] = []  # the Host header of each request received
        self.paths: list[str] = []  # the path of each request received
        self.forms: list[bytes] = []  # the body of each POST received
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.hosts.append(self.headers.get("Host", ""))
                upstream.paths.append(self.path)
                answer = upstream.answers.get(self.path, Answer(404, b"{}"))
                time.sleep(answer.delay)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(answer.body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                upstream.forms.append(self.rfile.read(length))
                self.do_GET()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, body: Any = None, **settings: Any) -> str:
        """Answer GET `path` with `body` (JSON unless bytes); the URL of `path`."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers[path] = Answer(body=raw, **settings)
        return f"{self.base_url}{path}"

    def metadata(self, issuer_path: str, **changes: Any) -> dict[str, Any]:
        """Valid OpenID Provider metadata for the issuer at `issuer_path`, with `changes`."""
        issuer = f"{self.base_url}{issuer_path}"
        document = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            **changes,
        }
        return {key: value for key, value in document.items() if value is not None}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()
