"""Request and response models of applications, their secret, resource grants and attribute
mappings, named after PingOne's (`ApplicationOIDC`, `ApplicationSecret`,
`ApplicationResourceGrant`, `ApplicationAttributeMapping`).

These models check each field on its own (types, enums, ranges, URL syntax); the rules that relate
fields to each other or to stored data are in `applications.service`."""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gatehouse.common.schemas import (
    Description,
    HalView,
    Name,
    Ref,
    RequestModel,
    Timestamp,
    ViewModel,
)

OIDC = "OPENID_CONNECT"
Protocol = Literal["OPENID_CONNECT", "SAML", "WS_FED", "EXTERNAL_LINK"]
OidcType = Literal["WEB_APP", "NATIVE_APP", "SINGLE_PAGE_APP", "WORKER", "SERVICE", "CUSTOM_APP"]
GrantType = Literal[
    "AUTHORIZATION_CODE",
    "IMPLICIT",
    "REFRESH_TOKEN",
    "CLIENT_CREDENTIALS",
    "DEVICE_CODE",
    "TOKEN_EXCHANGE",
    "CIBA",
]
ResponseType = Literal["CODE", "TOKEN", "ID_TOKEN"]
AuthMethod = Literal[
    "NONE", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "PRIVATE_KEY_JWT", "CLIENT_SECRET_JWT"
]
MappingType = Literal["CORE", "SCOPE", "CUSTOM"]

MAX_URIS = 100
MAX_JWKS_CHARS = 65_536
ORIGIN_HOST = re.compile(
    r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.IGNORECASE,
)


def invalid(message: str) -> PydanticCustomError:
    """A field error that renders as INVALID_VALUE with `message` (see common.bodies)."""
    return PydanticCustomError("invalid_value", message)


def split_url(value: str) -> SplitResult:
    """`urlsplit`, refusing whitespace and control characters (which it would silently drop) and
    a bad port (which it only parses lazily)."""
    if any(char.isspace() or not char.isprintable() for char in value):
        raise invalid(f"{value!r} is not a valid URL.")
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        raise invalid(f"{value!r} is not a valid URL.") from None
    return parts


def _web_url(value: str) -> str:
    parts = split_url(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"{value!r} must be an absolute http or https URL.")
    return value


def _https_url(value: str) -> str:
    if split_url(_web_url(value)).scheme != "https":
        raise invalid(f"{value!r} must be an https URL.")
    return value


def _origin(value: str) -> str:
    """An http(s) origin without path; the host a domain (`*.` allowed first) or an IPv4."""
    parts = split_url(value)
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
        or not (_is_ipv4(host) or ORIGIN_HOST.match(host))
    ):
        raise invalid(f"{value!r} must be an http or https origin without a path.")
    return value


def _is_ipv4(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address)
    except ValueError:
        return False


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


UrlText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
WebUrl = Annotated[UrlText, AfterValidator(_web_url)]
HttpsUrl = Annotated[UrlText, AfterValidator(_https_url)]
Origin = Annotated[UrlText, AfterValidator(_origin)]
Uris = Annotated[list[UrlText], Field(max_length=MAX_URIS), AfterValidator(_unique)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


# --- applications --------------------------------------------------------------------------


class ApplicationProtocol(RequestModel):
    """Read first, to tell an OIDC application from a protocol Gatehouse does not serve yet."""

    protocol: Protocol


class Icon(RequestModel):
    id: uuid.UUID
    href: WebUrl


class RoleAccess(RequestModel):
    type: Literal["ADMIN_USERS_ONLY"]


class GroupAccess(RequestModel):
    type: Literal["ANY_GROUP", "ALL_GROUPS"]
    groups: Annotated[list[Ref], Field(min_length=1, max_length=MAX_URIS)]


class AccessControl(RequestModel):
    role: RoleAccess | None = None
    group: GroupAccess | None = None


class CorsSettings(RequestModel):
    behavior: Literal["ALLOW_NO_ORIGINS", "ALLOW_SPECIFIC_ORIGINS"]
    origins: Annotated[list[Origin], Field(max_length=20), AfterValidator(_unique)] = []

    @model_validator(mode="after")
    def _origins_match_behavior(self) -> CorsSettings:
        if self.behavior == "ALLOW_SPECIFIC_ORIGINS" and not self.origins:
            raise invalid("ALLOW_SPECIFIC_ORIGINS needs at least one origin.")
        if self.behavior == "ALLOW_NO_ORIGINS" and self.origins:
            raise invalid("ALLOW_NO_ORIGINS takes no origins.")
        return self


class PasscodeRefreshDuration(RequestModel):
    duration: Annotated[int, Field(ge=30, le=60)]
    time_unit: Literal["SECONDS"] = Field(alias="timeUnit")


class CacheDuration(RequestModel):
    amount: Annotated[int, Field(ge=1, le=2880)] | None = None
    units: Literal["MINUTES", "HOURS"] | None = None


class GooglePlay(RequestModel):
    decryption_key: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        default=None, alias="decryptionKey"
    )
    service_account_credentials: Annotated[str, StringConstraints(max_length=16384)] | None = Field(
        default=None, alias="serviceAccountCredentials"
    )
    verification_key: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        default=None, alias="verificationKey"
    )
    verification_type: Literal["GOOGLE", "INTERNAL"] | None = Field(
        default=None, alias="verificationType"
    )


