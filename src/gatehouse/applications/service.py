"""Applications (OpenID Connect), their client secret, resource grants and attribute mappings.

The rules an OIDC application follows beyond its fields' own checks (`applications.schemas`). Each
is answered with 400 INVALID_DATA and one detail whose target names the property to fix:

- `protocol` is OPENID_CONNECT or SAML (SAML applications follow saml.service); WS_FED and
  EXTERNAL_LINK are not served yet (INVALID_VALUE protocol). `protocol` and `type` cannot change
  on PUT (INVALID_VALUE type).
- `grantTypes` allowed per type (INVALID_VALUE grantTypes):
      WEB_APP          AUTHORIZATION_CODE IMPLICIT REFRESH_TOKEN CLIENT_CREDENTIALS TOKEN_EXCHANGE CIBA
      NATIVE_APP       AUTHORIZATION_CODE IMPLICIT REFRESH_TOKEN DEVICE_CODE TOKEN_EXCHANGE CIBA
      SINGLE_PAGE_APP  AUTHORIZATION_CODE IMPLICIT REFRESH_TOKEN
      WORKER           CLIENT_CREDENTIALS, and AUTHORIZATION_CODE IMPLICIT REFRESH_TOKEN to sign
                       administrators on
      SERVICE          CLIENT_CREDENTIALS
      CUSTOM_APP       any
- Response types and grants agree: CODE with AUTHORIZATION_CODE, TOKEN or ID_TOKEN with IMPLICIT
  (CODE with TOKEN/ID_TOKEN is the hybrid flow and needs both grants). A response type without its
  grant is INVALID_VALUE grantTypes; a grant without its response type INVALID_VALUE
  responseTypes.
- REFRESH_TOKEN needs a grant that issues refresh tokens: AUTHORIZATION_CODE, DEVICE_CODE, CIBA
  or TOKEN_EXCHANGE (INVALID_VALUE grantTypes).
- `tokenEndpointAuthMethod` (INVALID_VALUE tokenEndpointAuthMethod): NONE, a public client, only
  for NATIVE_APP, SINGLE_PAGE_APP and CUSTOM_APP; a SINGLE_PAGE_APP is always public (a browser
  keeps no secret); CLIENT_CREDENTIALS and CIBA need an authenticated client, never NONE.
- PRIVATE_KEY_JWT needs `jwks` or `jwksUrl` (REQUIRED_VALUE jwks); never both (INVALID_VALUE
  jwks). `jwks` is a JSON Web Key Set string of public asymmetric keys.
- `redirectUris` are required with AUTHORIZATION_CODE or IMPLICIT (REQUIRED_VALUE redirectUris).
  Each redirect and post-logout URI is absolute, without a fragment; https, or http on a loopback
  host (localhost, 127.0.0.1, [::1]); another scheme only for NATIVE_APP and CUSTOM_APP, and never
  javascript, data, file or vbscript; `*` only with `allowWildcardInRedirectUris`, and then not in
  the scheme, and in the host only as the leftmost label.
- `requireSignedRequestObject` and `supportUnsignedRequestObject` are not both true (INVALID_VALUE
  supportUnsignedRequestObject).
- `refreshTokenDuration` is at most `refreshTokenRollingDuration` (INVALID_VALUE
  refreshTokenDuration); `refreshTokenRollingDuration` cannot be removed once set.
- `devicePathId` is unique in the environment (UNIQUENESS_VIOLATION devicePathId).
- `accessControl.group.groups` are groups of this environment.
- `mobile` only for NATIVE_APP; `tags` only for WORKER.

Creating an application also creates its client secret (unless it is a public client) and the
`sub` CORE attribute mapping PingOne gives every OIDC application; `assignActorRoles` on a WORKER
gives it the roles its creator holds over the environment.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.authz import Caller
from gatehouse.access.roles import ENVIRONMENT
from gatehouse.access.service import grant_role, revoke_actor_roles
from gatehouse.applications import secrets
from gatehouse.applications.models import (
    Application,
    ApplicationAttributeMapping,
    ApplicationGrant,
    grant_scopes,
)
from gatehouse.applications.schemas import (
    OIDC,
    ApplicationCreate,
    AttributeMappingRequest,
    GrantRequest,
    SecretRotation,
    split_url,
)
from gatehouse.common import clock
from gatehouse.common.errors import (
    Detail,
    invalid_data,
    invalid_value,
    not_found,
    request_failed,
    required_value,
    uniqueness_violation,
)
from gatehouse.crypto.sealing import Sealer
from gatehouse.directory.models import Group
from gatehouse.resources import expressions
from gatehouse.resources.models import Resource, ResourceScope
from gatehouse.saml.service import SUBJECT_NAMES

INVALID = "The request could not be completed. One or more validation errors were in the request."

# --- applications --------------------------------------------------------------------------

USER_SIGN_ON = frozenset({"AUTHORIZATION_CODE", "IMPLICIT", "REFRESH_TOKEN"})
ALLOWED_GRANTS: dict[str, frozenset[str]] = {
    "WEB_APP": USER_SIGN_ON | {"CLIENT_CREDENTIALS", "TOKEN_EXCHANGE", "CIBA"},
    "NATIVE_APP": USER_SIGN_ON | {"DEVICE_CODE", "TOKEN_EXCHANGE", "CIBA"},
    "SINGLE_PAGE_APP": USER_SIGN_ON,
    "WORKER": USER_SIGN_ON | {"CLIENT_CREDENTIALS"},
    "SERVICE": frozenset({"CLIENT_CREDENTIALS"}),
    "CUSTOM_APP": USER_SIGN_ON | {"CLIENT_CREDENTIALS", "DEVICE_CODE", "TOKEN_EXCHANGE", "CIBA"},
}
REFRESHABLE = frozenset({"AUTHORIZATION_CODE", "DEVICE_CODE", "CIBA", "TOKEN_EXCHANGE"})
PUBLIC_CLIENT_TYPES = frozenset({"NATIVE_APP", "SINGLE_PAGE_APP", "CUSTOM_APP"})
CONFIDENTIAL_GRANTS = ("CLIENT_CREDENTIALS", "CIBA")
CUSTOM_SCHEME_TYPES = frozenset({"NATIVE_APP", "CUSTOM_APP"})
FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
URI_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*$")


def auth_method(application: Application) -> str:
    """The token endpoint authentication; NONE for applications of other protocols (no secret)."""
    if application.protocol != OIDC:
        return "NONE"
    return str(application.config.get("tokenEndpointAuthMethod", "CLIENT_SECRET_BASIC"))


def check_protocol(protocol: str) -> None:
    if protocol not in (OIDC, "SAML"):
        raise invalid_value(
            "protocol",
            f"{protocol} applications are not supported yet: only OPENID_CONNECT and SAML "
            "applications can be created.",
        )


async def list_applications(
    session: AsyncSession, environment_id: uuid.UUID
) -> Sequence[Application]:
    return (
        await session.scalars(
            sa.select(Application)
            .where(Application.environment_id == environment_id)
            .order_by(Application.created_at, Application.id)
        )
    ).all()


async def get_application(
    session: AsyncSession, environment_id: uuid.UUID, application_id: uuid.UUID
) -> Application:
    application = await session.get(Application, application_id)
    if application is None or application.environment_id != environment_id:
        raise not_found()
    return application


async def create_application(
    session: AsyncSession,
    sealer: Sealer,
    environment_id: uuid.UUID,
    data: ApplicationCreate,
    *,
    creator: Caller,
) -> Application:
    await _check_application(session, environment_id, data, None)
    application = Application(environment_id=environment_id, protocol=OIDC, type=data.type)
    _apply(application, data)
    if data.assign_actor_roles is not None:
        application.config = {**application.config, "assignActorRoles": data.assign_actor_roles}
    session.add(application)
    await session.flush()
    if data.token_endpoint_auth_method != "NONE":
        await secrets.create_secret(session, sealer, application.id)
    await _create_sub_mapping(session, application)
    if data.assign_actor_roles and data.type == "WORKER":
        await _assign_actor_roles(session, application, creator)
    return application


async def update_application(
    session: AsyncSession, sealer: Sealer, application: Application, data: ApplicationCreate
) -> Application:
    if data.type != application.type or application.protocol != OIDC:
        raise invalid_value("type", "The protocol and type of an application cannot be changed.")
    await _check_application(session, application.environment_id, data, application)
    assign_actor_roles = application.config.get("assignActorRoles")
    _apply(application, data)
    if assign_actor_roles is not None:
        application.config = {**application.config, "assignActorRoles": assign_actor_roles}
    if data.token_endpoint_auth_method == "NONE":
        await secrets.delete_secrets(session, application.id)
    elif not await secrets.secrets_of(session, application.id):
        await secrets.create_secret(session, sealer, application.id)
    await session.flush()
    return application


async def delete_application(session: AsyncSession, application: Application) -> None:
    """Its secrets, grants and mappings go with it (ON DELETE CASCADE), and so do its role
    assignments, unless one is the organization's last Organization Admin."""
    await revoke_actor_roles(session, "APPLICATION", application.id)
    await session.delete(application)
    await session.flush()


