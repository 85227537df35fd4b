"""The notification templates an environment has (pingone/06 section 2): PingOne's names, the
delivery methods each one sends by, and the `${...}` variables its contents may use.

Every environment has all of them; they are not stored, only their contents are
(notifications.contents). The messages sent when a template has no content for a user's locale
are the built-in ones of the senders (notifications.templates for e-mail, mfa.delivery for
passcodes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

EMAIL, SMS, VOICE = "Email", "SMS", "Voice"

USER_VARIABLES = ("user.username", "user.name.given", "user.name.family", "user.email")
# a stable id per environment and template (PingOne's templates have ids; ours are not stored)
TEMPLATE_NAMESPACE = uuid.UUID("6f1c1a4e-2d1b-4c53-9a57-3b1f0f2f6a10")


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    display_name: str
    description: str
    delivery_methods: tuple[str, ...]
    required: tuple[str, ...]  # variables every content must use
    optional: tuple[str, ...] = USER_VARIABLES
    dynamic: bool = False  # whether contents may use variables of their own (a request's)

    @property
    def variables(self) -> dict[str, dict[str, bool]]:
        return {
            **{name: {"required": True} for name in self.required},
            **{name: {"required": False} for name in self.optional},
        }

    def template_id(self, environment_id: uuid.UUID) -> uuid.UUID:
        return uuid.uuid5(TEMPLATE_NAMESPACE, f"{environment_id}:{self.name}")


STRONG_AUTHENTICATION = "strong_authentication"
TRANSACTION = "transaction"
DEVICE_PAIRING = "device_pairing"
EMAIL_VERIFICATION_USER = "email_verification_user"
EMAIL_VERIFICATION_ADMIN = "email_verification_admin"
RECOVERY_CODE = "recovery_code_template"

TEMPLATES: dict[str, TemplateInfo] = {
    info.name: info
    for info in (
        TemplateInfo(
            STRONG_AUTHENTICATION,
            "Strong Authentication",
            "The one-time passcode of a sign-on.",
            (EMAIL, SMS, VOICE),
            ("otp",),
        ),
        TemplateInfo(
            TRANSACTION,
            "Transaction",
            "The one-time passcode approving a transaction; the request object's pi.template "
            "variables fill the content.",
            (EMAIL, SMS, VOICE),
            ("otp",),
            dynamic=True,
        ),
        TemplateInfo(
            DEVICE_PAIRING,
            "Device Pairing",
            "The one-time passcode that activates a new MFA device.",
            (EMAIL, SMS, VOICE),
            ("otp",),
        ),
        TemplateInfo(
            EMAIL_VERIFICATION_USER,
            "Email Verification (user)",
            "The code a user enters to verify their e-mail address while signing on.",
            (EMAIL,),
            ("code",),
        ),
        TemplateInfo(
            EMAIL_VERIFICATION_ADMIN,
            "Email Verification (admin)",
            "The code verifying an e-mail address an administrator set.",
            (EMAIL,),
            ("code",),
        ),
        TemplateInfo(
            RECOVERY_CODE,
            "Recovery Code",
            "The code a user enters to choose a new password.",
            (EMAIL,),
            ("code",),
        ),
    )
}
