"""External identity providers and their attribute mappings: the management operations, and what
federated sign-on reads (provider_settings, provider_secret, mapping_rules).

Rules:
- Names are unique in an environment, ignoring case. The type never changes.
- Secrets (appSecret, clientSecret, clientSecretSigningKey) are required on creation (not
  clientSecret for an OpenID Connect provider with tokenEndpointAuthMethod NONE), sealed at rest,
  never shown; a PUT that leaves the secret out keeps the stored one.
- The URLs an OpenID Connect provider is called at are https unless GATEHOUSE_OUTBOUND_ALLOW_HTTP.
- registration.population is a population of the environment. A SAML provider's
  idpVerification.certificates are /certificates of the environment; its spSigning.key is a
  SIGNING key of the environment whose algorithm (RSA or EC) fits spSigning.algorithm (which
  defaults to the key's); authnRequestSigned needs spSigning.
- Each provider gets its CORE `username` mapping (mappings.USERNAME_VALUES).
- A provider that a sign-on policy action names cannot be deleted. Users it authenticated go back
  to PingOne (identityProvider.type PING_ONE) when it is deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import (
    Detail,
    invalid_value,
    not_found,
    request_failed,
    required_value,
    uniqueness_violation,
)
from gatehouse.common.ids import new_id
from gatehouse.crypto.models import SigningKey
from gatehouse.crypto.sealing import Sealer
from gatehouse.directory.models import Population, User
from gatehouse.federation import discovery, mappings
from gatehouse.federation.models import IdentityProvider, IdentityProviderAttribute
from gatehouse.federation.outbound import OutboundError, OutboundPolicy, url_problem
from gatehouse.federation.schemas import (
    PROVIDER_MODELS,
    AttributeMappingBody,
    ProviderBase,
    SamlProvider,
)
from gatehouse.keys.models import Certificate
from gatehouse.policies.service import named_identity_providers, policies_naming
from gatehouse.resources.expressions import custom_attribute_types

LOCAL_IDENTITY_PROVIDER = "PING_ONE"
CORE, CUSTOM = "CORE", "CUSTOM"


# Providers


async def list_providers(
    session: AsyncSession, environment_id: uuid.UUID
) -> Sequence[IdentityProvider]:
    rows = await session.scalars(
        sa.select(IdentityProvider)
        .where(IdentityProvider.environment_id == environment_id)
        .order_by(IdentityProvider.created_at, IdentityProvider.id)
    )
    return rows.all()


async def get_provider(
    session: AsyncSession, environment_id: uuid.UUID, provider_id: uuid.UUID
) -> IdentityProvider:
    provider = await session.get(IdentityProvider, provider_id)
    if provider is None or provider.environment_id != environment_id:
        raise not_found()
    return provider


async def create_provider(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    environment_id: uuid.UUID,
    data: ProviderBase,
) -> IdentityProvider:
    provider = IdentityProvider(id=new_id(), environment_id=environment_id, type=data.type)
    await _check_provider(session, policy, provider, data)
    _apply(provider, data, sealer)
    session.add(provider)
    await session.flush()
    session.add(
        IdentityProviderAttribute(
            environment_id=environment_id,
            identity_provider_id=provider.id,
            name=mappings.USERNAME,
            value=mappings.USERNAME_VALUES[provider.type],
            update_mode=mappings.EMPTY_ONLY,
            mapping_type=CORE,
        )
    )
    await session.flush()
    return provider


async def update_provider(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    provider: IdentityProvider,
    data: ProviderBase,
) -> IdentityProvider:
    """PUT replaces everything but the secret, which a body without one leaves as it is."""
    if data.type != provider.type:
        message = "The type of an identity provider cannot be changed."
        raise request_failed(message, Detail("INVALID_VALUE", message, "type"))
    await _check_provider(session, policy, provider, data)
    _apply(provider, data, sealer)
    provider.updated_at = clock.now()
    await session.flush()
    return provider


async def delete_provider(session: AsyncSession, provider: IdentityProvider) -> None:
    policies = await policies_naming(
        session, provider.environment_id, provider.id, named_identity_providers
    )
    if policies:
        raise request_failed(
            "The identity provider is used by the sign-on policies "
            f"{', '.join(map(repr, policies))}: remove it from their actions first."
        )
    await session.execute(
        sa.update(User)
        .where(
            User.environment_id == provider.environment_id,
            User.identity_provider_id == provider.id,
        )
        .values(identity_provider_type=LOCAL_IDENTITY_PROVIDER, identity_provider_id=None)
    )
    await session.delete(provider)
    await session.flush()


def provider_settings(provider: IdentityProvider) -> ProviderBase:
    """The provider's settings as its type's model (without its secret)."""
    model = PROVIDER_MODELS[provider.type]
    return model.model_validate(
        {
            **provider.config,
            "type": provider.type,
            "name": provider.name,
            "description": provider.description,
            "enabled": provider.enabled,
            "icon": provider.icon,
            "loginButtonIcon": provider.login_button_icon,
            "registration": registration_of(provider),
        }
    )


def provider_secret(sealer: Sealer, provider: IdentityProvider) -> str | None:
    """The type's secret (appSecret, clientSecret or clientSecretSigningKey), if it has one."""
    if provider.secret_sealed is None:
        return None
    return sealer.unseal(provider.secret_sealed, context=str(provider.id))