def _apply(application: Application, data: ApplicationCreate) -> None:
    application.name = data.name
    application.description = data.description
    application.enabled = data.enabled
    application.config = data.settings()


async def _assign_actor_roles(
    session: AsyncSession, application: Application, creator: Caller
) -> None:
    for grant in creator.grants:
        if grant.scope_type == ENVIRONMENT and grant.scope_id == application.environment_id:
            await grant_role(
                session,
                environment_id=application.environment_id,
                actor_type="APPLICATION",
                actor_id=application.id,
                role_name=grant.role_name,
                scope_type=ENVIRONMENT,
                scope_id=application.environment_id,
            )


async def _check_application(
    session: AsyncSession,
    environment_id: uuid.UUID,
    data: ApplicationCreate,
    current: Application | None,
) -> None:
    _check_grant_types(data)
    _check_response_types(data)
    _check_client_authentication(data)
    _check_redirect_uris(data)
    _check_request_objects(data)
    _check_refresh_tokens(data, current.config if current else {})
    _check_type_specific(data)
    await _check_device_path_id(session, environment_id, data, current)
    await _check_groups(session, environment_id, data)


def _check_grant_types(data: ApplicationCreate) -> None:
    grants = set(data.grant_types)
    refused = sorted(grants - ALLOWED_GRANTS[data.type])
    if refused:
        raise invalid_value(
            "grantTypes",
            f"A {data.type} application cannot use {', '.join(refused)}.",
            allowedValues=sorted(ALLOWED_GRANTS[data.type]),
        )
    if "REFRESH_TOKEN" in grants and not grants & REFRESHABLE:
        raise invalid_value(
            "grantTypes",
            "REFRESH_TOKEN needs a grant that issues refresh tokens: "
            + ", ".join(sorted(REFRESHABLE))
            + ".",
        )


