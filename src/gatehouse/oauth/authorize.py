"""The authorization request (RFC 6749 sections 3.1 and 4.1.1, OIDC Core 3.1.2.1, RFC 7636 section
4.3, OAuth 2.0 Multiple Response Type Encoding Practices), validated against the application.

Errors that can go back to the client (RFC 6749 section 4.1.2.1) carry a `ResponseTarget`: the
verified redirect URI, the response mode and `state`. Those that cannot, because the client or
its redirect URI is not established, carry none and are shown to the user, never redirected.

Choices where PingOne's reference is silent:
- `scope` is required; every scope must be granted to the application (its resource grants).
- `prompt` accepts `none`, `login`, `consent` and `select_account` (the last two have no effect:
  there is no consent screen and one account per browser); `none` cannot be combined.
- `request` (a request object, RFC 9101 / OIDC Core 6.1): verified by oauth.client_jwts; its
  parameters win over the query's, its client_id (if any) must be the query's. Unsigned ones only
  with the application's supportUnsignedRequestObject; with requireSignedRequestObject every
  request must carry a signed one. Its errors are `invalid_request_object`, redirected when the
  query's own redirect_uri is a registered one, else shown. `pi.template` (the notification
  template, variant and variables of a transaction approval) is only taken from a signed one.
- `request_uri` and `registration` are refused (no pushed or referenced request objects yet).
- `login_hint_token` (oauth.login_hint_token) identifies the user; every refusal of it is the same
  invalid_request, so the endpoint does not tell which users exist. It wins over `login_hint`.
- Parameters may not repeat, and an empty one counts as absent (RFC 6749 section 3.1).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.crypto.sealing import Sealer
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.oauth.client_jwts import ClientJwtError, verify_client_jwt
from gatehouse.oauth.clients import find_application
from gatehouse.oauth.errors import OAuthError
from gatehouse.oauth.login_hint_token import InvalidLoginHintToken, hinted_user
from gatehouse.oauth.requests import AuthorizeRequest
from gatehouse.oauth.scopes import decide, granted_scopes

QUERY = "query"
FRAGMENT = "fragment"
FORM_POST = "form_post"
PI_FLOW = "pi.flow"
RESPONSE_MODES = (QUERY, FRAGMENT, FORM_POST, PI_FLOW)

# Each response type PingOne's discovery lists, as a sorted tuple of its parts.
RESPONSE_TYPES = frozenset(
    {
        ("code",),
        ("token",),
        ("id_token",),
        ("id_token", "token"),
        ("code", "id_token"),
        ("code", "token"),
        ("code", "id_token", "token"),
    }
)
# The application grant and response type each part needs.
PART_GRANTS = {"code": "AUTHORIZATION_CODE", "token": "IMPLICIT", "id_token": "IMPLICIT"}
PART_RESPONSE_TYPES = {"code": "CODE", "token": "TOKEN", "id_token": "ID_TOKEN"}

PROMPTS = frozenset({"none", "login", "consent", "select_account"})
CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
MAX_PARAMETER_LENGTH = 4096
MAX_NONCE_LENGTH = 512
MAX_REQUEST_OBJECT_LENGTH = 32768
UNSUPPORTED_PARAMETERS = {
    "request_uri": "request_uri_not_supported",
    "registration": "registration_not_supported",
}
# The claims of a request object that are about the JWT, not authorization parameters.
JWT_CLAIMS = frozenset({"iss", "aud", "exp", "iat", "nbf", "jti", "sub"})
# The parameters this endpoint reads: in a request object each must be a string (or a number).
PARAMETERS = frozenset(
    {
        *("client_id", "response_type", "response_mode", "redirect_uri", "scope", "state"),
        *("nonce", "code_challenge", "code_challenge_method", "prompt", "max_age"),
        *("login_hint", "login_hint_token", "acr_values", "ui_locales"),
    }
)
TEMPLATE_CLAIM = "pi.template"
TEMPLATE_NAMES = ("transaction", "strong_authentication")
MAX_VARIANT_LENGTH = 100
MAX_TEMPLATE_VARIABLES = 50
MAX_VARIABLE_LENGTH = 512


@dataclass(frozen=True)
class ResponseTarget:
    """Where and how a response goes back to the client; `redirect_uri` is None only with
    pi.flow when the request named none."""

    redirect_uri: str | None
    response_mode: str
    state: str | None


@dataclass
class AuthorizationError(Exception):
    """An authorization error: returned to the client through `target`, or shown (no target).
    `parameter` names the request parameter a shown error is about."""

    error: str
    description: str
    target: ResponseTarget | None = None
    parameter: str | None = None


@dataclass(frozen=True)
class Verifier:
    """What checks the JWTs an application signs: its secrets' sealer, the issuer they name,
    the policy its jwksUrl is fetched under."""

    sealer: Sealer
    issuer: str
    policy: OutboundPolicy


@dataclass(frozen=True)
class ValidatedRequest:
    application: Application
    request: AuthorizeRequest
    target: ResponseTarget


def single_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The parameters of a request; a repeated one is refused, an empty one dropped, and a NUL
    character (which no parameter has reason to hold, and PostgreSQL cannot store) refused."""
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise AuthorizationError(
                "invalid_request", f"The parameter {name!r} is repeated.", parameter=name
            )
        if "\x00" in name or "\x00" in value:
            raise AuthorizationError(
                "invalid_request", "Parameters cannot contain the NUL character.", parameter=name
            )
        if value:
            values[name] = value
    return values


