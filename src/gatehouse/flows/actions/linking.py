"""What a sign-on does with the person an external provider signed on (pingone/09
ACCOUNT_CONFIRMATION_REQUIRED and ACCOUNT_LINKING_REQUIRED; the callback calls
`identity_received`).

1. A user linked to the provider's subject signs on (the mappings applied again).
2. Otherwise, when the action's `registration.confirmIdentityProviderAttributes` is true (LOGIN,
   IDENTIFIER_FIRST): ACCOUNT_CONFIRMATION_REQUIRED shows the mapped attributes in
   `_embedded.user`; `user.confirm` takes them back (changed or not; only those names). A local
   user (identityProvider PING_ONE) with the confirmed username or e-mail address leads to
   ACCOUNT_LINKING_REQUIRED; else the user is created and linked.
3. Otherwise, when users may be created (the provider's registration.population, or the action's
   registration enabled), the user is created in that population and linked; a username that is
   an existing user's leads to ACCOUNT_LINKING_REQUIRED.
4. Otherwise ACCOUNT_LINKING_REQUIRED.

ACCOUNT_LINKING_REQUIRED (`_embedded.identityProvider`): `usernamePassword.check` with a local
user's username and password links that user to the provider's subject and signs them on (both
`pwd` and `fed`); a wrong password is refused as at LOGIN. Which local users match is never
shown. The provider's answer waits sealed in the flow state.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa

from gatehouse.common.errors import Detail, Problem, invalid_data, required_value
from gatehouse.directory.models import User
from gatehouse.directory.passwords.service import LOCAL_IDENTITY_PROVIDER, VALIDATION_MESSAGE
from gatehouse.federation import provisioning
from gatehouse.federation.models import IdentityProvider
from gatehouse.federation.signon import SignOnError
from gatehouse.flows.actions import common, external
from gatehouse.flows.context import Step, Transition, find_user
from gatehouse.flows.schemas import ProfileUpdate, UsernamePasswordCheck
from gatehouse.flows.statuses import (
    ACCOUNT_CONFIRMATION_REQUIRED,
    ACCOUNT_LINKING_REQUIRED,
    ACTION_COMPLETED,
    USER_CONFIRM,
    USERNAME_PASSWORD_CHECK,
)

PENDING = "federatedIdentity"  # flow state: the provider's answer, sealed
FAILURE = "EXTERNAL_AUTHENTICATION_FAILED"


async def identity_received(
    step: Step, provider: IdentityProvider, subject: str, attributes: dict[str, Any]
) -> str:
    """The flow's next status, or ACTION_COMPLETED once the user signed on."""
    try:
        user = await provisioning.linked_user(step.session, provider, subject)
        if user is not None:
            await provisioning.update(step.session, provider, user, attributes)
            return _signed_on(step, user)
        values = await provisioning.mapped_values(step.session, provider, attributes)
        _keep(step, provider, subject, attributes, values)
        if _confirmation_asked(step):
            return ACCOUNT_CONFIRMATION_REQUIRED
        allowed, population = _provisioning(step, provider)
        if not allowed:
            return ACCOUNT_LINKING_REQUIRED
        return await _create(step, provider, subject, values, population)
    except SignOnError as failure:
        return step.fail(FAILURE, failure.message)


async def confirm(step: Step, body: ProfileUpdate) -> str | Problem:
    """user.confirm: the attributes as the person wants them."""
    pending = _pending(step)
    values = dict(pending["values"])
    given = provisioning.flattened(body.model_extra or {})
    refused = [
        Detail("INVALID_VALUE", "This attribute cannot be confirmed.", name)
        for name in sorted(given)
        if name not in values or isinstance(given[name], list | dict)
    ]
    if refused:
        return invalid_data(VALIDATION_MESSAGE, *refused)
    values.update({name: value for name, value in given.items() if value not in (None, "")})
    provider = await _provider(step, pending)
    if await _matching_local_user(step, values):
        _keep(step, provider, pending["subject"], pending["attributes"], values)
        return ACCOUNT_LINKING_REQUIRED
    _, population = _provisioning(step, provider)
    try:
        return await _create(step, provider, pending["subject"], values, population)
    except provisioning.InvalidAttributes as invalid:
        return invalid.problem  # the person may correct them
    except SignOnError as failure:
        return step.fail(FAILURE, failure.message)


async def link_account(step: Step, body: UsernamePasswordCheck) -> str | Problem:
    """usernamePassword.check in ACCOUNT_LINKING_REQUIRED: prove a local account, link it."""
    pending = _pending(step)
    if not body.username:
        raise required_value("username")
    user = await find_user(step, body.username)
    refusal = await common.check_password(step, user, body.password)
    if refusal is not None:
        return refusal
    assert user is not None
    provider = await _provider(step, pending)
    try:
        async with step.session.begin_nested():
            await provisioning.link(step.session, provider, user, pending["subject"])
            await provisioning.update(step.session, provider, user, pending["attributes"])
    except SignOnError as failure:
        return invalid_data(VALIDATION_MESSAGE, Detail("INVALID_VALUE", failure.message))
    step.authenticated("pwd")
    return _signed_on(step, user)


