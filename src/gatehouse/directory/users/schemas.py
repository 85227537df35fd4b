"""Request and response models of users, named after PingOne's User (SDK schema `User`).

Write bodies allow extra members: a name that is not a core attribute is a custom attribute of the
environment's user schema (validated by `users.custom`), except PingOne's read-only members
(`READ_ONLY`), which are ignored like everywhere else.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from gatehouse.common.schemas import HalView, Ref, RequestModel, Timestamp, ViewModel
from gatehouse.directory.passwords.schemas import PasswordValue

JSON = "application/json"
IMPORT = "application/vnd.pingidentity.user.import+json"
LOCK = "application/vnd.pingidentity.account.lock+json"
UNLOCK = "application/vnd.pingidentity.account.unlock+json"

# SDK patterns: printable Unicode (letters, marks, spaces, symbols, numbers, punctuation), and the
# narrower one of family and formatted names.
PRINTABLE = r"^[\p{L}\p{M}\p{Zs}\p{S}\p{N}\p{P}]*$"
NAME_PART = r"^[\p{L}\p{M}\p{N}' .-]*$"
STREET = r"^[\p{L}\p{M}\p{N}\p{Zs}\p{P}\n\r]*$"
# PingOne's pattern is ^\w+/\w+$; IANA names can have more parts (America/Argentina/Salta) and
# signs (Etc/GMT+5), so those are accepted too.
TIMEZONE = r"^\w+(?:/[\w+-]+)+$"


def _text(max_length: int, pattern: str | None = PRINTABLE) -> Any:
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length, pattern=pattern)]


def _valid_email(value: str) -> str:
    """RFC 5322 syntax and a plausible domain; no DNS (`.test` domains are accepted)."""
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return value


Username = _text(128)
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_valid_email)]
Text256 = _text(256)
NamePart = _text(256, NAME_PART)
Street = _text(256, STREET)
PostalCode = _text(40)
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Language = _text(64)
Timezone = Annotated[str, StringConstraints(max_length=64, pattern=TIMEZONE)]
Identifier = _text(1024, None)
Phone = _text(32, None)
Href = _text(2048, None)

LifecycleStatus = Literal["ACCOUNT_OK", "VERIFICATION_REQUIRED"]
IdentityProviderType = Literal[
    "PING_ONE",
    "FACEBOOK",
    "GOOGLE",
    "LINKEDIN",
    "LINKEDIN_OIDC",
    "APPLE",
    "TWITTER",
    "AMAZON",
    "YAHOO",
    "MICROSOFT",
    "PAYPAL",
    "GITHUB",
    "OPENID_CONNECT",
    "SAML",
]
Include = Literal["memberOfGroupIDs", "memberOfGroupNames"]

# Members PingOne returns that a client may send back: ignored, never custom attributes.
READ_ONLY = frozenset(
    {
        "_links",
        "_embedded",
        "id",
        "environment",
        "account",
        "enabled",
        "createdAt",
        "updatedAt",
        "lastSignOn",
        "memberOfGroupIDs",
        "memberOfGroupNames",
        "verifyStatus",
        "emailVerified",
        "lifecycle",
        "mfaEnabled",
        "identityProvider",
        "password",
    }
)


class UserName(RequestModel):
    given: Text256 | None = None
    family: NamePart | None = None
    middle: Text256 | None = None
    formatted: NamePart | None = None
    honorific_prefix: Text256 | None = Field(default=None, alias="honorificPrefix")
    honorific_suffix: Text256 | None = Field(default=None, alias="honorificSuffix")


class UserAddress(RequestModel):
    street_address: Street | None = Field(default=None, alias="streetAddress")
    locality: Text256 | None = None
    region: Text256 | None = None
    postal_code: PostalCode | None = Field(default=None, alias="postalCode")
    country_code: CountryCode | None = Field(default=None, alias="countryCode")


class UserPhoto(RequestModel):
    href: Href


class UserAttributes(RequestModel):
    """The attributes every write may carry (all optional here; each operation adds its rules)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    username: Username | None = None
    email: Email | None = None
    name: UserName | None = None
    nickname: Text256 | None = None
    title: Text256 | None = None
    type: Text256 | None = None
    preferred_language: Language | None = Field(default=None, alias="preferredLanguage")
    locale: Text256 | None = None
    timezone: Timezone | None = None
    external_id: Identifier | None = Field(default=None, alias="externalId")
    account_id: Identifier | None = Field(default=None, alias="accountId")
    primary_phone: Phone | None = Field(default=None, alias="primaryPhone")
    mobile_phone: Phone | None = Field(default=None, alias="mobilePhone")
    address: UserAddress | None = None
    photo: UserPhoto | None = None
    population: Ref | None = None

    def custom_values(self) -> dict[str, Any]:
        """The members that are neither core attributes nor read-only: custom attributes."""
        return {
            name: value for name, value in (self.model_extra or {}).items() if name not in READ_ONLY
        }