async def validate(
    session: AsyncSession, environment_id: uuid.UUID, params: Mapping[str, str], verifier: Verifier
) -> ValidatedRequest:
    application = await _client(session, environment_id, params.get("client_id"))
    params, template = await _request_object(session, verifier, application, params)
    redirect_uri = _redirect_uri(
        application, params.get("redirect_uri"), params.get("response_mode") == PI_FLOW
    )
    response_type = _parse_response_type(params.get("response_type"))
    target = ResponseTarget(
        redirect_uri,
        _response_mode(params.get("response_mode"), response_type),
        params.get("state"),
    )
    try:
        request = await _request(session, verifier, application, params, response_type, target)
    except AuthorizationError as exc:
        exc.target = target
        raise
    except OAuthError as exc:  # from the scope decision
        raise AuthorizationError(exc.error, exc.description, target) from None
    if template is not None:
        request = dataclasses.replace(request, template=template)
    return ValidatedRequest(application, request, target)


# --- the request object: its errors go back only to a redirect URI the query established ------


async def _request_object(
    session: AsyncSession, verifier: Verifier, application: Application, params: Mapping[str, str]
) -> tuple[Mapping[str, str], dict[str, Any] | None]:
    """The parameters with the request object's in place of the query's, and its pi.template."""
    config = application.config
    token = params.get("request")
    if token is None:
        if config.get("requireSignedRequestObject"):
            raise _object_error(
                application, params, "This application requires a signed request object."
            )
        return params, None
    if len(token) > MAX_REQUEST_OBJECT_LENGTH:
        raise _object_error(application, params, "The request object is too long.")
    allow_unsigned = bool(config.get("supportUnsignedRequestObject")) and not config.get(
        "requireSignedRequestObject"
    )
    try:
        verified = await verify_client_jwt(
            session,
            verifier.sealer,
            verifier.policy,
            application,
            token,
            verifier.issuer,
            allow_unsigned=allow_unsigned,
        )
        inner = _object_parameters(verified.claims)
        template = _template(verified.claims.get(TEMPLATE_CLAIM), signed=verified.signed)
    except ClientJwtError as error:
        raise _object_error(
            application, params, f"The request object is not valid. {error.message}"
        ) from None
    if inner.get("client_id", params.get("client_id")) != params.get("client_id"):
        raise _object_error(
            application, params, "The request object's client_id is not the request's."
        )
    outer = {name: value for name, value in params.items() if name != "request"}
    return {**outer, **inner}, template