def _check_response_types(data: ApplicationCreate) -> None:
    grants, responses = set(data.grant_types), set(data.response_types)
    if "CODE" in responses and "AUTHORIZATION_CODE" not in grants:
        raise invalid_value("grantTypes", "The CODE response type needs AUTHORIZATION_CODE.")
    if "AUTHORIZATION_CODE" in grants and "CODE" not in responses:
        raise invalid_value("responseTypes", "AUTHORIZATION_CODE needs the CODE response type.")
    implicit = sorted(responses & {"TOKEN", "ID_TOKEN"})
    if implicit and "IMPLICIT" not in grants:
        raise invalid_value(
            "grantTypes", f"The {' and '.join(implicit)} response types need IMPLICIT."
        )
    if "IMPLICIT" in grants and not implicit:
        raise invalid_value("responseTypes", "IMPLICIT needs the TOKEN or ID_TOKEN response type.")


def _check_client_authentication(data: ApplicationCreate) -> None:
    method = data.token_endpoint_auth_method
    if method == "NONE":
        if data.type not in PUBLIC_CLIENT_TYPES:
            raise invalid_value(
                "tokenEndpointAuthMethod",
                f"A {data.type} application must authenticate at the token endpoint: NONE is "
                "only for NATIVE_APP, SINGLE_PAGE_APP and CUSTOM_APP.",
            )
        confidential = [grant for grant in CONFIDENTIAL_GRANTS if grant in data.grant_types]
        if confidential:
            raise invalid_value(
                "tokenEndpointAuthMethod", f"{confidential[0]} cannot be used with NONE."
            )
    elif data.type == "SINGLE_PAGE_APP":
        raise invalid_value(
            "tokenEndpointAuthMethod", "A SINGLE_PAGE_APP is a public client: use NONE."
        )
    if data.jwks and data.jwks_url:
        raise invalid_value("jwks", "Give jwks or jwksUrl, not both.")
    if method == "PRIVATE_KEY_JWT" and not (data.jwks or data.jwks_url):
        raise required_value("jwks")
    if data.jwks:
        _check_jwks(data.jwks)


