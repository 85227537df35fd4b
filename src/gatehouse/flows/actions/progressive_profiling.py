"""The PROGRESSIVE_PROFILING action (pingone/04 section 5, pingone/09 sections 2-4): ask the user
for profile attributes they have no value for.

    PROFILE_DATA_REQUIRED --user.update--> done

The action is skipped when every configured attribute already has a value. An attribute marked
`required` and missing is always asked for. When only optional ones are missing, the user is asked
at most once per `promptIntervalSeconds` (the last prompt is remembered per user and action in
`ProfilePrompt`), and with `preventMultiplePromptsPerFlow` at most once per flow (a
`session.reset` does not bring the prompt back). `_embedded.attributes` lists
`{name, required, value?}` and `_embedded.promptText` the action's text. `user.update` takes the
attributes as PATCH /users does; other attributes are refused, and a required one must be given.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatehouse.common import clock
from gatehouse.common.bodies import validate
from gatehouse.common.errors import invalid_value, required_value
from gatehouse.directory.models import User
from gatehouse.directory.users import service as users
from gatehouse.directory.users.schemas import UserPatch
from gatehouse.flows.context import Start, Step, Transition, user_document
from gatehouse.flows.models import ProfilePrompt
from gatehouse.flows.schemas import ProfileUpdate
from gatehouse.flows.statuses import ACTION_COMPLETED, PROFILE_DATA_REQUIRED, USER_UPDATE

# The core attributes made of parts: name, address, photo.
NESTED_PARENTS = frozenset(path[0] for path, _ in users.COLUMNS if len(path) > 1)


async def start(step: Step) -> str:
    if step.user is None or step.action is None:
        return ACTION_COMPLETED
    missing = [attribute for attribute in _attributes(step) if _empty(_value(step.user, attribute))]
    if not missing:
        return ACTION_COMPLETED
    if not any(attribute["required"] for attribute in missing) and await _asked_recently(step):
        return ACTION_COMPLETED
    await _remember_prompt(step)
    return PROFILE_DATA_REQUIRED


async def update(step: Step, body: ProfileUpdate) -> str:
    assert step.user is not None
    given = _flatten(body.model_extra or {})
    wanted = {attribute["name"]: attribute for attribute in _attributes(step)}
    for name in given:
        if name not in wanted:
            raise invalid_value(name, f"{name} is not one of the attributes asked for.")
    for name, attribute in wanted.items():
        if (
            attribute["required"]
            and _empty(given.get(name))
            and _empty(_value(step.user, attribute))
        ):
            raise required_value(name)
    await users.patch_user(step.session, step.user, validate(UserPatch, _nest(given)))
    return ACTION_COMPLETED


async def prompt(step: Step) -> dict[str, Any]:
    assert step.user is not None
    attributes = []
    for attribute in _attributes(step):
        item: dict[str, Any] = {"name": attribute["name"], "required": attribute["required"]}
        value = _value(step.user, attribute)
        if not _empty(value):
            item["value"] = value
        attributes.append(item)
    return {"attributes": attributes, "promptText": step.config.get("promptText")}


def _attributes(step: Step) -> list[dict[str, Any]]:
    return list(step.config.get("attributes") or [])


def _value(user: User, attribute: dict[str, Any]) -> Any:
    node: Any = user_document(user)
    for part in attribute["name"].split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


async def _asked_recently(step: Step) -> bool:
    assert step.action is not None and step.user is not None
    if (
        step.config.get("preventMultiplePromptsPerFlow")
        and str(step.action.id) in step.flow.prompted
    ):
        return True
    last = await step.session.get(ProfilePrompt, (step.user.id, step.action.id))
    interval = timedelta(seconds=step.config.get("promptIntervalSeconds") or 0)
    return last is not None and clock.now() - last.prompted_at < interval


async def _remember_prompt(step: Step) -> None:
    assert step.action is not None and step.user is not None
    now = clock.now()
    last = await step.session.get(ProfilePrompt, (step.user.id, step.action.id))
    if last is None:
        step.session.add(
            ProfilePrompt(user_id=step.user.id, action_id=step.action.id, prompted_at=now)
        )
    else:
        last.prompted_at = now
    step.flow.prompted = [*step.flow.prompted, str(step.action.id)]
    await step.session.flush()


def _flatten(document: dict[str, Any]) -> dict[str, Any]:
    """`{"address": {"postalCode": v}}` and `{"address.postalCode": v}` both as dotted names;
    custom attributes (JSON values included) stay whole."""
    flat: dict[str, Any] = {}
    for name, value in document.items():
        if name in NESTED_PARENTS and isinstance(value, dict):
            flat.update({f"{name}.{key}": item for key, item in value.items()})
        else:
            flat[name] = value
    return flat


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in flat.items():
        parent, _, child = name.partition(".")
        if child and parent in NESTED_PARENTS:
            document.setdefault(parent, {})[child] = value
        else:
            document[name] = value
    return document


START: dict[str, Start] = {"PROGRESSIVE_PROFILING": start}
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (PROFILE_DATA_REQUIRED, USER_UPDATE): Transition(ProfileUpdate, update),
}
EMBEDDED = {PROFILE_DATA_REQUIRED: prompt}