class UserReplace(UserAttributes):
    """PUT: the whole user; attributes left out are cleared."""

    username: Username


class UserPatch(UserAttributes):
    """PATCH: only the members present change; null clears one."""


class IdentityProviderRef(RequestModel):
    type: IdentityProviderType = "PING_ONE"
    id: uuid.UUID | None = None


class UserCreate(UserReplace):
    """POST application/json."""

    password: PasswordValue | None = None
    mfa_enabled: StrictBool = Field(default=False, alias="mfaEnabled")
    identity_provider: IdentityProviderRef | None = Field(default=None, alias="identityProvider")


class Lifecycle(RequestModel):
    status: LifecycleStatus = "ACCOUNT_OK"
    suppress_verification_code: StrictBool = Field(default=False, alias="suppressVerificationCode")


class UserImport(UserCreate):
    """POST application/vnd.pingidentity.user.import+json: also the lifecycle status and whether
    the email is verified, as the source system knew them."""

    lifecycle: Lifecycle | None = None
    email_verified: StrictBool = Field(default=False, alias="emailVerified")


class AccountLock(RequestModel):
    """The optional body of an account lock: when it ends by itself (else only an unlock ends it)."""

    unlock_at: AwareDatetime | None = Field(default=None, alias="unlockAt")


class UserEnabled(RequestModel):
    enabled: StrictBool


class UserMfaEnabled(RequestModel):
    mfa_enabled: StrictBool = Field(alias="mfaEnabled")


# --- views ---------------------------------------------------------------------------------


class AccountView(ViewModel):
    can_authenticate: bool = Field(alias="canAuthenticate")
    status: Literal["OK", "LOCKED"]
    locked_at: Timestamp | None = Field(default=None, alias="lockedAt")
    unlock_at: Timestamp | None = Field(default=None, alias="unlockAt")
    seconds_until_unlock: int | None = Field(default=None, alias="secondsUntilUnlock")


class LastSignOnView(ViewModel):
    at: Timestamp
    remote_ip: str | None = Field(default=None, alias="remoteIp")


class IdentityProviderView(ViewModel):
    type: str
    id: uuid.UUID | None = None


class UserView(HalView):
    """A user as PingOne renders it; custom attributes appear as extra members by name."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="allow")

    id: uuid.UUID
    environment: Ref
    population: Ref
    username: str
    email: str | None = None
    email_verified: bool = Field(alias="emailVerified")
    name: dict[str, str] | None = None
    nickname: str | None = None
    title: str | None = None
    type: str | None = None
    preferred_language: str | None = Field(default=None, alias="preferredLanguage")
    locale: str | None = None
    timezone: str | None = None
    external_id: str | None = Field(default=None, alias="externalId")
    account_id: str | None = Field(default=None, alias="accountId")
    primary_phone: str | None = Field(default=None, alias="primaryPhone")
    mobile_phone: str | None = Field(default=None, alias="mobilePhone")
    address: dict[str, str] | None = None
    photo: dict[str, str] | None = None
    enabled: bool
    mfa_enabled: bool = Field(alias="mfaEnabled")
    lifecycle: dict[str, str]
    account: AccountView
    identity_provider: IdentityProviderView = Field(alias="identityProvider")
    verify_status: str = Field(alias="verifyStatus")
    last_sign_on: LastSignOnView | None = Field(default=None, alias="lastSignOn")
    member_of_group_ids: list[uuid.UUID] | None = Field(default=None, alias="memberOfGroupIDs")
    member_of_group_names: list[str] | None = Field(default=None, alias="memberOfGroupNames")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class UserEnabledView(HalView):
    enabled: bool


class UserMfaEnabledView(HalView):
    mfa_enabled: bool = Field(alias="mfaEnabled")


class UserPopulationView(HalView):
    id: uuid.UUID


class UserIdentityProviderView(HalView):
    type: str
    id: uuid.UUID | None = None