class IntegrityDetection(RequestModel):
    excluded_platforms: Annotated[list[Literal["IOS", "GOOGLE"]], Field(max_length=1)] | None = (
        Field(default=None, alias="excludedPlatforms")
    )
    mode: Literal["ENABLED", "DISABLED"] | None = None
    cache_duration: CacheDuration | None = Field(default=None, alias="cacheDuration")
    google_play: GooglePlay | None = Field(default=None, alias="googlePlay")


class NumberMatching(RequestModel):
    type: Literal["SELECT_NUMBER", "ENTER_MANUALLY"] | None = None


class Push(RequestModel):
    number_matching: NumberMatching | None = Field(default=None, alias="numberMatching")


class Mobile(RequestModel):
    bundle_id: ShortText | None = Field(default=None, alias="bundleId")
    package_name: ShortText | None = Field(default=None, alias="packageName")
    huawei_app_id: ShortText | None = Field(default=None, alias="huaweiAppId")
    huawei_package_name: ShortText | None = Field(default=None, alias="huaweiPackageName")
    passcode_grace_period: Annotated[int, Field(ge=1, le=10)] | None = Field(
        default=None, alias="passcodeGracePeriod"
    )
    passcode_refresh_duration: PasscodeRefreshDuration | None = Field(
        default=None, alias="passcodeRefreshDuration"
    )
    integrity_detection: IntegrityDetection | None = Field(default=None, alias="integrityDetection")
    push: Push | None = None
    uri_prefix: UrlText | None = Field(default=None, alias="uriPrefix")


class ApplicationCreate(RequestModel):
    """An OIDC application (`ApplicationOIDC`): POST creates one, PUT replaces one."""

    name: Name
    description: Description | None = None
    enabled: bool
    protocol: Literal["OPENID_CONNECT"]
    type: OidcType
    icon: Icon | None = None
    login_page_url: WebUrl | None = Field(default=None, alias="loginPageUrl")
    hidden_from_app_portal: bool = Field(default=False, alias="hiddenFromAppPortal")
    access_control: AccessControl | None = Field(default=None, alias="accessControl")
    grant_types: Annotated[list[GrantType], Field(min_length=1), AfterValidator(_unique)] = Field(
        alias="grantTypes"
    )
    response_types: Annotated[list[ResponseType], AfterValidator(_unique)] = Field(
        default=[], alias="responseTypes"
    )
    token_endpoint_auth_method: AuthMethod = Field(alias="tokenEndpointAuthMethod")
    redirect_uris: Uris = Field(default=[], alias="redirectUris")
    allow_wildcard_in_redirect_uris: bool = Field(
        default=False, alias="allowWildcardInRedirectUris"
    )
    post_logout_redirect_uris: Uris = Field(default=[], alias="postLogoutRedirectUris")
    pkce_enforcement: Literal["OPTIONAL", "REQUIRED", "S256_REQUIRED"] = Field(
        default="OPTIONAL", alias="pkceEnforcement"
    )
    par_requirement: Literal["OPTIONAL", "REQUIRED"] = Field(
        default="OPTIONAL", alias="parRequirement"
    )
    par_timeout: Annotated[int, Field(ge=1, le=600)] = Field(default=60, alias="parTimeout")
    refresh_token_duration: Annotated[int, Field(ge=60, le=2147483647)] = Field(
        default=2592000, alias="refreshTokenDuration"
    )
    refresh_token_rolling_duration: Annotated[int, Field(ge=60, le=2147483647)] | None = Field(
        default=None, alias="refreshTokenRollingDuration"
    )
    refresh_token_rolling_grace_period_duration: Annotated[int, Field(ge=0, le=86400)] | None = (
        Field(default=None, alias="refreshTokenRollingGracePeriodDuration")
    )
    refresh_token_type: Literal["JSON_WEB_TOKEN", "OPAQUE_TOKEN"] | None = Field(
        default=None, alias="refreshTokenType"
    )
    # PingOne: default true, and an explicit null means false.
    additional_refresh_token_replay_protection_enabled: bool | None = Field(
        default=True, alias="additionalRefreshTokenReplayProtectionEnabled"
    )
    require_signed_request_object: bool | None = Field(
        default=None, alias="requireSignedRequestObject"
    )
    support_unsigned_request_object: bool | None = Field(
        default=None, alias="supportUnsignedRequestObject"
    )
    jwks: Annotated[str, StringConstraints(min_length=1, max_length=MAX_JWKS_CHARS)] | None = None
    jwks_url: HttpsUrl | None = Field(default=None, alias="jwksUrl")
    include_x5t: bool | None = Field(default=None, alias="includeX5t")
    idp_signoff: bool | None = Field(default=None, alias="idpSignoff")
    op_session_check_enabled: bool = Field(default=False, alias="opSessionCheckEnabled")
    home_page_url: WebUrl | None = Field(default=None, alias="homePageUrl")
    initiate_login_uri: HttpsUrl | None = Field(default=None, alias="initiateLoginUri")
    target_link_uri: WebUrl | None = Field(default=None, alias="targetLinkUri")
    cors_settings: CorsSettings | None = Field(default=None, alias="corsSettings")
    request_scopes_for_multiple_resources_enabled: bool = Field(
        default=False, alias="requestScopesForMultipleResourcesEnabled"
    )
    device_path_id: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]{1,50}$")] | None = (
        Field(default=None, alias="devicePathId")
    )
    device_custom_verification_uri: WebUrl | None = Field(
        default=None, alias="deviceCustomVerificationUri"
    )
    device_timeout: Annotated[int, Field(ge=1, le=3600)] = Field(default=600, alias="deviceTimeout")
    device_polling_interval: Annotated[int, Field(ge=1, le=60)] = Field(
        default=5, alias="devicePollingInterval"
    )
    mobile: Mobile | None = None
    # Only read on POST (PingOne ignores it on PUT).
    assign_actor_roles: bool | None = Field(default=None, alias="assignActorRoles")
    tags: (
        Annotated[list[Literal["PING_FED_CONNECTION_INTEGRATION"]], AfterValidator(_unique)] | None
    ) = None

    def settings(self) -> dict[str, Any]:
        """Everything but the columns of `Application`: what its `config` JSON holds."""
        config = self.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            exclude={"name", "description", "enabled", "protocol", "type", "assign_actor_roles"},
        )
        config["additionalRefreshTokenReplayProtectionEnabled"] = bool(
            self.additional_refresh_token_replay_protection_enabled
        )
        return config


