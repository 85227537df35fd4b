"""Signing on through an external identity provider (pingone/04 section 5 IDENTITY_PROVIDER and
LOGIN socialProviders, pingone/09 EXTERNAL_AUTHENTICATION_REQUIRED).

    IDENTITY_PROVIDER --start--> EXTERNAL_AUTHENTICATION_REQUIRED
        (the browser follows _links.authenticate to the provider; /rp/callback ends the action)
    LOGIN with socialProviders: USERNAME_PASSWORD_REQUIRED lists them in _embedded.socialProviders,
        each with its own authenticate link; the password path stays available.

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
    USERNAME_PASSWORD_REQUIRED,
)

FEDERATED = "fed"


def provider_ids(step: Step) -> list[str]:
    """The providers the current action offers: its identityProvider, or a LOGIN action's
    socialProviders."""
    if step.action is None:
        return []
    if step.action.type == "IDENTITY_PROVIDER":
        provider = (step.config.get("identityProvider") or {}).get("id")
        return [str(provider)] if provider else []
    if step.action.type == "LOGIN":
        return [
            str(item["id"]) for item in step.config.get("socialProviders") or [] if "id" in item
        ]
    return []


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
    ids = provider_ids(step)
    provider = await offered_provider(step, ids[0]) if ids else None
    if provider is None:
        return step.fail(
            "IDENTITY_PROVIDER_NOT_AVAILABLE",
            "The sign-on policy's identity provider does not exist or is disabled.",
        )
    return EXTERNAL_AUTHENTICATION_REQUIRED


def authenticate_href(auth_base: str, step: Step, provider_id: str) -> str:
    query = urlencode({"flowId": str(step.flow.id), "identityProviderId": provider_id})
    return f"{auth_base}/{step.flow.environment_id}/rp/authenticate?{query}"


def provider_view(provider: IdentityProvider, href: str) -> dict[str, Any]:
    view: dict[str, Any] = {"id": str(provider.id), "type": provider.type, "name": provider.name}
    if provider.login_button_icon:
        view["loginButtonIcon"] = provider.login_button_icon
    view["_links"] = {"authenticate": {"href": href}}
    return view


async def identity_provider(step: Step) -> dict[str, Any]:
    """EXTERNAL_AUTHENTICATION_REQUIRED: the provider and (for the flow's links) where to go."""
    ids = provider_ids(step)
    provider = await offered_provider(step, ids[0]) if ids else None
    if provider is None:
        return {}
    href = authenticate_href(step.auth_base, step, str(provider.id))
    return {
        "identityProvider": provider_view(provider, href),
        "_links": {"authenticate": {"href": href}},
    }


async def social_providers(step: Step) -> dict[str, Any]:
    """USERNAME_PASSWORD_REQUIRED of a LOGIN action with socialProviders."""
    if step.action is None or step.action.type != "LOGIN":
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
}
