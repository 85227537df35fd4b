"""Request and response models of identity providers and their attribute mappings, named after
PingOne's: one request model per provider type (IdentityProviderFacebook,
IdentityProviderClientIDClientSecret, IdentityProviderMicrosoft, IdentityProviderPaypal,
IdentityProviderApple, IdentityProviderOIDC, IdentityProviderSAML), chosen by `type`.

Secrets (appSecret, clientSecret, clientSecretSigningKey) are optional here: creating a provider
requires its secret, a PUT that leaves it out keeps the stored one (service.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar, Literal, get_args

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from gatehouse.common.bodies import validate
from gatehouse.common.schemas import (
    Description,
    HalView,
    Name,
    Ref,
    RequestModel,
    Timestamp,
)
from gatehouse.federation.outbound import url_problem

ProviderType = Literal[
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
ClientSecretType = Literal[
    "GOOGLE", "LINKEDIN", "LINKEDIN_OIDC", "YAHOO", "AMAZON", "TWITTER", "GITHUB"
]


def _http_url(value: str) -> str:
    problem = url_problem(value, allow_http=True)
    if problem:
        raise PydanticCustomError("url", problem)
    return value


def _apple_signing_key(value: str) -> str:
    """The PEM of the P-256 private key Apple issues (a .p8 file) that signs client secrets."""
    try:
        key = serialization.load_pem_private_key(value.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PydanticCustomError(
            "private_key",
            "clientSecretSigningKey must be the PEM of the EC (P-256) private key Apple issued.",
        )
    return value.strip() + "\n"


def _apple_id(value: str) -> str:
    if len(value) != 10 or not value.isascii() or not value.isalnum():
        raise PydanticCustomError("apple_id", "Apple key and team ids are 10 letters or digits.")
    return value


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(_http_url),
]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1024)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
AppleId = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_apple_id)]
AppleKey = Annotated[Secret, AfterValidator(_apple_signing_key)]
ScopeToken = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[\x21\x23-\x5B\x5D-\x7E]+$")
]
SamlSigningAlgorithm = Annotated[
    Literal[
        "SHA256withRSA",
        "SHA384withRSA",
        "SHA512withRSA",
        "SHA256withECDSA",
        "SHA384withECDSA",
        "SHA512withECDSA",
    ],
    # the SDK's enum spells the last one SHA512eithEDCSA
    BeforeValidator(lambda value: "SHA512withECDSA" if value == "SHA512eithEDCSA" else value),
]
SamlBinding = Literal["HTTP_POST", "HTTP_REDIRECT"]


class Icon(RequestModel):
    id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)] | None = None
    href: Url


class Registration(RequestModel):
    population: Ref


class ProviderKind(RequestModel):
    """The `type` that selects the model a provider body is read with."""

    type: ProviderType


class ProviderBase(RequestModel):
    """IdentityProviderCommon."""

    # the field holding the type's secret, and the fields that are URLs Gatehouse calls
    SECRET: ClassVar[str | None] = None
    OUTBOUND_URLS: ClassVar[tuple[str, ...]] = ()
    COMMON: ClassVar[frozenset[str]] = frozenset(
        {"type", "name", "description", "enabled", "icon", "login_button_icon", "registration"}
    )

    type: str
    name: Name
    description: Description | None = None
    enabled: StrictBool
    icon: Icon | None = None
    login_button_icon: Icon | None = Field(default=None, alias="loginButtonIcon")
    registration: Registration | None = None

    def secret(self) -> str | None:
        return getattr(self, self.SECRET) if self.SECRET else None

    def secret_required(self) -> bool:
        return self.SECRET is not None

    def secret_target(self) -> str:
        """The PingOne name of the secret (appSecret, clientSecret, clientSecretSigningKey)."""
        if self.SECRET is None:
            return ""
        return type(self).model_fields[self.SECRET].alias or self.SECRET

    def config(self) -> dict[str, Any]:
        """The type's own settings without the secret, as PingOne names them."""
        excluded = set(self.COMMON) | ({self.SECRET} if self.SECRET else set())
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=excluded)

    def outbound_urls(self) -> dict[str, str]:
        """The URLs Gatehouse itself will call, by their PingOne name."""
        fields = type(self).model_fields
        return {
            fields[name].alias or name: getattr(self, name)
            for name in self.OUTBOUND_URLS
            if getattr(self, name) is not None
        }


class FacebookProvider(ProviderBase):
    """IdentityProviderFacebook."""

    SECRET = "app_secret"

    type: Literal["FACEBOOK"]
    app_id: Identifier = Field(alias="appId")
    app_secret: Secret | None = Field(default=None, alias="appSecret")


class ClientSecretProvider(ProviderBase):
    """IdentityProviderClientIDClientSecret: Google, LinkedIn, Yahoo, Amazon, Twitter, GitHub."""

    SECRET = "client_secret"

    type: ClientSecretType
    client_id: Identifier = Field(alias="clientId")
    client_secret: Secret | None = Field(default=None, alias="clientSecret")


class MicrosoftProvider(ProviderBase):
    """IdentityProviderMicrosoft."""

    SECRET = "client_secret"

    type: Literal["MICROSOFT"]
    client_id: Identifier = Field(alias="clientId")
    client_secret: Secret | None = Field(default=None, alias="clientSecret")
    tenant_id: Identifier | None = Field(default=None, alias="tenantId")


class PaypalProvider(ProviderBase):
    """IdentityProviderPaypal."""

    SECRET = "client_secret"

    type: Literal["PAYPAL"]
    client_id: Identifier = Field(alias="clientId")
    client_secret: Secret | None = Field(default=None, alias="clientSecret")
    client_environment: Literal["sandbox", "live"] = Field(alias="clientEnvironment")


