"""Request and response models of sign-on policies, their actions and application assignments,
named after PingOne's (pingone/04)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gatehouse.common.bodies import validate
from gatehouse.common.errors import invalid_data, invalid_value, required_value
from gatehouse.common.schemas import Description, HalView, Ref, RequestModel, Timestamp
from gatehouse.policies import conditions

# JSON booleans and integers only: "yes", "1" or 1.0 are not accepted for them.
Flag = StrictBool
# Priorities are stored as 32-bit integers.
MAX_PRIORITY = 2_147_483_647
Priority = Annotated[StrictInt, Field(ge=1, le=MAX_PRIORITY)]

_NAME = re.compile(r"[a-zA-Z0-9_. -]+")
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _check_policy_name(name: str) -> str:
    """PingOne: `^[a-zA-Z0-9_. -]+$`, or an absolute URI when the name contains a colon."""
    if ":" not in name:
        if _NAME.fullmatch(name):
            return name
        raise PydanticCustomError(
            "policy_name", "name may contain only letters, digits, '_', '.', '-' and spaces"
        )
    scheme, _, rest = name.partition(":")
    if _URI_SCHEME.fullmatch(scheme) and rest and not any(c.isspace() for c in name):
        return name
    raise PydanticCustomError("policy_name", "a name that contains ':' must be an absolute URI")


def _check_href(href: str) -> str:
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and parts.netloc:
        return href
    raise PydanticCustomError("href", "href must be an absolute http(s) URL")


def _check_condition(condition: Any) -> Any:
    if condition is None:
        return None
    try:
        conditions.parse(condition)
    except conditions.ConditionError as exc:
        raise PydanticCustomError("condition", str(exc)) from None
    return condition


PolicyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    AfterValidator(_check_policy_name),
]
Href = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_check_href)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


# --- sign-on policies ---------------------------------------------------------------------------


class SignOnPolicyCreate(RequestModel):
    name: PolicyName
    description: Description | None = None
    default: Flag = False


class SignOnPolicyUpdate(RequestModel):
    """PUT: `default` left out keeps the policy's current standing."""

    name: PolicyName
    description: Description | None = None
    default: Flag | None = None


class SignOnPolicyView(HalView):
    id: uuid.UUID
    name: str
    description: str | None = None
    default: bool
    environment: dict[str, str]
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- action building blocks ---------------------------------------------------------------------


class Enabled(RequestModel):
    enabled: Flag


class ExternalRegistration(RequestModel):
    href: Href


class Registration(RequestModel):
    """Self-registration: into `population` (the environment's default population when left
    out), or on an external page at `external.href` — not both."""

    enabled: Flag
    population: Ref | None = None
    external: ExternalRegistration | None = None
    confirm_identity_provider_attributes: Flag | None = Field(
        default=None, alias="confirmIdentityProviderAttributes"
    )

    @model_validator(mode="after")
    def _one_destination(self) -> Registration:
        if self.population is not None and self.external is not None:
            raise PydanticCustomError(
                "registration", "registration takes a population or an external href, not both"
            )
        return self


class IdentityProviderRegistration(RequestModel):
    enabled: Flag
    population: Ref | None = None


class Gateway(RequestModel):
    id: uuid.UUID
    type: Literal["LDAP"]
    user_type: Ref = Field(alias="userType")


class NewUserProvisioning(RequestModel):
    gateways: Annotated[list[Gateway], Field(min_length=1, max_length=100)]


class DeviceAuthorization(RequestModel):
    enabled: Flag
    extra_verification: Literal["disabled", "permissive", "restrictive"] | None = Field(
        default=None, alias="extraVerification"
    )


class MfaApplication(RequestModel):
    id: uuid.UUID
    auto_enrollment: Enabled | None = Field(default=None, alias="autoEnrollment")
    device_authorization: DeviceAuthorization | None = Field(
        default=None, alias="deviceAuthorization"
    )


class DiscoveryCondition(RequestModel):
    contains: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    value: Literal["${identifier}"]


class DiscoveryRule(RequestModel):
    condition: DiscoveryCondition
    identity_provider: Ref = Field(alias="identityProvider")


class ProfileAttribute(RequestModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    required: Flag


# --- actions ------------------------------------------------------------------------------------


class ActionBase(RequestModel):
    """The fields every action has. `condition` follows the grammar in `conditions`."""

    type: str
    priority: Priority
    condition: Annotated[dict[str, Any] | None, BeforeValidator(_check_condition)] = None

    def config(self) -> dict[str, Any]:
        """The type-specific fields, under PingOne's names, as stored and rendered."""
        return self.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            exclude={"type", "priority", "condition"},
        )


class _SignOnOptions(ActionBase):
    registration: Registration | None = None
    recovery: Enabled | None = None
    social_providers: Annotated[list[Ref], Field(max_length=100)] | None = Field(
        default=None, alias="socialProviders"
    )
    enforce_lockout_for_identity_providers: Flag | None = Field(
        default=None, alias="enforceLockoutForIdentityProviders"
    )