async def discover(url: str, policy: OutboundPolicy) -> dict[str, object]:
    """An OpenID Provider's metadata; INVALID_DATA (target url) naming what went wrong."""
    try:
        return await discovery.discover(url, policy)
    except OutboundError as error:
        raise invalid_value("url", error.message) from None


async def saml_providers_using(
    session: AsyncSession,
    environment_id: uuid.UUID,
    *,
    certificate_id: uuid.UUID | None = None,
    key_id: uuid.UUID | None = None,
) -> list[str]:
    """The names of the SAML providers verifying with the certificate or signing with the key."""
    providers = await session.scalars(
        sa.select(IdentityProvider).where(
            IdentityProvider.environment_id == environment_id, IdentityProvider.type == "SAML"
        )
    )
    names = []
    for provider in providers:
        certificates = provider.config.get("idpVerification", {}).get("certificates", [])
        signing_key = (provider.config.get("spSigning") or {}).get("key", {}).get("id")
        if (certificate_id and str(certificate_id) in {c["id"] for c in certificates}) or (
            key_id and signing_key == str(key_id)
        ):
            names.append(provider.name)
    return names


def registration_of(provider: IdentityProvider) -> dict[str, dict[str, str]] | None:
    """`registration` as PingOne shows it."""
    if provider.population_id is None:
        return None
    return {"population": {"id": str(provider.population_id)}}


def _apply(provider: IdentityProvider, data: ProviderBase, sealer: Sealer) -> None:
    provider.name = data.name
    provider.description = data.description
    provider.enabled = data.enabled
    provider.icon = _icon(data, "icon")
    provider.login_button_icon = _icon(data, "login_button_icon")
    provider.population_id = data.registration.population.id if data.registration else None
    provider.config = data.config()
    secret = data.secret()
    if secret is not None:
        provider.secret_sealed = sealer.seal(secret, context=str(provider.id))


def _icon(data: ProviderBase, field: str) -> dict[str, str] | None:
    icon = getattr(data, field)
    return icon.model_dump(mode="json", exclude_none=True) if icon is not None else None


async def _check_provider(
    session: AsyncSession, policy: OutboundPolicy, provider: IdentityProvider, data: ProviderBase
) -> None:
    if data.secret() is None and data.secret_required() and provider.secret_sealed is None:
        raise required_value(data.secret_target())
    for target, url in data.outbound_urls().items():
        problem = url_problem(url, allow_http=policy.allow_http)
        if problem:
            raise invalid_value(target, problem)
    await _ensure_unique_name(session, provider, data.name)
    if data.registration is not None:
        await _check_population(session, provider.environment_id, data.registration.population.id)
    if isinstance(data, SamlProvider):
        await _check_saml(session, provider.environment_id, data)


async def _ensure_unique_name(session: AsyncSession, provider: IdentityProvider, name: str) -> None:
    clash = await session.scalar(
        sa.select(IdentityProvider.id).where(
            IdentityProvider.environment_id == provider.environment_id,
            sa.func.lower(IdentityProvider.name) == name.lower(),
            IdentityProvider.id != provider.id,
        )
    )
    if clash is not None:
        raise uniqueness_violation(
            "name", f"An identity provider named {name!r} already exists.", clash
        )


async def _check_population(
    session: AsyncSession, environment_id: uuid.UUID, population_id: uuid.UUID
) -> None:
    population = await session.get(Population, population_id)
    if population is None or population.environment_id != environment_id:
        raise invalid_value(
            "registration.population.id",
            f"{population_id} is not a population of this environment.",
        )