async def linking_view(step: Step) -> dict[str, Any]:
    """ACCOUNT_LINKING_REQUIRED: which provider the account is linked to."""
    return await _provider_view(step)


async def confirmation_view(step: Step) -> dict[str, Any]:
    """ACCOUNT_CONFIRMATION_REQUIRED: the attributes to confirm, as a user document."""
    view = await _provider_view(step)
    sealed = step.state.get(PENDING)
    if isinstance(sealed, str):
        view["user"] = provisioning.nested(_pending(step)["values"])
    return view


async def _provider_view(step: Step) -> dict[str, Any]:
    """`_embedded.identityProvider` while the provider is still there (rendering never fails)."""
    sealed = step.state.get(PENDING)
    if not isinstance(sealed, str):
        return {}
    pending = _pending(step)
    provider = await step.session.get(IdentityProvider, uuid.UUID(pending["provider"]))
    if provider is None:
        return {}
    return {
        "identityProvider": {"id": str(provider.id), "type": provider.type, "name": provider.name}
    }


# --- helpers -----------------------------------------------------------------------------------


def _signed_on(step: Step, user: User) -> str:
    step.identify(user)
    step.authenticated(external.FEDERATED)
    _forget(step)
    return ACTION_COMPLETED


async def _create(
    step: Step,
    provider: IdentityProvider,
    subject: str,
    values: dict[str, Any],
    population: str | None,
) -> str:
    try:
        user = await provisioning.provision(
            step.session, step.runtime, provider, subject, values, population
        )
    except provisioning.UsernameTaken:
        return ACCOUNT_LINKING_REQUIRED
    return _signed_on(step, user)


def _confirmation_asked(step: Step) -> bool:
    registration = step.config.get("registration") or {}
    return bool(registration.get("confirmIdentityProviderAttributes"))


def _provisioning(step: Step, provider: IdentityProvider) -> tuple[bool, str | None]:
    """Whether users may be created, and in which population (None: the provider's or the
    environment's default)."""
    if provider.population_id is not None:
        return True, None
    registration = step.config.get("registration") or {}
    if not registration.get("enabled") or registration.get("external"):
        return False, None
    return True, external.registration_population(step)


async def _matching_local_user(step: Step, values: dict[str, Any]) -> bool:
    username, email = values.get("username"), values.get("email")
    if username and await find_user(step, str(username)) is not None:
        return True
    if not email:
        return False
    found = await step.session.scalar(
        sa.select(User.id).where(
            User.environment_id == step.flow.environment_id,
            User.identity_provider_type == LOCAL_IDENTITY_PROVIDER,
            sa.func.lower(User.email) == str(email).lower(),
        )
    )
    return found is not None


def _keep(
    step: Step,
    provider: IdentityProvider,
    subject: str,
    attributes: dict[str, Any],
    values: dict[str, Any],
) -> None:
    document = {
        "provider": str(provider.id),
        "subject": subject,
        "attributes": attributes,
        "values": values,
    }
    sealed = step.runtime.sealer.seal(json.dumps(document), context=str(step.flow.id))
    step.keep(**{PENDING: sealed})


def _pending(step: Step) -> dict[str, Any]:
    sealed = step.state.get(PENDING)
    if not isinstance(sealed, str):
        raise Problem(400, "INVALID_REQUEST", "The flow has no external identity to link.")
    return json.loads(step.runtime.sealer.unseal(sealed, context=str(step.flow.id)))


def _forget(step: Step) -> None:
    step.flow.state = {key: value for key, value in step.state.items() if key != PENDING}


async def _provider(step: Step, pending: dict[str, Any]) -> IdentityProvider:
    provider = await step.session.get(IdentityProvider, uuid.UUID(pending["provider"]))
    if provider is None or not provider.enabled:
        raise Problem(400, "REQUEST_FAILED", "The identity provider is no longer available.")
    return provider


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (ACCOUNT_CONFIRMATION_REQUIRED, USER_CONFIRM): Transition(ProfileUpdate, confirm),
    (ACCOUNT_LINKING_REQUIRED, USERNAME_PASSWORD_CHECK): Transition(
        UsernamePasswordCheck, link_account
    ),
}
EMBEDDED = {
    ACCOUNT_LINKING_REQUIRED: linking_view,
    ACCOUNT_CONFIRMATION_REQUIRED: confirmation_view,
}
