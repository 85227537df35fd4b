"""The MULTI_FACTOR_AUTHENTICATION action (pingone/04 section 5). MFA devices are not served yet:
users have none, so `noDevicesMode` BYPASS skips the action (as PingOne does for a user without
devices) and BLOCK fails the flow with the code MFA_NOT_AVAILABLE."""

from __future__ import annotations

from gatehouse.flows.context import Start, Step
from gatehouse.flows.statuses import ACTION_COMPLETED


async def start(step: Step) -> str:
    if step.config.get("noDevicesMode") == "BYPASS":
        return ACTION_COMPLETED
    return step.fail(
        "MFA_NOT_AVAILABLE",
        "The sign-on policy requires multi-factor authentication, which is not available yet.",
    )


START: dict[str, Start] = {"MULTI_FACTOR_AUTHENTICATION": start}
