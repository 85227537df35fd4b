"""The authorization request (RFC 6749 section 4.1.1, OIDC Core 3.1.2.1) once validated: what a
sign-on flow carries from /as/authorize to the authorization response."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    response_type: tuple[str, ...]  # e.g. ("code",), ("id_token", "token"), sorted
    response_mode: str  # query | fragment | form_post | pi.flow
    redirect_uri: str | None  # None only with pi.flow and no redirect_uri given
    scope: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None  # plain | S256
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    login_hint: str | None = None
    acr_values: tuple[str, ...] = ()
    ui_locales: tuple[str, ...] = ()
    # the user a login_hint_token named: the flow starts with them identified
    hinted_user_id: str | None = None
    # a signed request object's pi.template: {"name", "variant", "variables"} of the passcode's
    # notification (transaction approval)
    template: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_openid(self) -> bool:
        return "openid" in self.scope

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthorizeRequest:
        tuples = ("response_type", "scope", "prompt", "acr_values", "ui_locales")
        return cls(**{key: tuple(value) if key in tuples else value for key, value in data.items()})


@dataclass(frozen=True)
class Authentication:
    """What a completed sign-on established about the user, for codes and tokens."""

    user_id: str
    session_id: str | None
    auth_time: int  # epoch seconds
    acr: str | None  # the completed sign-on policy's name
    amr: tuple[str, ...] = ()  # RFC 8176 method references, e.g. ("pwd",), ("pwd", "otp")
