"""Signing on through an external identity provider (pingone/04 section 5 IDENTITY_PROVIDER and
LOGIN socialProviders, pingone/09 EXTERNAL_AUTHENTICATION_REQUIRED).

    IDENTITY_PROVIDER --start--> EXTERNAL_AUTHENTICATION_REQUIRED
        (the browser follows _links.authenticate to the provider; /rp/callback ends the action)
    LOGIN with socialProviders: USERNAME_PASSWORD_REQUIRED lists them in _embedded.socialProviders,
        each with its own authenticate link; the password path stays available. IDENTIFIER_FIRST
        lists its socialProviders the same way in SIGN_ON_REQUIRED.
    IDENTIFIER_FIRST discoveryRules: an identifier that names no user of the environment and
        contains a rule's `condition.contains` (ignoring case; rules in order) sends the flow to
        EXTERNAL_AUTHENTICATION_REQUIRED with that rule's provider (`discover`), the identifier
        going upstream as an OpenID Connect login_hint.

The round trip itself (federation.signon) and the callback (federation.callback_routes) finish
the action with `external_sign_on_done`. A federated sign-on is recorded as the RFC 8176 method
`fed` (so the session's and ID token's amr contain "fed").
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from gatehouse.federation.models import IdentityProvider
from gatehouse.flows.context import Start, Step
from gatehouse.flows.statuses import (
    EXTERNAL_AUTHENTICATION_REQUIRED,
    SIGN_ON_REQUIRED,
    USERNAME_PASSWORD_REQUIRED,
)

FEDERATED = "fed"
DISCOVERED = "discoveredProvider"  # flow state: the provider a discovery rule chose
WITH_SOCIAL_PROVIDERS = frozenset({"LOGIN", "IDENTIFIER_FIRST"})


def provider_ids(step: Step) -> list[str]:
    """The providers the current action offers: its identityProvider, or a LOGIN or
    IDENTIFIER_FIRST action's socialProviders (and the one its discovery rules chose)."""
    if step.action is None:
        return []
    current = current_provider_id(step)
    if step.action.type not in WITH_SOCIAL_PROVIDERS:
        return [current] if current else []
    social = [str(item["id"]) for item in step.config.get("socialProviders") or [] if "id" in item]
    return [*social, current] if current else social


def current_provider_id(step: Step) -> str | None:
    """The provider of EXTERNAL_AUTHENTICATION_REQUIRED: the IDENTITY_PROVIDER action's, or the
    one IDENTIFIER_FIRST discovered."""
    if step.action is None:
        return None
    if step.action.type == "IDENTITY_PROVIDER":
        provider = (step.config.get("identityProvider") or {}).get("id")
        return str(provider) if provider else None
    discovered = step.state.get(DISCOVERED)
    return str(discovered) if discovered else None


def login_hint(step: Step) -> str | None:
    """What goes upstream as login_hint: the identifier a discovery rule routed, or (an
    IDENTITY_PROVIDER action with passUserContext) the application's login_hint."""
    if step.state.get(DISCOVERED):
        return step.state.get("username")
    if step.action is not None and step.config.get("passUserContext"):
        return step.flow.request.get("login_hint")
    return None


def acr_values(step: Step) -> str | None:
    """An IDENTITY_PROVIDER action's acrValues, asked of an OpenID Connect provider."""
    if step.action is None or step.action.type != "IDENTITY_PROVIDER":
        return None
    value = step.config.get("acrValues")
    return str(value) if value else None


def registration_population(step: Step) -> str | None:
    """The population the action's registration names (where a provider without its own
    registration.population provisions users)."""
    registration = step.config.get("registration") or {}
    population = (registration.get("population") or {}).get("id")
    return str(population) if registration.get("enabled") and population else None


def discovered_provider(step: Step, identifier: str) -> str | None:
    """The provider of the first discovery rule whose `contains` the identifier contains."""
    folded = identifier.casefold()
    for rule in step.config.get("discoveryRules") or []:
        contains = str((rule.get("condition") or {}).get("contains") or "")
        provider = (rule.get("identityProvider") or {}).get("id")
        if contains and provider and contains.casefold() in folded:
            return str(provider)
    return None


async def discover(step: Step, provider_id: str) -> str:
    step.keep(**{DISCOVERED: provider_id})
    if await offered_provider(step, provider_id) is None:
        return step.fail(
            "IDENTITY_PROVIDER_NOT_AVAILABLE",
            "The identity provider for this identifier does not exist or is disabled.",
        )
    return EXTERNAL_AUTHENTICATION_REQUIRED


async def offered_provider(step: Step, provider_id: str) -> IdentityProvider | None:
    """The enabled provider of the flow's environment, if the current action offers it."""
    if provider_id not in provider_ids(step):
        return None
    try:
        parsed = uuid.UUID(provider_id)
    except ValueError:
        return None
    provider = await step.session.get(IdentityProvider, parsed)
    if provider is None or provider.environment_id != step.flow.environment_id:
        return None
    return provider if provider.enabled else None


async def start(step: Step) -> str:
    current = current_provider_id(step)
    provider = await offered_provider(step, current) if current else None
    if provider is None:
        return step.fail(
            "IDENTITY_PROVIDER_NOT_AVAILABLE",
            "The sign-on policy's identity provider does not exist or is disabled.",
        )
    return EXTERNAL_AUTHENTICATION_REQUIRED


def authenticate_href(auth_base: str, step: Step, provider_id: str) -> str:
    query = urlencode({"providerId": provider_id, "flowId": str(step.flow.id)})
    return f"{auth_base}/{step.flow.environment_id}/rp/authenticate?{query}"


def provider_view(provider: IdentityProvider, href: str) -> dict[str, Any]:
    view: dict[str, Any] = {"id": str(provider.id), "type": provider.type, "name": provider.name}
    if provider.login_button_icon:
        view["loginButtonIcon"] = provider.login_button_icon
    view["_links"] = {"authenticate": {"href": href}}
    return view


async def identity_provider(step: Step) -> dict[str, Any]:
    """EXTERNAL_AUTHENTICATION_REQUIRED: the provider and (for the flow's links) where to go."""
    current = current_provider_id(step)
    provider = await offered_provider(step, current) if current else None
    if provider is None:
        return {}
    href = authenticate_href(step.auth_base, step, str(provider.id))
    return {
        "identityProvider": provider_view(provider, href),
        "_links": {"authenticate": {"href": href}},
    }


async def social_providers(step: Step) -> dict[str, Any]:
    """USERNAME_PASSWORD_REQUIRED (LOGIN) or SIGN_ON_REQUIRED (IDENTIFIER_FIRST) with
    socialProviders."""
    if step.action is None or step.action.type not in WITH_SOCIAL_PROVIDERS:
        return {}
    views = []
    for provider_id in provider_ids(step):
        provider = await offered_provider(step, provider_id)
        if provider is not None:
            href = authenticate_href(step.auth_base, step, provider_id)
            views.append(provider_view(provider, href))
    return {"socialProviders": views} if views else {}


START: dict[str, Start] = {"IDENTITY_PROVIDER": start}
EMBEDDED = {
    EXTERNAL_AUTHENTICATION_REQUIRED: identity_provider,
    USERNAME_PASSWORD_REQUIRED: social_providers,
    SIGN_ON_REQUIRED: social_providers,
}
