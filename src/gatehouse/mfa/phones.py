"""Phone numbers of SMS and voice devices: parsed with phonenumbers, kept in E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

# Numbers that can take a text message (a fixed line may be reachable by voice only).
SMS_CAPABLE = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
    }
)
# Numbers that charge the caller: never dialled nor texted (toll fraud).
REFUSED = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})


def normalize(raw: str) -> str:
    """E.164 of an international number (`+` and country code; spaces, dots, dashes and
    parentheses allowed). Raises ValueError for anything else."""
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValueError(
            "phone must be an international number starting with + and the country code"
        ) from None
    if number.extension:
        raise ValueError("phone extensions are not supported")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("phone is not a valid phone number")
    if phonenumbers.number_type(number) in REFUSED:
        raise ValueError("premium-rate and shared-cost numbers are not accepted")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_sms(e164: str) -> bool:
    return phonenumbers.number_type(phonenumbers.parse(e164, None)) in SMS_CAPABLE