async def _check_saml(session: AsyncSession, environment_id: uuid.UUID, data: SamlProvider) -> None:
    wanted = {ref.id for ref in data.idp_verification.certificates}
    found = set(
        await session.scalars(
            sa.select(Certificate.id).where(
                Certificate.environment_id == environment_id, Certificate.id.in_(wanted)
            )
        )
    )
    if wanted - found:
        unknown = ", ".join(sorted(str(item) for item in wanted - found))
        raise invalid_value(
            "idpVerification.certificates", f"{unknown}: not certificates of this environment."
        )
    if data.sp_signing is None:
        if data.authn_request_signed:
            raise invalid_value("spSigning", "Signed authentication requests need spSigning.")
        return
    key = await session.get(SigningKey, data.sp_signing.key.id)
    if key is None or key.environment_id != environment_id or key.usage_type != "SIGNING":
        raise invalid_value("spSigning.key.id", "This is not a SIGNING key of this environment.")
    if data.sp_signing.algorithm is None:
        data.sp_signing.algorithm = key.signature_algorithm  # type: ignore[assignment]
    elif not data.sp_signing.algorithm.endswith("RSA" if key.key_type == "RSA" else "ECDSA"):
        raise invalid_value(
            "spSigning.algorithm", f"The key is an {key.key_type} key: choose a matching algorithm."
        )


# Attribute mappings


async def list_mappings(
    session: AsyncSession, provider: IdentityProvider
) -> Sequence[IdentityProviderAttribute]:
    rows = await session.scalars(
        sa.select(IdentityProviderAttribute)
        .where(IdentityProviderAttribute.identity_provider_id == provider.id)
        .order_by(IdentityProviderAttribute.created_at, IdentityProviderAttribute.id)
    )
    return rows.all()


async def get_mapping(
    session: AsyncSession, provider: IdentityProvider, mapping_id: uuid.UUID
) -> IdentityProviderAttribute:
    mapping = await session.get(IdentityProviderAttribute, mapping_id)
    if mapping is None or mapping.identity_provider_id != provider.id:
        raise not_found()
    return mapping


async def create_mapping(
    session: AsyncSession, provider: IdentityProvider, data: AttributeMappingBody
) -> IdentityProviderAttribute:
    if data.mapping_type not in (None, CUSTOM):
        raise invalid_value(
            "mappingType",
            "Only CUSTOM mappings can be created: the CORE one comes with the provider.",
        )
    await _check_mapping(session, provider, data, None)
    mapping = IdentityProviderAttribute(
        environment_id=provider.environment_id,
        identity_provider_id=provider.id,
        name=data.name,
        value=data.value,
        update_mode=data.update,
        mapping_type=CUSTOM,
    )
    session.add(mapping)
    await session.flush()
    return mapping


async def update_mapping(
    session: AsyncSession,
    provider: IdentityProvider,
    mapping_id: uuid.UUID,
    data: AttributeMappingBody,
) -> IdentityProviderAttribute:
    """The CORE mapping keeps its name and update: only its value changes."""
    mapping = await get_mapping(session, provider, mapping_id)
    if data.mapping_type not in (None, mapping.mapping_type):
        raise invalid_value("mappingType", "The type of a mapping cannot be changed.")
    await _check_mapping(session, provider, data, mapping)
    mapping.name = data.name
    mapping.value = data.value
    mapping.update_mode = data.update
    mapping.updated_at = clock.now()
    await session.flush()
    return mapping


async def delete_mapping(
    session: AsyncSession, provider: IdentityProvider, mapping_id: uuid.UUID
) -> None:
    mapping = await get_mapping(session, provider, mapping_id)
    if mapping.mapping_type == CORE:
        raise request_failed(
            f"The CORE mapping {mapping.name!r} comes with the provider: its value can be "
            "changed, but it cannot be deleted."
        )
    await session.delete(mapping)
    await session.flush()


async def mapping_rules(session: AsyncSession, provider: IdentityProvider) -> list[mappings.Rule]:
    """The provider's mappings, ready for mappings.evaluate."""
    return [
        mappings.Rule(
            mapping.name, mappings.parse(mapping.value, provider.type), mapping.update_mode
        )
        for mapping in await list_mappings(session, provider)
    ]


async def _check_mapping(
    session: AsyncSession,
    provider: IdentityProvider,
    data: AttributeMappingBody,
    current: IdentityProviderAttribute | None,
) -> None:
    if current is not None and current.mapping_type == CORE:
        if data.name != current.name:
            raise invalid_value("name", f"The name of the CORE {current.name!r} mapping is fixed.")
        if data.update != current.update_mode:
            raise invalid_value(
                "update", f"The update of the CORE {current.name!r} mapping is fixed."
            )
    else:
        custom = await custom_attribute_types(session, provider.environment_id)
        problem = mappings.name_problem(data.name, custom)
        if problem:
            raise invalid_value("name", problem)
    try:
        mappings.parse(data.value, provider.type)
    except mappings.MappingError as error:
        raise invalid_value("value", str(error)) from None
    clash = await session.scalar(
        sa.select(IdentityProviderAttribute.id).where(
            IdentityProviderAttribute.identity_provider_id == provider.id,
            IdentityProviderAttribute.name == data.name,
        )
    )
    if clash is not None and (current is None or clash != current.id):
        raise uniqueness_violation(
            "name", f"The provider already maps the attribute {data.name!r}.", clash
        )
