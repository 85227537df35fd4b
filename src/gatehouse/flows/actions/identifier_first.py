"""The IDENTIFIER_FIRST action (pingone/04 section 5, pingone/09 sections 2-3): the identifier,
then the password.

    SIGN_ON_REQUIRED --user.lookup--> PASSWORD_REQUIRED --usernamePassword.check--> done

An unknown identifier goes on to PASSWORD_REQUIRED like a known one (its password check then
fails as a wrong password would), so the lookup tells nobody whether a user exists, except
that, as PingOne's discovery rules do, an identifier that names no user and matches a rule goes
to that rule's identity provider (flows.actions.external). Registration and recovery work as in
LOGIN.
"""

from __future__ import annotations

from gatehouse.flows.actions import external
from gatehouse.flows.context import Start, Step, Transition, find_user
from gatehouse.flows.schemas import UserLookup
from gatehouse.flows.statuses import PASSWORD_REQUIRED, SIGN_ON_REQUIRED, USER_LOOKUP


async def start(step: Step) -> str:
    return PASSWORD_REQUIRED if step.user is not None else SIGN_ON_REQUIRED


async def lookup(step: Step, body: UserLookup) -> str:
    step.keep(username=body.username)
    provider_id = external.discovered_provider(step, body.username)
    if provider_id is not None and await find_user(step, body.username) is None:
        return await external.discover(step, provider_id)
    return PASSWORD_REQUIRED


START: dict[str, Start] = {"IDENTIFIER_FIRST": start}
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (SIGN_ON_REQUIRED, USER_LOOKUP): Transition(UserLookup, lookup),
}
