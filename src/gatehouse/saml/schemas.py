"""The SAML application (`ApplicationSAML`, pingone/03 section 4): Gatehouse is the identity
provider and the application the service provider. Fields are checked here one by one; the rules
that touch stored data (keys, certificates, a unique spEntityId) are in saml.service."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints

from gatehouse.applications.schemas import (
    MAX_URIS,
    AccessControl,
    CorsSettings,
    Icon,
    UrlText,
    WebUrl,
    _unique,
)
from gatehouse.common.schemas import Description, Name, Ref, RequestModel
from gatehouse.federation.schemas import SamlBinding, SamlSigningAlgorithm

NAME_ID_FORMATS = (
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
)
NameIdFormat = Literal[NAME_ID_FORMATS]  # type: ignore[valid-type]
EntityId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1024)]
Seconds = Annotated[StrictInt, Field(ge=1, le=2147483647)]


class IdpSigning(RequestModel):
    key: Ref
    algorithm: SamlSigningAlgorithm | None = None


class SpVerification(RequestModel):
    authn_request_signed: StrictBool = Field(default=False, alias="authnRequestSigned")
    certificates: Annotated[list[Ref], Field(max_length=20)]


class SpEncryption(RequestModel):
    algorithm: Annotated[str, StringConstraints(max_length=64)]
    certificate: Ref


class SamlApplicationCreate(RequestModel):
    """A SAML application: POST creates one, PUT replaces one."""

    name: Name
    description: Description | None = None
    enabled: bool
    protocol: Literal["SAML"]
    type: Literal["WEB_APP", "CUSTOM_APP"]
    icon: Icon | None = None
    login_page_url: WebUrl | None = Field(default=None, alias="loginPageUrl")
    hidden_from_app_portal: bool = Field(default=False, alias="hiddenFromAppPortal")
    access_control: AccessControl | None = Field(default=None, alias="accessControl")
    home_page_url: WebUrl | None = Field(default=None, alias="homePageUrl")
    acs_urls: Annotated[
        list[WebUrl], Field(min_length=1, max_length=MAX_URIS), AfterValidator(_unique)
    ] = Field(alias="acsUrls")
    assertion_duration: Seconds = Field(alias="assertionDuration")
    assertion_signed: StrictBool = Field(default=True, alias="assertionSigned")
    response_signed: StrictBool = Field(default=False, alias="responseSigned")
    sp_entity_id: EntityId = Field(alias="spEntityId")
    idp_signing: IdpSigning | None = Field(default=None, alias="idpSigning")
    name_id_format: NameIdFormat | None = Field(default=None, alias="nameIdFormat")
    slo_binding: SamlBinding = Field(default="HTTP_POST", alias="sloBinding")
    slo_endpoint: WebUrl | None = Field(default=None, alias="sloEndpoint")
    slo_response_endpoint: WebUrl | None = Field(default=None, alias="sloResponseEndpoint")
    slo_window: Annotated[StrictInt, Field(ge=1, le=24)] | None = Field(
        default=None, alias="sloWindow"
    )
    session_not_on_or_after_duration: Seconds | None = Field(
        default=None, alias="sessionNotOnOrAfterDuration"
    )
    sp_encryption: SpEncryption | None = Field(default=None, alias="spEncryption")
    sp_verification: SpVerification | None = Field(default=None, alias="spVerification")
    default_target_url: UrlText | None = Field(default=None, alias="defaultTargetUrl")
    enable_requested_authn_context: StrictBool = Field(
        default=False, alias="enableRequestedAuthnContext"
    )
    enable_always_accept_acs_url_in_signed_authn_request: StrictBool = Field(
        default=False, alias="enableAlwaysAcceptAcsUrlInSignedAuthnRequest"
    )
    cors_settings: CorsSettings | None = Field(default=None, alias="corsSettings")

    def settings(self) -> dict[str, Any]:
        """Everything but the columns of `Application`: what its `config` JSON holds."""
        return self.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            exclude={"name", "description", "enabled", "protocol", "type"},
        )
