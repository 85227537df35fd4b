"""The IDENTIFIER_FIRST action (pingone/04 section 5, pingone/09 sections 2-3): the identifier,
then the password.

    SIGN_ON_REQUIRED --user.lookup--> PASSWORD_REQUIRED --usernamePassword.check--> done

An unknown identifier goes on to PASSWORD_REQUIRED like a known one (its password check then
fails as a wrong password would), so the lookup tells nobody whether a user exists. Discovery
rules (identity providers) are not served yet. Registration and recovery work as in LOGIN.
"""

from __future__ import annotations

from gatehouse.flows.context import Start, Step, Transition
from gatehouse.flows.schemas import UserLookup
from gatehouse.flows.statuses import PASSWORD_REQUIRED, SIGN_ON_REQUIRED, USER_LOOKUP


async def start(step: Step) -> str:
    return PASSWORD_REQUIRED if step.user is not None else SIGN_ON_REQUIRED


async def lookup(step: Step, body: UserLookup) -> str:
    step.keep(username=body.username)
    return PASSWORD_REQUIRED


START: dict[str, Start] = {"IDENTIFIER_FIRST": start}
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (SIGN_ON_REQUIRED, USER_LOOKUP): Transition(UserLookup, lookup),
}