def _check_jwks(text: str) -> None:
    try:
        parsed = orjson.loads(text)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("keys"), list):
            raise ValueError("not a key set")
        keys = KeySet.import_key_set(parsed).keys
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        raise invalid_value("jwks", "jwks must be a JSON Web Key Set (RFC 7517).") from None
    if len(keys) != len(parsed["keys"]):
        raise invalid_value("jwks", "jwks holds keys of an unknown type.")
    for key in keys:
        if key.key_type not in ASYMMETRIC_KEY_TYPES or key.is_private:
            raise invalid_value("jwks", "jwks must hold public RSA, EC or OKP keys only.")


def _check_redirect_uris(data: ApplicationCreate) -> None:
    if not data.redirect_uris and {"AUTHORIZATION_CODE", "IMPLICIT"} & set(data.grant_types):
        raise required_value("redirectUris")
    for target, uris in (
        ("redirectUris", data.redirect_uris),
        ("postLogoutRedirectUris", data.post_logout_redirect_uris),
    ):
        for uri in uris:
            problem = _redirect_uri_problem(uri, data)
            if problem:
                raise invalid_value(target, f"{uri!r}: {problem}")


def _redirect_uri_problem(uri: str, data: ApplicationCreate) -> str | None:
    """Why `uri` cannot be one of this application's redirect URIs (None when it can)."""
    scheme = uri.split(":", 1)[0] if ":" in uri else ""
    if not URI_SCHEME.match(scheme):
        return "a redirect URI must be absolute."
    if "*" in uri and not data.allow_wildcard_in_redirect_uris:
        return "wildcards need allowWildcardInRedirectUris."
    try:
        parts = split_url(uri)
    except ValueError:
        return "not a valid URI."
    if "#" in uri:
        return "a redirect URI cannot have a fragment."
    scheme = parts.scheme
    if scheme in FORBIDDEN_SCHEMES:
        return f"the {scheme} scheme is not allowed."
    if scheme in ("http", "https"):
        return _web_redirect_problem(scheme, parts.hostname)
    if data.type not in CUSTOM_SCHEME_TYPES:
        return "only NATIVE_APP and CUSTOM_APP applications may use a custom scheme."
    return None


def _web_redirect_problem(scheme: str, host: str | None) -> str | None:
    if not host:
        return "an http or https redirect URI needs a host."
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        return "http is only allowed on a loopback host (localhost, 127.0.0.1, [::1]); use https."
    if "*" in host and (host.count("*") > 1 or not host.startswith("*.") or host.count(".") < 2):
        return "a wildcard in the host can only be its leftmost label (https://*.example.com)."
    return None