class ApplicationView(HalView):
    """An application: these properties, then its protocol settings (`ApplicationCreate`)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="allow")

    id: uuid.UUID
    environment: dict[str, str]
    name: str
    description: str | None = None
    enabled: bool
    protocol: str
    type: str
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- secret --------------------------------------------------------------------------------


class PreviousSecretRequest(RequestModel):
    expires_at: AwareDatetime = Field(alias="expiresAt")


class SecretRotation(RequestModel):
    """POST /secret: with `previous.expiresAt`, the old secret keeps working until then."""

    previous: PreviousSecretRequest | None = None


class PreviousSecretView(ViewModel):
    secret: str
    expires_at: Timestamp = Field(alias="expiresAt")
    last_used: Timestamp | None = Field(default=None, alias="lastUsed")


class SecretView(HalView):
    environment: dict[str, str]
    secret: str
    previous: PreviousSecretView | None = None


# --- resource grants -----------------------------------------------------------------------


class GrantRequest(RequestModel):
    resource: Ref
    scopes: Annotated[list[Ref], Field(min_length=1, max_length=1000)]


class GrantView(HalView):
    id: uuid.UUID
    application: dict[str, str]
    resource: dict[str, str]
    scopes: list[dict[str, str]]
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- attribute mappings --------------------------------------------------------------------


class AttributeMappingRequest(RequestModel):
    name: ShortText
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1024)]
    required: bool
    mapping_type: MappingType | None = Field(default=None, alias="mappingType")
    name_format: ShortText | None = Field(default=None, alias="nameFormat")
    id_token: bool = Field(default=True, alias="idToken")
    user_info: bool = Field(default=True, alias="userInfo")
    oidc_scopes: (
        Annotated[list[uuid.UUID], Field(min_length=1, max_length=100), AfterValidator(_unique)]
        | None
    ) = Field(default=None, alias="oidcScopes")


class AttributeMappingView(HalView):
    id: uuid.UUID
    application: dict[str, str]
    name: str
    value: str
    required: bool
    mapping_type: str = Field(alias="mappingType")
    name_format: str | None = Field(default=None, alias="nameFormat")
    id_token: bool = Field(alias="idToken")
    user_info: bool = Field(alias="userInfo")
    oidc_scopes: list[str] | None = Field(default=None, alias="oidcScopes")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