class LoginAction(_SignOnOptions):
    type: Literal["LOGIN"]
    new_user_provisioning: NewUserProvisioning | None = Field(
        default=None, alias="newUserProvisioning"
    )


class MultiFactorAuthenticationAction(ActionBase):
    """`deviceAuthenticationPolicy.id` must be an MFA policy of the environment (checked by the
    service); the environment's default MFA policy applies when it is left out."""

    type: Literal["MULTI_FACTOR_AUTHENTICATION"]
    device_authentication_policy: Ref | None = Field(
        default=None, alias="deviceAuthenticationPolicy"
    )
    no_devices_mode: Literal["BYPASS", "BLOCK"] = Field(default="BLOCK", alias="noDevicesMode")
    sms: Enabled | None = None
    voice: Enabled | None = None
    email: Enabled | None = None
    authenticator: Enabled | None = None
    security_key: Enabled | None = Field(default=None, alias="securityKey")
    bound_biometrics: Enabled | None = Field(default=None, alias="boundBiometrics")
    applications: Annotated[list[MfaApplication], Field(max_length=100)] | None = None


class IdentifierFirstAction(_SignOnOptions):
    """`discoveryRules[].identityProvider.id` and `socialProviders[].id` must be identity
    providers of the environment (checked by the service)."""

    type: Literal["IDENTIFIER_FIRST"]
    discovery_rules: Annotated[list[DiscoveryRule], Field(max_length=100)] | None = Field(
        default=None, alias="discoveryRules"
    )


def _distinct_names(attributes: list[ProfileAttribute]) -> list[ProfileAttribute]:
    names = [attribute.name for attribute in attributes]
    if len(set(names)) != len(names):
        raise PydanticCustomError("attributes", "each attribute may be listed once")
    return attributes


class ProgressiveProfilingAction(ActionBase):
    type: Literal["PROGRESSIVE_PROFILING"]
    attributes: Annotated[
        list[ProfileAttribute],
        Field(min_length=1, max_length=100),
        AfterValidator(_distinct_names),
    ]
    prevent_multiple_prompts_per_flow: Flag = Field(alias="preventMultiplePromptsPerFlow")
    prompt_interval_seconds: Annotated[StrictInt, Field(ge=1, le=MAX_PRIORITY)] = Field(
        alias="promptIntervalSeconds"
    )
    prompt_text: Text = Field(alias="promptText")


class IdentityProviderAction(ActionBase):
    """`identityProvider.id` must be an identity provider of the environment (checked by the
    service)."""

    type: Literal["IDENTITY_PROVIDER"]
    identity_provider: Ref = Field(alias="identityProvider")
    acr_values: Text | None = Field(default=None, alias="acrValues")
    pass_user_context: Flag | None = Field(default=None, alias="passUserContext")
    registration: IdentityProviderRegistration | None = None


class AgreementAction(ActionBase):
    """Agreements are not served yet: `agreement.id` is accepted as given."""

    type: Literal["AGREEMENT"]
    agreement: Ref
    disable_decline_option: Flag | None = Field(default=None, alias="disableDeclineOption")


ACTION_TYPES: dict[str, type[ActionBase]] = {
    "LOGIN": LoginAction,
    "MULTI_FACTOR_AUTHENTICATION": MultiFactorAuthenticationAction,
    "IDENTIFIER_FIRST": IdentifierFirstAction,
    "PROGRESSIVE_PROFILING": ProgressiveProfilingAction,
    "IDENTITY_PROVIDER": IdentityProviderAction,
    "AGREEMENT": AgreementAction,
}

AnyAction = Annotated[
    LoginAction
    | MultiFactorAuthenticationAction
    | IdentifierFirstAction
    | ProgressiveProfilingAction
    | IdentityProviderAction
    | AgreementAction,
    Field(discriminator="type"),
]


class SignOnPolicyActionBody(RootModel[AnyAction]):
    """A sign-on policy action, discriminated on `type` (the request body of POST and PUT)."""


def parse_action(data: Any) -> ActionBase:
    """Validate an action body with the model of its `type`, so error targets name its fields."""
    if not isinstance(data, dict):
        raise invalid_data("The request could not be completed. The body must be a JSON object.")
    kind = data.get("type")
    if kind is None:
        raise required_value("type")
    model = ACTION_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise invalid_value(
            "type", f"Unsupported action type {kind!r}.", allowedValues=list(ACTION_TYPES)
        )
    return validate(model, data)


class SignOnPolicyActionView(HalView):
    """The common fields; the type-specific ones follow under their PingOne names."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="allow")

    id: uuid.UUID
    type: str
    priority: int
    condition: dict[str, Any] | None = None
    sign_on_policy: dict[str, str] = Field(alias="signOnPolicy")
    environment: dict[str, str]
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


# --- assignments --------------------------------------------------------------------------------


class SignOnPolicyAssignmentBody(RequestModel):
    sign_on_policy: Ref = Field(alias="signOnPolicy")
    priority: Priority


class SignOnPolicyAssignmentView(HalView):
    id: uuid.UUID
    sign_on_policy: dict[str, str] = Field(alias="signOnPolicy")
    priority: int
    application: dict[str, str]
    environment: dict[str, str]
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