def _check_request_objects(data: ApplicationCreate) -> None:
    if data.require_signed_request_object and data.support_unsigned_request_object:
        raise invalid_value(
            "supportUnsignedRequestObject",
            "requireSignedRequestObject and supportUnsignedRequestObject cannot both be true.",
        )


def _check_refresh_tokens(data: ApplicationCreate, current: dict[str, Any]) -> None:
    rolling = data.refresh_token_rolling_duration
    if rolling is None and current.get("refreshTokenRollingDuration") is not None:
        raise invalid_value(
            "refreshTokenRollingDuration",
            "refreshTokenRollingDuration cannot be removed once set.",
        )
    if rolling is not None and data.refresh_token_duration > rolling:
        raise invalid_value(
            "refreshTokenDuration",
            "refreshTokenDuration cannot be longer than refreshTokenRollingDuration.",
        )


def _check_type_specific(data: ApplicationCreate) -> None:
    if data.mobile is not None and data.type != "NATIVE_APP":
        raise invalid_value("mobile", "mobile settings are only for NATIVE_APP applications.")
    if data.tags and data.type != "WORKER":
        raise invalid_value("tags", "tags are only for WORKER applications.")


async def _check_device_path_id(
    session: AsyncSession,
    environment_id: uuid.UUID,
    data: ApplicationCreate,
    current: Application | None,
) -> None:
    if data.device_path_id is None:
        return
    for other in await list_applications(session, environment_id):
        if other is not current and other.config.get("devicePathId") == data.device_path_id:
            raise uniqueness_violation(
                "devicePathId",
                f"Another application already uses the devicePathId {data.device_path_id!r}.",
                other.id,
            )


async def _check_groups(
    session: AsyncSession, environment_id: uuid.UUID, data: ApplicationCreate
) -> None:
    access = data.access_control
    if access is None or access.group is None:
        return
    wanted = {group.id for group in access.group.groups}
    found = set(
        await session.scalars(
            sa.select(Group.id).where(Group.environment_id == environment_id, Group.id.in_(wanted))
        )
    )
    missing = sorted(str(group_id) for group_id in wanted - found)
    if missing:
        raise invalid_value(
            "accessControl.group.groups",
            f"No group with id {', '.join(missing)} in this environment.",
        )


# --- secret --------------------------------------------------------------------------------

MIN_OVERLAP = timedelta(minutes=1)
MAX_OVERLAP = timedelta(days=30)


@dataclass(frozen=True)
class PreviousSecret:
    secret: str
    expires_at: datetime
    last_used: datetime | None


@dataclass(frozen=True)
class SecretState:
    secret: str
    previous: PreviousSecret | None


async def read_secret(
    session: AsyncSession, sealer: Sealer, application: Application
) -> SecretState:
    _require_secret_client(application)
    current, previous = None, None
    for row in await secrets.secrets_of(session, application.id):
        if row.status == "CURRENT":
            current = secrets.reveal(sealer, row)
        elif row.expires_at is not None:
            previous = PreviousSecret(secrets.reveal(sealer, row), row.expires_at, row.last_used_at)
    if current is None:
        raise not_found("The application has no secret.")
    return SecretState(current, previous)


async def rotate_secret(
    session: AsyncSession, sealer: Sealer, application: Application, data: SecretRotation
) -> SecretState:
    _require_secret_client(application)
    expires_at = data.previous.expires_at if data.previous else None
    if expires_at is not None:
        now = clock.now()
        if not now + MIN_OVERLAP <= expires_at <= now + MAX_OVERLAP:
            raise invalid_data(
                INVALID,
                Detail(
                    "OUT_OF_RANGE",
                    "previous.expiresAt must be between 1 minute and 30 days from now.",
                    "previous.expiresAt",
                    {
                        "rangeMinimumValue": clock.isoformat(now + MIN_OVERLAP),
                        "rangeMaximumValue": clock.isoformat(now + MAX_OVERLAP),
                    },
                ),
            )
    await secrets.rotate_secret(session, sealer, application.id, expires_at)
    return await read_secret(session, sealer, application)