def _object_parameters(claims: dict[str, Any]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in claims.items():
        if name in JWT_CLAIMS or name == TEMPLATE_CLAIM:
            continue
        if name in ("request", "request_uri"):
            raise ClientJwtError(f"A request object cannot contain {name}.")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            if name in PARAMETERS:
                raise ClientJwtError(f"{name} must be a string.")
            continue  # a structured claim this endpoint does not read (claims, ...)
        if "\x00" in value:
            raise ClientJwtError("Parameters cannot contain the NUL character.")
        if value:
            parameters[name] = value
    return parameters


def _template(value: object, *, signed: bool) -> dict[str, Any] | None:
    """pi.template {name, variant, variables}: which notification the one-time passcode uses."""
    if value is None:
        return None
    if not signed:
        raise ClientJwtError(f"{TEMPLATE_CLAIM} is only taken from a signed request object.")
    if not isinstance(value, dict) or value.get("name") not in TEMPLATE_NAMES:
        raise ClientJwtError(
            f"{TEMPLATE_CLAIM} must be an object whose name is one of {', '.join(TEMPLATE_NAMES)}."
        )
    variant = value.get("variant")
    if variant is not None and (
        not isinstance(variant, str) or not 0 < len(variant) <= MAX_VARIANT_LENGTH
    ):
        raise ClientJwtError(f"{TEMPLATE_CLAIM}.variant must be a name of at most 100 characters.")
    return {"name": value["name"], "variant": variant, "variables": _variables(value)}


def _variables(template: dict[str, Any]) -> dict[str, str]:
    given = template.get("variables") or {}
    if not isinstance(given, dict) or len(given) > MAX_TEMPLATE_VARIABLES:
        raise ClientJwtError(f"{TEMPLATE_CLAIM}.variables must be an object of at most 50 values.")
    variables: dict[str, str] = {}
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ClientJwtError(f"{TEMPLATE_CLAIM}.variables.{name} must be a string.")
        text = str(value)
        if len(name) > MAX_VARIABLE_LENGTH or len(text) > MAX_VARIABLE_LENGTH or "\x00" in text:
            raise ClientJwtError(f"{TEMPLATE_CLAIM}.variables.{name} is too long or invalid.")
        variables[name] = text
    return variables


def _object_error(
    application: Application, params: Mapping[str, str], description: str
) -> AuthorizationError:
    """invalid_request_object, to the query's redirect URI when it is a registered one."""
    try:
        redirect_uri = _redirect_uri(
            application, params.get("redirect_uri"), params.get("response_mode") == PI_FLOW
        )
    except AuthorizationError:
        return AuthorizationError("invalid_request_object", description, parameter="request")
    response_type = _parse_response_type(params.get("response_type"))
    target = ResponseTarget(
        redirect_uri,
        _response_mode(params.get("response_mode"), response_type),
        params.get("state"),
    )
    return AuthorizationError("invalid_request_object", description, target)


# --- the client and its redirect URI: errors shown, never redirected -------------------------


async def _client(
    session: AsyncSession, environment_id: uuid.UUID, client_id: str | None
) -> Application:
    if not client_id:
        raise AuthorizationError("invalid_request", "client_id is required.", parameter="client_id")
    application = await find_application(session, environment_id, client_id)
    if application is None or application.protocol != "OPENID_CONNECT" or not application.enabled:
        raise AuthorizationError(
            "invalid_client", "Unknown or disabled client.", parameter="client_id"
        )
    return application


def _redirect_uri(application: Application, given: str | None, pi_flow: bool) -> str | None:
    registered: list[str] = application.config.get("redirectUris") or []
    if given is None:
        if pi_flow:
            return None
        if len(registered) == 1 and "*" not in registered[0]:
            return registered[0]
        raise AuthorizationError(
            "invalid_request", "redirect_uri is required.", parameter="redirect_uri"
        )
    wildcards = bool(application.config.get("allowWildcardInRedirectUris"))
    if not any(_matches(uri, given, wildcards) for uri in registered):
        raise AuthorizationError(
            "invalid_request", "Redirect URI mismatch.", parameter="redirect_uri"
        )
    return given


def _matches(registered: str, given: str, wildcards: bool) -> bool:
    """Exact match; with wildcards allowed, `*` in a registered URI stands for any characters
    within one part of the URI (never a `/`, `?`, `#` or `@`)."""
    if registered == given:
        return True
    if not wildcards or "*" not in registered:
        return False
    pattern = "[^/?#@]*".join(re.escape(part) for part in registered.split("*"))
    return re.fullmatch(pattern, given) is not None


# --- response type and mode: decided before anything can be redirected ---------------------


def _parse_response_type(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    parts = tuple(sorted(value.split()))
    return parts if parts in RESPONSE_TYPES else None


def _default_mode(response_type: tuple[str, ...] | None) -> str:
    """RFC 6749 / Multiple Response Types: query for code alone, fragment when tokens come back."""
    return QUERY if response_type in (None, ("code",)) else FRAGMENT


def _response_mode(value: str | None, response_type: tuple[str, ...] | None) -> str:
    """The mode errors go back in: the one asked for when it can be used, else the default."""
    if value in (FRAGMENT, FORM_POST, PI_FLOW):
        return value
    return _default_mode(response_type)


# --- the rest of the request: errors redirected to the client (`validate` adds the target) --


async def _request(
    session: AsyncSession,
    verifier: Verifier,
    application: Application,
    params: Mapping[str, str],
    response_type: tuple[str, ...] | None,
    target: ResponseTarget,
) -> AuthorizeRequest:
    for name, value in params.items():
        if len(value) > MAX_PARAMETER_LENGTH:
            raise AuthorizationError("invalid_request", f"The parameter {name!r} is too long.")
    for name, error in UNSUPPORTED_PARAMETERS.items():
        if name in params:
            raise AuthorizationError(error, f"The {name} parameter is not supported.")
    if "response_type" not in params:
        raise AuthorizationError("invalid_request", "response_type is required.")
    if response_type is None:
        raise AuthorizationError(
            "unsupported_response_type", f"Unsupported response_type: {params['response_type']!r}."
        )
    mode = params.get("response_mode", _default_mode(response_type))
    if mode not in RESPONSE_MODES:
        raise AuthorizationError("invalid_request", f"Unsupported response_mode: {mode!r}.")
    if mode == QUERY and response_type != ("code",):
        raise AuthorizationError("invalid_request", "response_mode=query cannot carry tokens.")
    _check_allowed(application, response_type)
    scope = await _scope(session, application, params.get("scope"))
    returns_id_token = "id_token" in response_type
    if returns_id_token and "openid" not in scope:
        raise AuthorizationError(
            "invalid_request", "response_type id_token needs the openid scope."
        )
    nonce = params.get("nonce")
    if returns_id_token and not nonce:
        raise AuthorizationError(
            "invalid_request", "nonce is required when an ID token is returned."
        )
    if nonce is not None and len(nonce) > MAX_NONCE_LENGTH:
        raise AuthorizationError("invalid_request", "nonce is too long.")
    challenge, method = _pkce(application, params, response_type)
    hinted = await _hinted_user_id(session, verifier, application, params.get("login_hint_token"))
    return AuthorizeRequest(
        client_id=str(application.id),
        response_type=response_type,
        response_mode=mode,
        redirect_uri=target.redirect_uri,
        scope=scope,
        state=target.state,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method=method,
        prompt=_prompt(params.get("prompt")),
        max_age=_max_age(params.get("max_age")),
        login_hint=params.get("login_hint"),
        acr_values=tuple(params.get("acr_values", "").split()),
        ui_locales=tuple(params.get("ui_locales", "").split()),
        hinted_user_id=hinted,
    )


async def _hinted_user_id(
    session: AsyncSession, verifier: Verifier, application: Application, token: str | None
) -> str | None:
    if token is None:
        return None
    try:
        user = await hinted_user(
            session, verifier.sealer, verifier.policy, application, verifier.issuer, token
        )
    except InvalidLoginHintToken as error:
        raise AuthorizationError("invalid_request", str(error)) from None
    return str(user.id)


def _check_allowed(application: Application, response_type: tuple[str, ...]) -> None:
    grants = set(application.config.get("grantTypes") or [])
    allowed_types = set(application.config.get("responseTypes") or [])
    for part in response_type:
        if PART_GRANTS[part] not in grants:
            raise AuthorizationError(
                "unauthorized_client",
                f"This application may not use the {PART_GRANTS[part].lower()} grant.",
            )
        if PART_RESPONSE_TYPES[part] not in allowed_types:
            raise AuthorizationError(
                "unsupported_response_type",
                f"This application may not use the response type {part!r}.",
            )


async def _scope(
    session: AsyncSession, application: Application, value: str | None
) -> tuple[str, ...]:
    requested = (value or "").split()
    if not requested:
        raise AuthorizationError("invalid_request", "scope is required.")
    multiple = bool(application.config.get("requestScopesForMultipleResourcesEnabled"))
    decision = decide(
        requested, await granted_scopes(session, application), multiple_resources=multiple
    )
    return tuple(decision.scopes)


def _requires_pkce(application: Application) -> bool:
    """The application's pkceEnforcement, and always for public clients: a code for a client
    without a secret is only safe when bound to a verifier (RFC 9700 section 2.1.1)."""
    config = application.config
    return (
        config.get("pkceEnforcement", "OPTIONAL") != "OPTIONAL"
        or config.get("tokenEndpointAuthMethod") == "NONE"
    )


def _pkce(
    application: Application,
    params: Mapping[str, str],
    response_type: tuple[str, ...],
) -> tuple[str | None, str | None]:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise AuthorizationError(
                "invalid_request", "code_challenge_method needs a code_challenge."
            )
        if "code" in response_type and _requires_pkce(application):
            raise AuthorizationError(
                "invalid_request", "This application requires PKCE: code_challenge is required."
            )
        return None, None
    method = method or "plain"
    if method not in ("plain", "S256"):
        raise AuthorizationError(
            "invalid_request", f"Unsupported code_challenge_method: {method!r}."
        )
    if not CODE_CHALLENGE.match(challenge):
        raise AuthorizationError(
            "invalid_request", "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]."
        )
    if method != "S256" and application.config.get("pkceEnforcement") == "S256_REQUIRED":
        raise AuthorizationError(
            "invalid_request", "This application requires code_challenge_method=S256."
        )
    return challenge, method


def _prompt(value: str | None) -> tuple[str, ...]:
    prompts = tuple(dict.fromkeys((value or "").split()))
    unknown = [prompt for prompt in prompts if prompt not in PROMPTS]
    if unknown:
        raise AuthorizationError("invalid_request", f"Unsupported prompt value: {unknown[0]!r}.")
    if "none" in prompts and len(prompts) > 1:
        raise AuthorizationError(
            "invalid_request", "prompt=none cannot be combined with other values."
        )
    return prompts


def _max_age(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise AuthorizationError("invalid_request", "max_age must be a non-negative integer.")
    return int(value)
