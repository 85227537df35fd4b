"""Flow statuses and flow actions (pingone/09 sections 2 and 3).

Statuses are PingOne's names. Where PingOne's documentation is silent, the choices are:

- IDENTIFIER_FIRST asks for the identifier in SIGN_ON_REQUIRED (PingOne's status for `user.lookup`)
  and then for the password in PASSWORD_REQUIRED. A LOGIN action also asks for the password alone
  (PASSWORD_REQUIRED) when the browser's session already names the user.
- Registration, recovery and password changes use PingOne's VERIFICATION_CODE_REQUIRED,
  RECOVERY_CODE_REQUIRED, MUST_CHANGE_PASSWORD and PASSWORD_EXPIRED.
- An IDENTITY_PROVIDER action waits in EXTERNAL_AUTHENTICATION_REQUIRED while the browser signs on
  at the provider (flows.actions.external); the provider's callback, not a flows API action, ends it.
- After an external provider's answer, ACCOUNT_CONFIRMATION_REQUIRED (`user.confirm` with the
  attributes) and ACCOUNT_LINKING_REQUIRED (`usernamePassword.check` with a local account's
  credentials) when the policy asks for them (flows.actions.linking).
- COMPLETED and FAILED end the flow.
- MULTI_FACTOR_AUTHENTICATION uses PingOne's DEVICE_SELECTION_REQUIRED (`device.select`
  `{device:{id}}`), OTP_REQUIRED (`otp.check` `{otp}`) and ASSERTION_REQUIRED (`assertion.check`
  `{assertion, origin?}`). Sending a new code to the selected SMS, VOICE or EMAIL device is
  Gatehouse's own action `otp.send` (no body): PingOne's name for it is not documented.

An action is chosen by the request's media type, `application/vnd.pingidentity.<action>+json`
(`+json` may be left out). `ACTION_COMPLETED` is never stored: a handler returns it to say the
policy action it served is done and the engine moves on to the next one.
"""

from __future__ import annotations

USERNAME_PASSWORD_REQUIRED = "USERNAME_PASSWORD_REQUIRED"
SIGN_ON_REQUIRED = "SIGN_ON_REQUIRED"
PASSWORD_REQUIRED = "PASSWORD_REQUIRED"
MUST_CHANGE_PASSWORD = "MUST_CHANGE_PASSWORD"
PASSWORD_EXPIRED = "PASSWORD_EXPIRED"
RECOVERY_CODE_REQUIRED = "RECOVERY_CODE_REQUIRED"
VERIFICATION_CODE_REQUIRED = "VERIFICATION_CODE_REQUIRED"
PROFILE_DATA_REQUIRED = "PROFILE_DATA_REQUIRED"
EXTERNAL_AUTHENTICATION_REQUIRED = "EXTERNAL_AUTHENTICATION_REQUIRED"
ACCOUNT_LINKING_REQUIRED = "ACCOUNT_LINKING_REQUIRED"
ACCOUNT_CONFIRMATION_REQUIRED = "ACCOUNT_CONFIRMATION_REQUIRED"
DEVICE_SELECTION_REQUIRED = "DEVICE_SELECTION_REQUIRED"
OTP_REQUIRED = "OTP_REQUIRED"
ASSERTION_REQUIRED = "ASSERTION_REQUIRED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"

TERMINAL = frozenset({COMPLETED, FAILED})
ACTION_COMPLETED = "ACTION_COMPLETED"

SESSION_RESET = "session.reset"
USERNAME_PASSWORD_CHECK = "usernamePassword.check"
USER_LOOKUP = "user.lookup"
USER_REGISTER = "user.register"
USER_VERIFY = "user.verify"
SEND_VERIFICATION_CODE = "user.sendVerificationCode"
PASSWORD_FORGOT = "password.forgot"
PASSWORD_RECOVER = "password.recover"
SEND_RECOVERY_CODE = "password.sendRecoveryCode"
PASSWORD_RESET = "password.reset"
USER_UPDATE = "user.update"
USER_CONFIRM = "user.confirm"
DEVICE_SELECT = "device.select"
OTP_CHECK = "otp.check"
OTP_SEND = "otp.send"
ASSERTION_CHECK = "assertion.check"

# Every action PingOne's flows API names: one Gatehouse does not offer in a status is refused
# with 400 INVALID_REQUEST; any other media type with 415.
KNOWN_ACTIONS = frozenset(
    {
        SESSION_RESET,
        USERNAME_PASSWORD_CHECK,
        USER_LOOKUP,
        USER_REGISTER,
        USER_VERIFY,
        SEND_VERIFICATION_CODE,
        PASSWORD_FORGOT,
        PASSWORD_RECOVER,
        SEND_RECOVERY_CODE,
        PASSWORD_RESET,
        USER_UPDATE,
        USER_CONFIRM,
        "user.consent",
        DEVICE_SELECT,
        OTP_CHECK,
        OTP_SEND,
        ASSERTION_CHECK,
        "kerberos.lookup",
        "deviceAuthGrant.userCode.verify",
        "deviceAuthGrant.consent",
    }
)

MEDIA_TYPE_PREFIX = "application/vnd.pingidentity."
MEDIA_TYPE_SUFFIX = "+json"


_BY_LOWER_NAME = {action.lower(): action for action in KNOWN_ACTIONS}


def action_of(media_type: str | None) -> str | None:
    """The flow action a media type selects (media types compare case-insensitively), or None
    when it names none we know."""
    lowered = (media_type or "").strip().lower()
    if not lowered.startswith(MEDIA_TYPE_PREFIX):
        return None
    name = lowered.removeprefix(MEDIA_TYPE_PREFIX).removesuffix(MEDIA_TYPE_SUFFIX)
    return _BY_LOWER_NAME.get(name)
