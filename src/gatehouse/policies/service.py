"""Sign-on policies, their actions, and their assignment to applications (pingone/04).

Rules chosen where PingOne's reference is silent:
- One policy per environment is the default. Making a policy the default unsets the previous one;
  the default cannot be deleted, nor stop being the default other than by making another policy
  the default.
- Action priorities are unique within a policy: a second action with a taken priority is refused
  (UNIQUENESS_VIOLATION on `priority`) rather than renumbering the others. An action's type cannot
  change; delete it and create another.
- Deleting a policy deletes its actions and its assignments to applications.
- References are checked against the environment (an id of another environment is unknown):
  populations (`registration.population`), applications (MFA `applications`), user attributes
  (progressive profiling), MFA policies (`deviceAuthenticationPolicy`) and identity providers
  (`identityProvider`, `socialProviders`, `discoveryRules[].identityProvider`); an unknown one is
  INVALID_DATA on its field. Agreements and LDAP gateways are not served yet: their ids are
  accepted as given. An MFA policy or identity provider that an action names cannot be deleted
  (`policies_naming`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from gatehouse.applications.models import Application
from gatehouse.common.defaults import apply_default, make_default, refuse_deleting_default
from gatehouse.common.errors import (
    invalid_value,
    not_found,
    request_failed,
    uniqueness_violation,
)
from gatehouse.directory.models import Population, SchemaAttribute
from gatehouse.federation.models import IdentityProvider
from gatehouse.mfa.models import DeviceAuthenticationPolicy
from gatehouse.policies.models import SignOnPolicy, SignOnPolicyAction, SignOnPolicyAssignment
from gatehouse.policies.schemas import (
    ActionBase,
    AgreementAction,
    IdentifierFirstAction,
    IdentityProviderAction,
    LoginAction,
    MultiFactorAuthenticationAction,
    ProgressiveProfilingAction,
    SignOnPolicyAssignmentBody,
    SignOnPolicyCreate,
    SignOnPolicyUpdate,
)
from gatehouse.store import config_cache

# PingOne's core user attributes, by the names progressive profiling prompts for.
CORE_USER_ATTRIBUTES = frozenset(
    {
        "accountId",
        "address.countryCode",
        "address.locality",
        "address.postalCode",
        "address.region",
        "address.streetAddress",
        "email",
        "externalId",
        "locale",
        "mobilePhone",
        "name.family",
        "name.formatted",
        "name.given",
        "name.honorificPrefix",
        "name.honorificSuffix",
        "name.middle",
        "nickname",
        "photo.href",
        "preferredLanguage",
        "primaryPhone",
        "timezone",
        "title",
        "type",
        "username",
    }
)


def _other_than(id_column: Any, own_id: uuid.UUID | None) -> sa.ColumnElement[bool]:
    """Uniqueness checks on update skip the row being updated."""
    return id_column != own_id if own_id is not None else sa.true()


# --- policies -----------------------------------------------------------------------------------


async def list_policies(session: AsyncSession, environment_id: uuid.UUID) -> Sequence[SignOnPolicy]:
    stmt = (
        sa.select(SignOnPolicy)
        .where(SignOnPolicy.environment_id == environment_id)
        .order_by(SignOnPolicy.created_at, SignOnPolicy.id)
    )
    return (await session.scalars(stmt)).all()


async def get_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: uuid.UUID
) -> SignOnPolicy:
    policy = await _find_policy(session, environment_id, policy_id)
    if policy is None:
        raise not_found()
    return policy


async def create_policy(
    session: AsyncSession, environment_id: uuid.UUID, data: SignOnPolicyCreate
) -> SignOnPolicy:
    await _ensure_unique_name(session, environment_id, data.name)
    policy = SignOnPolicy(
        environment_id=environment_id, name=data.name, description=data.description
    )
    session.add(policy)
    await session.flush()
    if data.default:
        await make_default(session, policy)
    return policy


async def update_policy(
    session: AsyncSession, policy: SignOnPolicy, data: SignOnPolicyUpdate
) -> SignOnPolicy:
    await _ensure_unique_name(session, policy.environment_id, data.name, policy.id)
    await apply_default(session, policy, data.default, "sign-on policy")
    policy.name = data.name
    policy.description = data.description
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy: SignOnPolicy) -> None:
    refuse_deleting_default(policy, "sign-on policy")
    await session.delete(policy)
    await session.flush()


async def _find_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: uuid.UUID
) -> SignOnPolicy | None:
    policy = await session.get(SignOnPolicy, policy_id)
    return policy if policy is not None and policy.environment_id == environment_id else None


async def _ensure_unique_name(
    session: AsyncSession, environment_id: uuid.UUID, name: str, own_id: uuid.UUID | None = None
) -> None:
    clash = await session.scalar(
        sa.select(SignOnPolicy.id).where(
            SignOnPolicy.environment_id == environment_id,
            sa.func.lower(SignOnPolicy.name) == name.lower(),
            _other_than(SignOnPolicy.id, own_id),
        )
    )
    if clash is not None:
        raise uniqueness_violation(
            "name", f"A sign-on policy named {name!r} already exists.", clash
        )


# --- actions ------------------------------------------------------------------------------------


async def list_actions(session: AsyncSession, policy: SignOnPolicy) -> Sequence[SignOnPolicyAction]:
    stmt = (
        sa.select(SignOnPolicyAction)
        .where(
            SignOnPolicyAction.environment_id == policy.environment_id,
            SignOnPolicyAction.policy_id == policy.id,
        )
        .order_by(SignOnPolicyAction.priority, SignOnPolicyAction.created_at)
    )
    return (await session.scalars(stmt)).all()


async def get_action(
    session: AsyncSession, policy: SignOnPolicy, action_id: uuid.UUID
) -> SignOnPolicyAction:
    action = await session.get(SignOnPolicyAction, action_id)
    if action is None or action.policy_id != policy.id:
        raise not_found()
    return action


async def create_action(
    session: AsyncSession, policy: SignOnPolicy, data: ActionBase
) -> SignOnPolicyAction:
    await _check_action(session, policy, data)
    action = SignOnPolicyAction(
        environment_id=policy.environment_id,
        policy_id=policy.id,
        type=data.type,
        priority=data.priority,
        condition=data.condition,
        config=data.config(),
    )
    session.add(action)
    await session.flush()
    return action


async def update_action(
    session: AsyncSession, policy: SignOnPolicy, action: SignOnPolicyAction, data: ActionBase
) -> SignOnPolicyAction:
    if data.type != action.type:
        raise invalid_value(
            "type",
            f"An action's type cannot change (it is {action.type}); delete it and create another.",
        )
    await _check_action(session, policy, data, action.id)
    action.priority = data.priority
    action.condition = data.condition
    action.config = data.config()
    await session.flush()
    return action


async def delete_action(session: AsyncSession, action: SignOnPolicyAction) -> None:
    await session.delete(action)
    await session.flush()


async def _check_action(
    session: AsyncSession,
    policy: SignOnPolicy,
    data: ActionBase,
    own_id: uuid.UUID | None = None,
) -> None:
    clash = await session.scalar(
        sa.select(SignOnPolicyAction.id).where(
            SignOnPolicyAction.policy_id == policy.id,
            SignOnPolicyAction.priority == data.priority,
            _other_than(SignOnPolicyAction.id, own_id),
        )
    )
    if clash is not None:
        raise uniqueness_violation(
            "priority", f"Another action of this policy has priority {data.priority}.", clash
        )
    for check in _REFERENCE_CHECKS.get(type(data), ()):
        await check(session, policy.environment_id, data)


async def _registration_population(
    session: AsyncSession, environment_id: uuid.UUID, data: Any
) -> None:
    registration = data.registration
    if registration is not None and registration.population is not None:
        await _known(
            session,
            Population,
            environment_id,
            [registration.population.id],
            "registration.population.id",
            "population",
        )


async def _mfa_policy(session: AsyncSession, environment_id: uuid.UUID, data: Any) -> None:
    if data.device_authentication_policy is not None:
        await _known(
            session,
            DeviceAuthenticationPolicy,
            environment_id,
            [data.device_authentication_policy.id],
            "deviceAuthenticationPolicy.id",
            "MFA policy",
        )


async def _identity_provider(session: AsyncSession, environment_id: uuid.UUID, data: Any) -> None:
    await _known(
        session,
        IdentityProvider,
        environment_id,
        [data.identity_provider.id],
        "identityProvider.id",
        "identity provider",
    )


async def _social_providers(session: AsyncSession, environment_id: uuid.UUID, data: Any) -> None:
    ids = [provider.id for provider in data.social_providers or ()]
    await _known(
        session, IdentityProvider, environment_id, ids, "socialProviders.id", "identity provider"
    )


async def _discovery_rules(session: AsyncSession, environment_id: uuid.UUID, data: Any) -> None:
    ids = [rule.identity_provider.id for rule in data.discovery_rules or ()]
    await _known(
        session,
        IdentityProvider,
        environment_id,
        ids,
        "discoveryRules.identityProvider.id",
        "identity provider",
    )


async def _known(
    session: AsyncSession,
    model: type[Population] | type[DeviceAuthenticationPolicy] | type[IdentityProvider],
    environment_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    target: str,
    what: str,
) -> None:
    """INVALID_DATA on `target` unless every one of `ids` is a `model` of the environment."""
    wanted = set(ids)
    if not wanted:
        return
    found = set(
        await session.scalars(
            sa.select(model.id).where(model.environment_id == environment_id, model.id.in_(wanted))
        )
    )
    missing = sorted(str(missing_id) for missing_id in wanted - found)
    if missing:
        raise invalid_value(target, f"No {what} {', '.join(missing)} exists in this environment.")


async def _mfa_applications(session: AsyncSession, environment_id: uuid.UUID, data: Any) -> None:
    wanted = {application.id for application in data.applications or ()}
    if not wanted:
        return
    found = set(
        await session.scalars(
            sa.select(Application.id).where(
                Application.environment_id == environment_id, Application.id.in_(wanted)
            )
        )
    )
    missing = sorted(str(application_id) for application_id in wanted - found)
    if missing:
        raise invalid_value(
            "applications.id", f"No application {', '.join(missing)} exists in this environment."
        )


async def _profile_attributes(session: AsyncSession, environment_id: uuid.UUID, data: Any) -> None:
    names = [attribute.name for attribute in data.attributes]
    custom = set(
        await session.scalars(
            sa.select(SchemaAttribute.name).where(
                SchemaAttribute.environment_id == environment_id,
                SchemaAttribute.enabled.is_(True),
                SchemaAttribute.name.in_(names),
            )
        )
    )
    unknown = [name for name in names if name not in CORE_USER_ATTRIBUTES and name not in custom]
    if unknown:
        raise invalid_value(
            "attributes.name",
            f"Not a user attribute of this environment: {', '.join(unknown)}.",
        )


Check = Callable[[AsyncSession, uuid.UUID, Any], Awaitable[None]]
_REFERENCE_CHECKS: dict[type[ActionBase], tuple[Check, ...]] = {
    LoginAction: (_registration_population, _social_providers),
    IdentifierFirstAction: (_registration_population, _social_providers, _discovery_rules),
    IdentityProviderAction: (_identity_provider, _registration_population),
    MultiFactorAuthenticationAction: (_mfa_policy, _mfa_applications),
    ProgressiveProfilingAction: (_profile_attributes,),
    AgreementAction: (),  # agreements are not served yet: agreement.id is accepted as given
}


async def policies_naming(
    session: AsyncSession,
    environment_id: uuid.UUID,
    target_id: uuid.UUID,
    referenced: Callable[[str, Any], set[str]],
) -> list[str]:
    """The names of the environment's sign-on policies with an action that names `target_id`
    among the ids `referenced(type, config)` finds in it."""
    rows = await session.execute(
        sa.select(SignOnPolicy.name, SignOnPolicyAction.type, SignOnPolicyAction.config)
        .join(SignOnPolicy, SignOnPolicy.id == SignOnPolicyAction.policy_id)
        .where(SignOnPolicyAction.environment_id == environment_id)
    )
    needle = str(target_id)
    return sorted(
        {name for name, kind, config in rows.tuples() if needle in referenced(kind, config)}
    )


def _ref_id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else None


def named_mfa_policies(kind: str, config: Any) -> set[str]:
    """The MFA policy ids an action names."""
    if kind != "MULTI_FACTOR_AUTHENTICATION":
        return set()
    return {found} if (found := _ref_id(config.get("deviceAuthenticationPolicy"))) else set()


def named_identity_providers(kind: str, config: Any) -> set[str]:
    """The identity provider ids an action names (identityProvider, socialProviders,
    discoveryRules)."""
    refs = [config.get("identityProvider"), *(config.get("socialProviders") or ())]
    refs += [rule.get("identityProvider") for rule in config.get("discoveryRules") or ()]
    return {found for ref in refs if (found := _ref_id(ref))}


# --- assignments --------------------------------------------------------------------------------


async def get_application(
    session: AsyncSession, environment_id: uuid.UUID, application_id: uuid.UUID
) -> Application:
    application = await session.get(Application, application_id)
    if application is None or application.environment_id != environment_id:
        raise not_found()
    return application


async def list_assignments(
    session: AsyncSession, application: Application
) -> Sequence[SignOnPolicyAssignment]:
    stmt = (
        sa.select(SignOnPolicyAssignment)
        .where(
            SignOnPolicyAssignment.environment_id == application.environment_id,
            SignOnPolicyAssignment.application_id == application.id,
        )
        .order_by(SignOnPolicyAssignment.priority, SignOnPolicyAssignment.created_at)
    )
    return (await session.scalars(stmt)).all()


async def get_assignment(
    session: AsyncSession, application: Application, assignment_id: uuid.UUID
) -> SignOnPolicyAssignment:
    assignment = await session.get(SignOnPolicyAssignment, assignment_id)
    if assignment is None or assignment.application_id != application.id:
        raise not_found()
    return assignment


async def create_assignment(
    session: AsyncSession, application: Application, data: SignOnPolicyAssignmentBody
) -> SignOnPolicyAssignment:
    await _check_assignment(session, application, data)
    assignment = SignOnPolicyAssignment(
        environment_id=application.environment_id,
        application_id=application.id,
        policy_id=data.sign_on_policy.id,
        priority=data.priority,
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def update_assignment(
    session: AsyncSession,
    application: Application,
    assignment: SignOnPolicyAssignment,
    data: SignOnPolicyAssignmentBody,
) -> SignOnPolicyAssignment:
    await _check_assignment(session, application, data, assignment.id)
    assignment.policy_id = data.sign_on_policy.id
    assignment.priority = data.priority
    await session.flush()
    return assignment


async def delete_assignment(session: AsyncSession, assignment: SignOnPolicyAssignment) -> None:
    await session.delete(assignment)
    await session.flush()


async def _check_assignment(
    session: AsyncSession,
    application: Application,
    data: SignOnPolicyAssignmentBody,
    own_id: uuid.UUID | None = None,
) -> None:
    policy_id = data.sign_on_policy.id
    if await _find_policy(session, application.environment_id, policy_id) is None:
        raise invalid_value(
            "signOnPolicy.id", f"No sign-on policy {policy_id} exists in this environment."
        )
    clash = await session.scalar(
        sa.select(SignOnPolicyAssignment.id).where(
            SignOnPolicyAssignment.application_id == application.id,
            SignOnPolicyAssignment.policy_id == policy_id,
            _other_than(SignOnPolicyAssignment.id, own_id),
        )
    )
    if clash is not None:
        raise uniqueness_violation(
            "signOnPolicy.id", "This sign-on policy is already assigned to the application.", clash
        )


# --- sign-on time -------------------------------------------------------------------------------


async def policies_for_application(
    session: AsyncSession,
    environment_id: uuid.UUID,
    application_id: uuid.UUID,
    acr_values: list[str] | None,
) -> list[SignOnPolicy]:
    """The sign-on policies an application's sign-on runs, with their actions loaded (by priority).

    Without `acr_values`: the policies assigned to the application by ascending priority, or the
    environment's default policy when none is assigned. With `acr_values` (policy names, matched
    exactly): those of the same candidates, in the order given; raises a REQUEST_FAILED Problem
    when none of the names matches.
    """
    candidates = await _candidates(session, environment_id, application_id)
    if not acr_values:
        return candidates
    by_name = {policy.name: policy for policy in candidates}
    chosen = [by_name[name] for name in dict.fromkeys(acr_values) if name in by_name]
    if not chosen:
        raise request_failed(
            f"None of the acr_values ({' '.join(acr_values)}) names a sign-on policy assigned "
            "to this application."
        )
    return chosen


async def _candidates(
    session: AsyncSession, environment_id: uuid.UUID, application_id: uuid.UUID
) -> list[SignOnPolicy]:
    """The assigned policies, else the default; read once per configuration version
    (store/config_cache.py): shared copies with their actions, never changed."""

    async def load() -> tuple[SignOnPolicy, ...]:
        found = await _assigned_policies(session, environment_id, application_id)
        if not found:
            found = await _default_policies(session, environment_id)
        return tuple(_copy_with_actions(policy) for policy in found)

    key = ("sign_on_policies", application_id)
    return list(await config_cache.cached(session, environment_id, key, load))


def _copy_with_actions(policy: SignOnPolicy) -> SignOnPolicy:
    copy = config_cache.detached_copy(policy)
    actions = [config_cache.detached_copy(action) for action in policy.actions]
    set_committed_value(copy, "actions", actions)
    return copy


async def _assigned_policies(
    session: AsyncSession, environment_id: uuid.UUID, application_id: uuid.UUID
) -> list[SignOnPolicy]:
    stmt = (
        sa.select(SignOnPolicy)
        .join(SignOnPolicyAssignment, SignOnPolicyAssignment.policy_id == SignOnPolicy.id)
        .where(
            SignOnPolicyAssignment.environment_id == environment_id,
            SignOnPolicyAssignment.application_id == application_id,
        )
        .order_by(SignOnPolicyAssignment.priority, SignOnPolicyAssignment.created_at)
        .options(selectinload(SignOnPolicy.actions))
    )
    return list((await session.scalars(stmt)).all())


async def _default_policies(session: AsyncSession, environment_id: uuid.UUID) -> list[SignOnPolicy]:
    stmt = (
        sa.select(SignOnPolicy)
        .where(SignOnPolicy.environment_id == environment_id, SignOnPolicy.default.is_(True))
        .options(selectinload(SignOnPolicy.actions))
    )
    return list((await session.scalars(stmt)).all())
