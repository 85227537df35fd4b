"""A small OAuth 2.0 provider on loopback, shaped like Facebook's Login and Graph API, for the
tests that sign on through a social provider: a real HTTP server in a thread.

- GET  /dialog/oauth: the "user" the test chose (`signed_in`) consents at once: 302 to the
  redirect_uri with a single-use code and the state, after checking client_id, response_type
  and that the redirect_uri is https (or http on loopback).
- POST /oauth/access_token: the code for an access token, with client_id and client_secret in
  the form (as Facebook takes them); the redirect_uri must be the authorization request's.
- GET  /me?fields=...&appsecret_proof=...: the user's fields, for a bearer access token and the
  HMAC-SHA256 proof of the token under the app secret.

`fail_token` and `fail_profile` make the next answers of those endpoints errors; `requests`
records the paths asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.server import OUTBOUND_TO_LOOPBACK, Server, running_server


@dataclass
class Person:
    id: str
    email: str
    first_name: str
    last_name: str

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "name": f"{self.first_name} {self.last_name}",
            "picture": {"data": {"url": f"https://pictures.example/{self.id}.png"}},
        }


@dataclass
class SocialServer:
    app_id: str
    app_secret: str
    signed_in: Person | None = None
    fail_token: bool = False
    fail_profile: bool = False
    requests: list[str] = field(default_factory=list)
    codes: dict[str, tuple[str, Person]] = field(default_factory=dict)  # code -> redirect, who
    tokens: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoints(self) -> dict[str, str]:
        """What GATEHOUSE_FEDERATION_ENDPOINTS points FACEBOOK at."""
        return {
            "authorizationEndpoint": f"{self.base_url}/dialog/oauth",
            "tokenEndpoint": f"{self.base_url}/oauth/access_token",
            "userInfoEndpoint": f"{self.base_url}/me",
        }

    def count(self, path: str) -> int:
        return sum(1 for item in self.requests if item == path)

    @property
    def server_settings(self) -> dict[str, str]:
        """The environment of a `gatehouse serve` whose FACEBOOK provider signs on here."""
        endpoints = json.dumps({"FACEBOOK": self.endpoints})
        return {**OUTBOUND_TO_LOOPBACK, "GATEHOUSE_FEDERATION_ENDPOINTS": endpoints}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SocialServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the endpoints -------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        redirect = query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        # http only on loopback (and the in-process tests' "testserver")
        local = parts.hostname in ("127.0.0.1", "localhost", "testserver")
        secure = parts.scheme == "https" or (parts.scheme == "http" and local)
        if query.get("client_id") != self.app_id or not secure:
            return 400, {}, {"error": {"type": "OAuthException", "message": "Invalid app"}}
        if query.get("response_type") != "code" or self.signed_in is None:
            return 400, {}, {"error": {"type": "OAuthException", "message": "Bad request"}}
        code = secrets.token_urlsafe(16)
        with self._lock:
            self.codes[code] = (redirect, self.signed_in)
        answer = urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": f"{redirect}{'&' if '?' in redirect else '?'}{answer}"}, None

    def access_token(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if self.fail_token:
            return 400, {}, {"error": {"type": "OAuthException", "message": "Code expired"}}
        if form.get("client_id") != self.app_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.app_secret
        ):
            return 401, {}, {"error": {"type": "OAuthException", "message": "Bad client"}}
        with self._lock:
            issued = self.codes.pop(form.get("code", ""), None)
        if issued is None or issued[0] != form.get("redirect_uri"):
            return 400, {}, {"error": {"type": "OAuthException", "message": "Bad code"}}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = issued[1]
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}

    def me(self, query: dict[str, str], authorization: str) -> tuple[int, dict[str, str], Any]:
        if self.fail_profile:
            return 500, {}, {"error": {"type": "OAuthException", "message": "Unavailable"}}
        token = authorization.removeprefix("Bearer ")
        person = self.tokens.get(token)
        proof = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if person is None or not hmac.compare_digest(query.get("appsecret_proof", ""), proof):
            return 401, {}, {"error": {"type": "OAuthException", "message": "Bad token"}}
        everything = person.fields()
        wanted = query.get("fields", "id").split(",")
        return 200, {}, {name: everything[name] for name in wanted if name in everything}


def _handler(provider: SocialServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            provider.requests.append(parts.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            if parts.path == "/dialog/oauth":
                self._answer(*provider.authorize(query))
            elif parts.path == "/me":
                self._answer(*provider.me(query, self.headers.get("Authorization", "")))
            else:
                self._answer(404, {}, {"error": "not_found"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            provider.requests.append(parts.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if parts.path == "/oauth/access_token":
                self._answer(*provider.access_token(form))
            else:
                self._answer(404, {}, {"error": "not_found"})

        def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


def facebook_fixtures(app_id: str, app_secret: str) -> tuple[Any, Any]:
    """The module fixtures of an end-to-end test signing on through Facebook: `facebook` (this
    server, for that app) and `server` (a `gatehouse serve` whose FACEBOOK provider signs on
    there). In the test module: `facebook, server = facebook_fixtures(APP_ID, APP_SECRET)`."""

    @pytest.fixture(scope="module")
    def facebook() -> Iterator[SocialServer]:
        with SocialServer(app_id, app_secret) as social:
            yield social

    @pytest.fixture(scope="module")
    def server(
        database_url: str,
        secret_key: str,
        tmp_path_factory: pytest.TempPathFactory,
        facebook: SocialServer,
    ) -> Iterator[Server]:
        data_dir = tmp_path_factory.mktemp("facebook-server")
        settings = facebook.server_settings
        with running_server(database_url, data_dir, secret_key, extra_env=settings) as running:
            yield running

    return facebook, server