async def delete_previous_secret(session: AsyncSession, application: Application) -> None:
    _require_secret_client(application)
    await secrets.delete_previous_secret(session, application.id)


def _require_secret_client(application: Application) -> None:
    if application.protocol != OIDC:
        raise request_failed(f"A {application.protocol} application has no secret.")
    if auth_method(application) == "NONE":
        raise request_failed(
            "The application is a public client (tokenEndpointAuthMethod NONE): it has no secret."
        )


# --- resource grants -----------------------------------------------------------------------


@dataclass(frozen=True)
class GrantWithScopes:
    grant: ApplicationGrant
    scope_ids: list[uuid.UUID]


async def list_grants(session: AsyncSession, application: Application) -> list[GrantWithScopes]:
    grants = (
        await session.scalars(
            sa.select(ApplicationGrant)
            .where(ApplicationGrant.application_id == application.id)
            .order_by(ApplicationGrant.created_at, ApplicationGrant.id)
        )
    ).all()
    scopes = await _scope_ids(session, [grant.id for grant in grants])
    return [GrantWithScopes(grant, scopes.get(grant.id, [])) for grant in grants]


async def get_grant(
    session: AsyncSession, application: Application, grant_id: uuid.UUID
) -> GrantWithScopes:
    grant = await _grant(session, application, grant_id)
    return GrantWithScopes(grant, (await _scope_ids(session, [grant.id])).get(grant.id, []))


async def create_grant(
    session: AsyncSession, application: Application, data: GrantRequest
) -> GrantWithScopes:
    scope_ids = await _check_grant(session, application, data, None)
    grant = ApplicationGrant(
        environment_id=application.environment_id,
        application_id=application.id,
        resource_id=data.resource.id,
    )
    session.add(grant)
    await session.flush()
    await _set_scopes(session, grant, scope_ids)
    return await get_grant(session, application, grant.id)


async def update_grant(
    session: AsyncSession, application: Application, grant_id: uuid.UUID, data: GrantRequest
) -> GrantWithScopes:
    grant = await _grant(session, application, grant_id)
    scope_ids = await _check_grant(session, application, data, grant)
    grant.resource_id = data.resource.id
    grant.updated_at = clock.now()
    await session.execute(sa.delete(grant_scopes).where(grant_scopes.c.grant_id == grant.id))
    await _set_scopes(session, grant, scope_ids)
    return await get_grant(session, application, grant.id)


async def delete_grant(
    session: AsyncSession, application: Application, grant_id: uuid.UUID
) -> None:
    await session.delete(await _grant(session, application, grant_id))
    await session.flush()


async def _grant(
    session: AsyncSession, application: Application, grant_id: uuid.UUID
) -> ApplicationGrant:
    grant = await session.get(ApplicationGrant, grant_id)
    if grant is None or grant.application_id != application.id:
        raise not_found()
    return grant


async def _check_grant(
    session: AsyncSession,
    application: Application,
    data: GrantRequest,
    current: ApplicationGrant | None,
) -> list[uuid.UUID]:
    """The scope ids to grant; the resource and every scope exist in this environment, the
    scopes belong to the resource, and the application has no other grant for it."""
    resource = await session.get(Resource, data.resource.id)
    if resource is None or resource.environment_id != application.environment_id:
        raise invalid_value("resource.id", "No resource with this id in this environment.")
    clash = await session.scalar(
        sa.select(ApplicationGrant.id).where(
            ApplicationGrant.application_id == application.id,
            ApplicationGrant.resource_id == resource.id,
        )
    )
    if clash is not None and (current is None or clash != current.id):
        raise uniqueness_violation(
            "resource.id", "The application already has a grant for this resource.", clash
        )
    scope_ids = list(dict.fromkeys(scope.id for scope in data.scopes))
    rows = await session.execute(
        sa.select(ResourceScope.id, ResourceScope.resource_id).where(
            ResourceScope.environment_id == application.environment_id,
            ResourceScope.id.in_(scope_ids),
        )
    )
    owners = {scope_id: resource_id for scope_id, resource_id in rows.tuples()}
    for scope_id in scope_ids:
        if owners.get(scope_id) != resource.id:
            raise invalid_value(
                "scopes", f"The scope {scope_id} is not a scope of the resource {resource.id}."
            )
    return scope_ids


