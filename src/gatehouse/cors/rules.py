"""Which origins may read the answers of the authorization and runtime endpoints (Fetch standard,
CORS protocol; PingOne's application `corsSettings`). Pure functions and the endpoint table; the
middleware (cors.middleware) applies them.

PingOne's documented behaviour, followed here:
- endpoints authenticated by a token the request carries trust every origin;
- endpoints of the application the request names trust the origins of its `corsSettings`
  (`ALLOW_SPECIFIC_ORIGINS`), none with `ALLOW_NO_ORIGINS`; an application without
  `corsSettings` (PingOne's legacy behaviour) allows any origin except on the sensitive
  endpoints (those that use the session cookies, and /as/token);
- the management API (`/v1`), authorized by access tokens only, answers any origin without
  credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

ALLOWED_HEADERS = ", ".join(
    (
        "Accept",
        "Accept-Language",
        "Content-Language",
        "Content-Type",
        "Authorization",
        "Correlation-Id",
        "X-Requested-With",
        "X-Requested-Platform",
        "interactionId",
        "interactionToken",
    )
)
EXPOSED_HEADERS = "WWW-Authenticate"
PREFLIGHT_MAX_AGE = "600"


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int


def parse_origin(value: str) -> Origin | None:
    """An `Origin` header or a configured origin (scheme, host, port; no path); None for `null`
    and anything else that is not an http(s) origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if (
        scheme not in DEFAULT_PORTS
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        return None
    return Origin(scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme])


def origin_matches(origin: Origin, configured: str) -> bool:
    """`configured` is an origin of corsSettings; a leftmost `*.` stands for any subdomains."""
    allowed = parse_origin(configured)
    if allowed is None or (allowed.scheme, allowed.port) != (origin.scheme, origin.port):
        return False
    if allowed.host.startswith("*."):
        suffix = allowed.host[1:]
        return origin.host.endswith(suffix) and len(origin.host) > len(suffix)
    return origin.host == allowed.host


def application_allows(config: Mapping[str, Any], origin: Origin, *, legacy_any: bool) -> bool:
    """Whether an application (its stored settings) lets `origin` read the answer; `legacy_any`
    is what an application without corsSettings gets (any origin, or none)."""
    settings = config.get("corsSettings")
    if not isinstance(settings, dict):
        return legacy_any
    if settings.get("behavior") != "ALLOW_SPECIFIC_ORIGINS":
        return False
    origins = settings.get("origins") or []
    return any(origin_matches(origin, item) for item in origins if isinstance(item, str))


def any_application_allows(
    configs: Iterable[Mapping[str, Any]], origin: Origin, *, legacy_any: bool
) -> bool:
    return any(application_allows(config, origin, legacy_any=legacy_any) for config in configs)


class Access(Enum):
    PUBLIC = "public"  # any origin, without credentials (`*`)
    TOKEN = "token"  # any origin, with credentials: the request carries its own token
    APPLICATION = "application"  # the origins of the application the request names


class Naming(Enum):
    """Where a request names its application."""

    CLIENT_ID = "client_id"  # the query's client_id, else the form's (authorize)
    CLIENT_CREDENTIALS = "credentials"  # the client authentication (token, revoke, introspect)
    FLOW_QUERY = "flow_query"  # ?flowId= (resume)
    FLOW_PATH = "flow_path"  # /flows/{flowId}
    SIGNOFF = "signoff"  # client_id, else the audience of id_token_hint
    INTERACTION = "interaction"  # the interactionId header (DaVinci continue)


# Namings a preflight (no body, no credentials, no custom header values) can still read.
PREFLIGHT_NAMINGS = frozenset(
    {Naming.CLIENT_ID, Naming.FLOW_QUERY, Naming.FLOW_PATH, Naming.SIGNOFF}
)
FORM_NAMINGS = frozenset({Naming.CLIENT_ID, Naming.CLIENT_CREDENTIALS})


@dataclass(frozen=True)
class Endpoint:
    path: re.Pattern[str]
    methods: tuple[str, ...]
    access: Access
    naming: Naming | None = None
    legacy_any: bool = False  # an application without corsSettings allows any origin

    @property
    def allow_methods(self) -> str:
        return ", ".join((*self.methods, "OPTIONS"))


def _path(template: str) -> re.Pattern[str]:
    return re.compile("/(?P<env>[^/]+)" + template)


MANAGEMENT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

ENDPOINTS = (
    Endpoint(re.compile(r"/v1(/.*)?"), MANAGEMENT_METHODS, Access.PUBLIC),
    Endpoint(_path(r"/as/\.well-known/openid-configuration"), ("GET",), Access.PUBLIC),
    Endpoint(_path(r"/as/jwks"), ("GET",), Access.PUBLIC),
    Endpoint(_path(r"/davinci/\.well-known/openid-configuration"), ("GET",), Access.PUBLIC),
    Endpoint(_path(r"/davinci/jwks"), ("GET",), Access.PUBLIC),
    Endpoint(_path(r"/as/userinfo"), ("GET", "POST"), Access.TOKEN),
    Endpoint(_path(r"/davinci/userinfo"), ("GET", "POST"), Access.TOKEN),
    Endpoint(_path(r"/as/authorize"), ("GET", "POST"), Access.APPLICATION, Naming.CLIENT_ID),
    Endpoint(_path(r"/as/token"), ("POST",), Access.APPLICATION, Naming.CLIENT_CREDENTIALS),
    Endpoint(
        _path(r"/as/(introspect|revoke)"),
        ("POST",),
        Access.APPLICATION,
        Naming.CLIENT_CREDENTIALS,
        legacy_any=True,
    ),
    Endpoint(_path(r"/as/resume"), ("GET",), Access.APPLICATION, Naming.FLOW_QUERY),
    Endpoint(_path(r"/as/signoff"), ("GET",), Access.APPLICATION, Naming.SIGNOFF),
    Endpoint(
        _path(r"/flows/(?P<flow>[^/]+)"), ("GET", "POST"), Access.APPLICATION, Naming.FLOW_PATH
    ),
    Endpoint(
        _path(r"/davinci/connections/[^/]+/capabilities/[^/]+"),
        ("POST",),
        Access.APPLICATION,
        Naming.INTERACTION,
    ),
)


def endpoint_for(path: str) -> tuple[Endpoint, re.Match[str]] | None:
    for endpoint in ENDPOINTS:
        match = endpoint.path.fullmatch(path)
        if match is not None:
            return endpoint, match
    return None
