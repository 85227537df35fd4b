"""PingOne's built-in administrator roles and the Gatehouse permissions each one carries.

A permission is `<area>:<verb>`. Routes name the permission they need; a role assignment grants its
role's permissions over its scope (the organization, one environment, or one population).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ORGANIZATION, ENVIRONMENT, POPULATION = "ORGANIZATION", "ENVIRONMENT", "POPULATION"
# Holding this role over the organization allows assigning any role anywhere in it.
ORGANIZATION_ADMIN = "Organization Admin"

_CRUD = ("read", "create", "update", "delete")


def _all(*areas: str) -> frozenset[str]:
    return frozenset(f"{area}:{verb}" for area in areas for verb in _CRUD)


def _read(*areas: str) -> frozenset[str]:
    return frozenset(f"{area}:read" for area in areas)


CONFIGURATION = (
    "populations",
    "passwordPolicies",
    "applications",
    "resources",
    "signOnPolicies",
    "identityProviders",
    "keys",
    "schemas",
    "notifications",
    "mfaPolicies",
    "risk",
    "forms",
)
IDENTITY_DATA = ("users", "passwords", "groups", "devices")


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    description: str
    applicable_to: tuple[str, ...]
    permissions: frozenset[str]


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole(
        ORGANIZATION_ADMIN,
        "Manages the organization, its environments and its administrators.",
        (ORGANIZATION,),
        _all("environments", "roleAssignments")
        | _read("organization", "roles")
        | {"organization:update"},
    ),
    BuiltinRole(
        "Environment Admin",
        "Manages the configuration of environments.",
        (ORGANIZATION, ENVIRONMENT),
        _all(*CONFIGURATION, "roleAssignments")
        | _read("environments", "roles", "organization")
        | {"environments:update", "environments:delete"},
    ),
    BuiltinRole(
        "Identity Data Admin",
        "Manages users, groups, passwords and MFA devices.",
        (ENVIRONMENT, POPULATION),
        _all(*IDENTITY_DATA)
        | _read("populations", "schemas", "passwordPolicies", "environments", "roles"),
    ),
    BuiltinRole(
        "Identity Data Read Only",
        "Reads users, groups and MFA devices.",
        (ENVIRONMENT, POPULATION),
        _read(*IDENTITY_DATA, "populations", "schemas", "environments", "roles"),
    ),
    BuiltinRole(
        "Client Application Developer",
        "Manages applications and resources.",
        (ENVIRONMENT,),
        _all("applications", "resources") | _read("signOnPolicies", "environments", "roles"),
    ),
    BuiltinRole(
        "Configuration Read Only",
        "Reads the configuration of environments.",
        (ORGANIZATION, ENVIRONMENT),
        _read(*CONFIGURATION, "environments", "roles", "roleAssignments"),
    ),
    BuiltinRole(
        "Help Desk Admin",
        "Reads users, resets passwords and manages MFA devices.",
        (ENVIRONMENT, POPULATION),
        _read("users", "groups", "populations", "environments", "roles")
        | {"passwords:read", "passwords:update", "users:update"}
        | _all("devices"),
    ),
    BuiltinRole(
        "Application Owner",
        "Manages the applications assigned to it.",
        (ENVIRONMENT,),
        _read("applications", "resources", "environments", "roles") | {"applications:update"},
    ),
    BuiltinRole(
        "Custom Roles Admin",
        "Manages custom administrator roles.",
        (ORGANIZATION, ENVIRONMENT),
        _read("roles", "environments"),
    ),
    BuiltinRole(
        "DaVinci Admin",
        "Manages DaVinci flows, connections and policies.",
        (ENVIRONMENT,),
        _all("davinci") | _read("environments", "roles"),
    ),
    BuiltinRole(
        "DaVinci Admin Read Only",
        "Reads DaVinci configuration.",
        (ENVIRONMENT,),
        _read("davinci", "environments", "roles"),
    ),
    BuiltinRole(
        "Authorize Gateway Policy Evaluator",
        "Evaluates authorization policies through a gateway.",
        (ENVIRONMENT,),
        frozenset(),
    ),
    BuiltinRole(
        "Advanced Identity Cloud Super Admin",
        "Advanced Identity Cloud administration (not served by Gatehouse).",
        (ORGANIZATION,),
        frozenset(),
    ),
    BuiltinRole(
        "Advanced Identity Cloud Tenant Admin",
        "Advanced Identity Cloud administration (not served by Gatehouse).",
        (ENVIRONMENT,),
        frozenset(),
    ),
    BuiltinRole(
        "PingFederate Administrator",
        "PingFederate administration (not served by Gatehouse).",
        (ENVIRONMENT,),
        frozenset(),
    ),
    BuiltinRole(
        "PingFederate Auditor",
        "PingFederate auditing (not served by Gatehouse).",
        (ENVIRONMENT,),
        frozenset(),
    ),
    BuiltinRole(
        "PingFederate Crypto Administrator",
        "PingFederate key management (not served by Gatehouse).",
        (ENVIRONMENT,),
        frozenset(),
    ),
    BuiltinRole(
        "PingFederate User Administrator",
        "PingFederate user administration (not served by Gatehouse).",
        (ENVIRONMENT,),
        frozenset(),
    ),
    BuiltinRole(
        "PingFederate Expression Administrator",
        "PingFederate expressions (not served by Gatehouse).",
        (ENVIRONMENT,),
        frozenset(),
    ),
)

BY_NAME = {role.name: role for role in BUILTIN_ROLES}


def permissions_over(scope_type: str, permissions: frozenset[str]) -> frozenset[str]:
    """What a role's permissions grant over a scope: a population scope covers identity data only."""
    if scope_type == POPULATION:
        return frozenset(p for p in permissions if p.split(":")[0] in IDENTITY_DATA)
    return permissions


def describe_permission(permission: str) -> str:
    """`roleAssignments:create` -> "Create role assignments"."""
    area, _, verb = permission.partition(":")
    return f"{verb.capitalize()} {re.sub(r'(?<!^)(?=[A-Z])', ' ', area).lower()}"