async def _set_scopes(
    session: AsyncSession, grant: ApplicationGrant, scope_ids: Iterable[uuid.UUID]
) -> None:
    await session.execute(
        sa.insert(grant_scopes),
        [{"grant_id": grant.id, "scope_id": scope_id} for scope_id in scope_ids],
    )


async def _scope_ids(
    session: AsyncSession, grant_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    if not grant_ids:
        return {}
    rows = await session.execute(
        sa.select(grant_scopes.c.grant_id, grant_scopes.c.scope_id)
        .join(ResourceScope, ResourceScope.id == grant_scopes.c.scope_id)
        .where(grant_scopes.c.grant_id.in_(grant_ids))
        .order_by(ResourceScope.name)
    )
    scopes: dict[uuid.UUID, list[uuid.UUID]] = {}
    for grant_id, scope_id in rows.tuples():
        scopes.setdefault(grant_id, []).append(scope_id)
    return scopes


# --- attribute mappings --------------------------------------------------------------------

# Claims the authorization server sets itself (PingOne's reserved names for OIDC applications).
RESERVED_CLAIMS = frozenset(
    [
        "acr",
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "azp",
        "client_id",
        "exp",
        "iat",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "org",
        "scope",
        "sid",
        "sub",
    ]
)
SYSTEM_MAPPING_TYPES = frozenset({"CORE", "SCOPE"})


async def list_mappings(
    session: AsyncSession, application: Application
) -> Sequence[ApplicationAttributeMapping]:
    return (
        await session.scalars(
            sa.select(ApplicationAttributeMapping)
            .where(ApplicationAttributeMapping.application_id == application.id)
            .order_by(ApplicationAttributeMapping.created_at, ApplicationAttributeMapping.id)
        )
    ).all()


async def get_mapping(
    session: AsyncSession, application: Application, mapping_id: uuid.UUID
) -> ApplicationAttributeMapping:
    mapping = await session.get(ApplicationAttributeMapping, mapping_id)
    if mapping is None or mapping.application_id != application.id:
        raise not_found()
    return mapping


async def create_mapping(
    session: AsyncSession, application: Application, data: AttributeMappingRequest
) -> ApplicationAttributeMapping:
    if data.mapping_type not in (None, "CUSTOM"):
        raise invalid_value(
            "mappingType", "Only CUSTOM mappings can be created; CORE and SCOPE are the system's."
        )
    await _check_mapping(session, application, data, None)
    mapping = ApplicationAttributeMapping(
        environment_id=application.environment_id,
        application_id=application.id,
        mapping_type="CUSTOM",
    )
    _apply_mapping(mapping, data)
    session.add(mapping)
    await session.flush()
    return mapping


async def update_mapping(
    session: AsyncSession,
    application: Application,
    mapping_id: uuid.UUID,
    data: AttributeMappingRequest,
) -> ApplicationAttributeMapping:
    """A system (CORE or SCOPE) mapping keeps its name and flags: only its value changes."""
    mapping = await get_mapping(session, application, mapping_id)
    await _check_mapping(session, application, data, mapping)
    if mapping.mapping_type in SYSTEM_MAPPING_TYPES:
        mapping.value = data.value
        mapping.updated_at = clock.now()
    else:
        _apply_mapping(mapping, data)
    await session.flush()
    return mapping


async def delete_mapping(
    session: AsyncSession, application: Application, mapping_id: uuid.UUID
) -> None:
    mapping = await get_mapping(session, application, mapping_id)
    if mapping.mapping_type in SYSTEM_MAPPING_TYPES:
        raise request_failed(
            f"The {mapping.mapping_type} mapping {mapping.name!r} is the system's: its value can "
            "be changed, but it cannot be deleted."
        )
    await session.delete(mapping)
    await session.flush()


async def _create_sub_mapping(session: AsyncSession, application: Application) -> None:
    session.add(
        ApplicationAttributeMapping(
            environment_id=application.environment_id,
            application_id=application.id,
            name="sub",
            value="${user.id}",
            required=True,
            mapping_type="CORE",
            id_token=True,
            user_info=True,
        )
    )
    await session.flush()


def _apply_mapping(mapping: ApplicationAttributeMapping, data: AttributeMappingRequest) -> None:
    mapping.name = data.name
    mapping.value = data.value
    mapping.required = data.required
    mapping.name_format = data.name_format
    mapping.id_token = data.id_token
    mapping.user_info = data.user_info
    mapping.oidc_scopes = [str(scope) for scope in data.oidc_scopes] if data.oidc_scopes else None
    mapping.updated_at = clock.now()


async def _check_mapping(
    session: AsyncSession,
    application: Application,
    data: AttributeMappingRequest,
    current: ApplicationAttributeMapping | None,
) -> None:
    name = data.name.lower()
    if current is not None and current.mapping_type in SYSTEM_MAPPING_TYPES:
        if name != current.name.lower():
            raise invalid_value("name", f"The name of the {current.name!r} mapping is fixed.")
    elif name in RESERVED_CLAIMS and application.protocol == OIDC:
        raise invalid_value(
            "name", f"{data.name!r} is a reserved OpenID Connect claim name.", reserved=True
        )
    # a SAML application's subject has two names (saml.service.SUBJECT_NAMES): they clash
    names = SUBJECT_NAMES if application.protocol == "SAML" and name in SUBJECT_NAMES else {name}
    clash = await session.scalar(
        sa.select(ApplicationAttributeMapping.id).where(
            ApplicationAttributeMapping.application_id == application.id,
            sa.func.lower(ApplicationAttributeMapping.name).in_(names),
        )
    )
    if clash is not None and (current is None or clash != current.id):
        raise uniqueness_violation(
            "name", f"The application already maps an attribute named {data.name!r}.", clash
        )
    if not data.id_token and not data.user_info:
        raise invalid_value("idToken", "idToken and userInfo cannot both be false.")
    await _check_value(session, application.environment_id, data.value)
    if data.oidc_scopes:
        await _check_oidc_scopes(session, application.environment_id, data.oidc_scopes)


async def _check_value(session: AsyncSession, environment_id: uuid.UUID, value: str) -> None:
    """A literal, or one `${user.<path>}` over a core or custom user attribute."""
    custom = await expressions.custom_attribute_types(session, environment_id)
    try:
        expressions.parse(value, custom)
    except expressions.ExpressionError as error:
        raise invalid_value("value", str(error)) from None


async def _check_oidc_scopes(
    session: AsyncSession, environment_id: uuid.UUID, scope_ids: list[uuid.UUID]
) -> None:
    found = set(
        await session.scalars(
            sa.select(ResourceScope.id)
            .join(Resource, Resource.id == ResourceScope.resource_id)
            .where(
                Resource.environment_id == environment_id,
                Resource.type == "OPENID_CONNECT",
                ResourceScope.id.in_(scope_ids),
            )
        )
    )
    missing = [str(scope_id) for scope_id in scope_ids if scope_id not in found]
    if missing:
        raise invalid_value(
            "oidcScopes",
            f"{', '.join(missing)}: not a scope of this environment's openid resource.",
        )
