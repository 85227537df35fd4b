"""pingOneSSOConnector: the PingOne directory, here Gatehouse's own directory of the environment the
interaction runs in (the connection's credentials and region, which name a PingOne tenant in
DaVinci, are not needed).

Every capability goes through the directory services (users, passwords, groups), so their rules
apply: unique usernames, the user schema, password policies with lockout, group populations.
Each write runs in a savepoint: a refused one leaves nothing behind. A refusal fails the node
with the directory's error as `details[].rawResponse` (the PingOne error body, as DaVinci
relays it), so the SDK can show field errors from `rawResponse.details[].target`.

checkPassword never tells an unknown user from a wrong password (same error, same hashing
cost) and counts failures towards the password policy's lockout; it also refuses a disabled or
locked account.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.bodies import validate
from gatehouse.common.errors import Problem
from gatehouse.crypto.passwords import PasswordHasher
from gatehouse.davinci.connectors.base import Done, NodeCall, NodeError, Result, failure
from gatehouse.davinci.connectors.http import named_values
from gatehouse.davinci.connectors.registry import capability
from gatehouse.directory.groups import service as groups
from gatehouse.directory.models import User
from gatehouse.directory.passwords import service as passwords
from gatehouse.directory.users import service as users
from gatehouse.directory.users.schemas import UserCreate, UserPatch
from gatehouse.flows.actions.common import account_not_usable, invalid_credentials, usable

SSO = "pingOneSSOConnector"
MATCH_ATTRIBUTES = {
    "username": User.username_key,
    "email": User.email,
    "externalId": User.external_id,
    "id": User.id,
}
_decoys: dict[int, str] = {}


def user_view(user: User) -> dict[str, Any]:
    """The user as the connector outputs it (PingOne's attribute names)."""
    body = users.standard_attributes(user)
    body.update(
        {
            "id": str(user.id),
            "environment": {"id": str(user.environment_id)},
            "population": {"id": str(user.population_id)},
            "enabled": user.enabled,
            "emailVerified": user.email_verified,
            "lifecycle": {"status": user.lifecycle_status},
            **(user.custom or {}),
        }
    )
    return body


def problem_error(problem: Problem) -> NodeError:
    """The directory's refusal as the node's error: its first detail's message (what the user
    can act on), the PingOne body in `details[].rawResponse`."""
    raw = problem.render()
    return NodeError(
        code=problem.code,
        message=problem.details[0].message if problem.details else problem.message,
        http_status=problem.status,
        details=[{"rawResponse": raw, "statusCode": problem.status, "message": problem.message}],
    )


def _user_found(user: User) -> Done:
    return Done(True, {"user": user_view(user), "userId": str(user.id), "matched": True})


async def _user_by_id(db: AsyncSession, environment_id: uuid.UUID, value: Any) -> User | None:
    try:
        user_id = uuid.UUID(str(value))
    except ValueError:
        return None
    user = await db.get(User, user_id)
    return user if user is not None and user.environment_id == environment_id else None


async def _user_matching(
    db: AsyncSession, environment_id: uuid.UUID, identifier: str, attributes: list[str]
) -> User | None:
    for attribute in attributes:
        column = MATCH_ATTRIBUTES.get(attribute)
        if column is None:
            continue
        if attribute == "id":
            found = await _user_by_id(db, environment_id, identifier)
        else:
            value = users.username_key(identifier) if attribute == "username" else identifier
            found = await db.scalar(
                sa.select(User).where(User.environment_id == environment_id, column == value)
            )
        if found is not None:
            return found
    return None


def _match_attributes(call: NodeCall) -> list[str]:
    wanted = call.prop("matchAttributes")
    if isinstance(wanted, str):
        wanted = [part.strip() for part in wanted.split(",")]
    if not isinstance(wanted, list) or not wanted:
        return ["username", "email"]
    return [str(item.get("value") if isinstance(item, dict) else item) for item in wanted]


def _not_found() -> Done:
    return Done(
        False,
        {"matched": False},
        NodeError("userNotFound", "No user matches.", http_status=404),
    )


@capability(SSO, "userLookup")
async def user_lookup(call: NodeCall) -> Result:
    db, _ = call.ctx.database()
    identifier = call.text("identifier")
    if not identifier:
        return failure("invalidProperty", "userLookup needs an identifier.")
    user = await _user_matching(db, call.ctx.environment_id, identifier, _match_attributes(call))
    return _user_found(user) if user is not None else _not_found()


@capability(SSO, "readUser")
async def read_user(call: NodeCall) -> Result:
    db, _ = call.ctx.database()
    user = await _user_by_id(db, call.ctx.environment_id, call.text("userId"))
    return _user_found(user) if user is not None else _not_found()


def _attributes(call: NodeCall) -> dict[str, Any]:
    document: dict[str, Any] = named_values(call.prop("additionalUserProperties"))
    for name in ("username", "email"):
        if call.text(name):
            document[name] = call.text(name)
    name = {
        key: call.text(prop) for key, prop in (("given", "givenName"), ("family", "familyName"))
    }
    if any(name.values()):
        document["name"] = {key: value for key, value in name.items() if value}
    if call.text("populationId"):
        document["population"] = {"id": call.text("populationId")}
    return document


@capability(SSO, "createUser")
async def create_user(call: NodeCall) -> Result:
    db, runtime = call.ctx.database()
    document = _attributes(call)
    if call.text("password"):
        document["password"] = {"value": call.text("password")}
    try:
        async with db.begin_nested():
            data = validate(UserCreate, document)
            user = await users.create_user(db, runtime.hasher, call.ctx.environment_id, data, None)
    except Problem as problem:
        return Done(False, {}, problem_error(problem))
    return _user_found(user)


@capability(SSO, "updateUser")
async def update_user(call: NodeCall) -> Result:
    db, _ = call.ctx.database()
    user = await _user_by_id(db, call.ctx.environment_id, call.text("userId"))
    if user is None:
        return _not_found()
    document = _attributes(call)
    document.pop("population", None)
    try:
        async with db.begin_nested():
            await users.patch_user(db, user, validate(UserPatch, document))
    except Problem as problem:
        await db.refresh(user)
        return Done(False, {}, problem_error(problem))
    return _user_found(user)


async def _decoy_check(hasher: PasswordHasher, password: str) -> None:
    """Spend the time a real check takes, so an unknown user is not told apart."""
    decoy = _decoys.get(id(hasher))
    if decoy is None:
        decoy = _decoys[id(hasher)] = await hasher.hash_async(secrets.token_urlsafe(16))
    await hasher.verify_async(decoy, password)


@capability(SSO, "checkPassword")
async def check_password(call: NodeCall) -> Result:
    db, runtime = call.ctx.database()
    password = call.text("password")
    if call.text("userId"):
        user = await _user_by_id(db, call.ctx.environment_id, call.text("userId"))
    else:
        username = call.text("username")
        user = await _user_matching(db, call.ctx.environment_id, username, ["username"])
    if user is None or user.identity_provider_type != passwords.LOCAL_IDENTITY_PROVIDER:
        await _decoy_check(runtime.hasher, password)
        return Done(False, {}, problem_error(invalid_credentials()))
    verification = await passwords.verify_password(db, runtime.hasher, user, password)
    if not verification.matched:
        if verification.state.status == passwords.PASSWORD_LOCKED_OUT:
            return Done(False, {}, problem_error(passwords.refusal(verification.state)))
        return Done(False, {}, problem_error(invalid_credentials()))
    if not usable(user):
        return Done(False, {}, problem_error(account_not_usable()))
    state = await passwords.password_state(db, user)
    return Done(
        True,
        {**_user_found(user).output, "passwordStatus": state.status, "authenticated": "pwd"},
    )


@capability(SSO, "addUserToGroup")
async def add_user_to_group(call: NodeCall) -> Result:
    db, _ = call.ctx.database()
    user = await _user_by_id(db, call.ctx.environment_id, call.text("userId"))
    if user is None:
        return _not_found()
    try:
        group_id = uuid.UUID(call.text("groupId"))
    except ValueError:
        return failure("invalidProperty", "groupId must be a group id.")
    try:
        async with db.begin_nested():
            group = await groups.add_membership(db, user, group_id)
    except Problem as problem:
        return Done(False, {}, problem_error(problem))
    return Done(True, {"user": user_view(user), "group": {"id": str(group.id), "name": group.name}})