class AppleProvider(ProviderBase):
    """IdentityProviderApple."""

    SECRET = "client_secret_signing_key"

    type: Literal["APPLE"]
    client_id: Identifier = Field(alias="clientId")
    client_secret_signing_key: AppleKey | None = Field(default=None, alias="clientSecretSigningKey")
    key_id: AppleId = Field(alias="keyId")
    team_id: AppleId = Field(alias="teamId")


class OidcProvider(ProviderBase):
    """IdentityProviderOIDC. The URLs are https unless GATEHOUSE_OUTBOUND_ALLOW_HTTP is set."""

    SECRET = "client_secret"
    OUTBOUND_URLS = (
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_endpoint",
        "user_info_endpoint",
        "discovery_endpoint",
    )

    type: Literal["OPENID_CONNECT"]
    issuer: Url
    authorization_endpoint: Url = Field(alias="authorizationEndpoint")
    token_endpoint: Url = Field(alias="tokenEndpoint")
    jwks_endpoint: Url = Field(alias="jwksEndpoint")
    user_info_endpoint: Url | None = Field(default=None, alias="userInfoEndpoint")
    discovery_endpoint: Url | None = Field(default=None, alias="discoveryEndpoint")
    client_id: Identifier = Field(alias="clientId")
    client_secret: Secret | None = Field(default=None, alias="clientSecret")
    scopes: Annotated[list[ScopeToken], Field(min_length=1, max_length=100)]
    token_endpoint_auth_method: Literal["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "NONE"] = (
        Field(default="CLIENT_SECRET_BASIC", alias="tokenEndpointAuthMethod")
    )
    pkce_method: Literal["NONE", "S256"] = Field(default="NONE", alias="pkceMethod")

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, scopes: list[str]) -> list[str]:
        if "openid" not in scopes:
            raise PydanticCustomError("scopes", "scopes must include openid.")
        return list(dict.fromkeys(scopes))

    def secret_required(self) -> bool:
        return self.token_endpoint_auth_method != "NONE"


class SamlVerification(RequestModel):
    certificates: Annotated[list[Ref], Field(min_length=1, max_length=20)]


class SpSigning(RequestModel):
    key: Ref
    algorithm: SamlSigningAlgorithm | None = None


class SamlProvider(ProviderBase):
    """IdentityProviderSAML. idpVerification.certificates are /certificates of the environment;
    spSigning.key a SIGNING key of its /keys."""

    type: Literal["SAML"]
    idp_entity_id: Identifier = Field(alias="idpEntityId")
    sp_entity_id: Identifier = Field(alias="spEntityId")
    sso_endpoint: Url = Field(alias="ssoEndpoint")
    sso_binding: SamlBinding = Field(alias="ssoBinding")
    idp_verification: SamlVerification = Field(alias="idpVerification")
    authn_request_signed: StrictBool = Field(default=False, alias="authnRequestSigned")
    sp_signing: SpSigning | None = Field(default=None, alias="spSigning")
    slo_binding: SamlBinding = Field(default="HTTP_POST", alias="sloBinding")
    slo_endpoint: Url | None = Field(default=None, alias="sloEndpoint")
    slo_response_endpoint: Url | None = Field(default=None, alias="sloResponseEndpoint")
    slo_window: Annotated[StrictInt, Field(ge=1, le=24)] | None = Field(
        default=None, alias="sloWindow"
    )


ProviderBody = (
    FacebookProvider
    | ClientSecretProvider
    | MicrosoftProvider
    | PaypalProvider
    | AppleProvider
    | OidcProvider
    | SamlProvider
)
PROVIDER_MODELS: dict[str, type[ProviderBase]] = {
    "FACEBOOK": FacebookProvider,
    **dict.fromkeys(get_args(ClientSecretType), ClientSecretProvider),
    "MICROSOFT": MicrosoftProvider,
    "PAYPAL": PaypalProvider,
    "APPLE": AppleProvider,
    "OPENID_CONNECT": OidcProvider,
    "SAML": SamlProvider,
}


class IdentityProviderBody(RootModel[ProviderBody]):
    """POST and PUT /identityProviders: the model of the provider's `type`."""


def parse_provider(data: Any) -> ProviderBase:
    """The body read with the model its `type` selects (errors in PingOne's shape)."""
    kind = validate(ProviderKind, data)
    return validate(PROVIDER_MODELS[kind.type], data)


class DiscoverRequest(RequestModel):
    """POST /identityProviders (application/vnd.pingidentity.openid-configuration.discover+json):
    the issuer, or its /.well-known/openid-configuration URL."""

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]


class IdentityProviderView(HalView):
    """The common fields; the type's own (clientId, issuer, ...) follow, never its secret."""

    id: uuid.UUID
    type: str
    name: str
    description: str | None = None
    enabled: bool
    icon: dict[str, str] | None = None
    login_button_icon: dict[str, str] | None = Field(default=None, alias="loginButtonIcon")
    registration: dict[str, dict[str, str]] | None = None
    environment: dict[str, str]
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# Attribute mappings

MappingName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class AttributeMappingBody(RequestModel):
    """POST and PUT /identityProviders/{id}/attributes (IdentityProviderAttribute)."""

    name: MappingName
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    update: Literal["EMPTY_ONLY", "ALWAYS"]
    mapping_type: Literal["CORE", "CUSTOM"] | None = Field(default=None, alias="mappingType")


class AttributeMappingView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    identity_provider: dict[str, str] = Field(alias="identityProvider")
    name: str
    value: str
    update: str
    mapping_type: str = Field(alias="mappingType")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
