"""The built-in attributes of the user schema: PingOne's CORE and STANDARD user attributes.

They are the same in every environment and read-only in Gatehouse, so they live here rather than
in the database. CORE attributes are the ones the platform itself relies on; STANDARD ones are the
profile attributes every user may carry.
"""

from __future__ import annotations

from dataclasses import dataclass

CORE, STANDARD, CUSTOM = "CORE", "STANDARD", "CUSTOM"


@dataclass(frozen=True)
class BuiltinAttribute:
    name: str
    display_name: str
    description: str
    type: str  # STRING | BOOLEAN | COMPLEX
    schema_type: str  # CORE | STANDARD
    required: bool = False
    unique: bool = False
    sub_attributes: tuple[BuiltinAttribute, ...] = ()


def _sub(name: str, display_name: str, description: str, schema_type: str) -> BuiltinAttribute:
    return BuiltinAttribute(name, display_name, description, "STRING", schema_type)


def _string(
    name: str, display_name: str, description: str, *, required: bool = False, unique: bool = False
) -> BuiltinAttribute:
    return BuiltinAttribute(name, display_name, description, "STRING", STANDARD, required, unique)


BUILTIN_ATTRIBUTES: tuple[BuiltinAttribute, ...] = (
    BuiltinAttribute(
        "username",
        "Username",
        "The name the user signs on with; unique in the environment.",
        "STRING",
        CORE,
        required=True,
        unique=True,
    ),
    BuiltinAttribute(
        "population",
        "Population",
        "The population the user belongs to.",
        "COMPLEX",
        CORE,
        sub_attributes=(_sub("id", "Population ID", "The population's id.", CORE),),
    ),
    BuiltinAttribute("enabled", "Enabled", "Whether the user may sign on.", "BOOLEAN", CORE),
    BuiltinAttribute(
        "lifecycle",
        "Lifecycle",
        "Where the user is in its account lifecycle.",
        "COMPLEX",
        CORE,
        sub_attributes=(
            _sub("status", "Lifecycle Status", "ACCOUNT_OK or VERIFICATION_REQUIRED.", CORE),
        ),
    ),
    BuiltinAttribute(
        "mfaEnabled",
        "MFA Enabled",
        "Whether the user may authenticate with a second factor.",
        "BOOLEAN",
        CORE,
    ),
    BuiltinAttribute(
        "identityProvider",
        "Identity Provider",
        "The identity provider that authenticates the user.",
        "COMPLEX",
        CORE,
        sub_attributes=(
            _sub("id", "Identity Provider ID", "The identity provider's id.", CORE),
            _sub("type", "Identity Provider Type", "PING_ONE or an external provider type.", CORE),
        ),
    ),
    _string("email", "Email Address", "The user's e-mail address."),
    BuiltinAttribute(
        "name",
        "Name",
        "The components of the user's name.",
        "COMPLEX",
        STANDARD,
        sub_attributes=(
            _sub("formatted", "Formatted Name", "The full name, formatted for display.", STANDARD),
            _sub("given", "Given Name", "The given (first) name.", STANDARD),
            _sub("middle", "Middle Name", "The middle name.", STANDARD),
            _sub("family", "Family Name", "The family (last) name.", STANDARD),
            _sub("honorificPrefix", "Honorific Prefix", "A title before the name.", STANDARD),
            _sub("honorificSuffix", "Honorific Suffix", "A suffix after the name.", STANDARD),
        ),
    ),
    _string("nickname", "Nickname", "The casual name of the user."),
    _string("title", "Title", "The user's title, such as Vice President."),
    _string("type", "Type", "The kind of user, such as Contractor or Employee."),
    _string("locale", "Locale", "The user's default location, for formatting dates and numbers."),
    _string(
        "preferredLanguage",
        "Preferred Language",
        "The user's preferred written or spoken language.",
    ),
    _string("timezone", "Time Zone", "The user's time zone, such as America/Los_Angeles."),
    _string("externalId", "External ID", "An identifier of the user in an external system."),
    _string("accountId", "Account ID", "An account identifier of the user."),
    _string("mobilePhone", "Mobile Phone", "The user's mobile phone number."),
    _string("primaryPhone", "Primary Phone", "The user's primary phone number."),
    BuiltinAttribute(
        "address",
        "Address",
        "The user's postal address.",
        "COMPLEX",
        STANDARD,
        sub_attributes=(
            _sub("streetAddress", "Street Address", "The street address.", STANDARD),
            _sub("locality", "Locality", "The city or locality.", STANDARD),
            _sub("region", "Region", "The state or region.", STANDARD),
            _sub("postalCode", "Postal Code", "The postal or ZIP code.", STANDARD),
            _sub("countryCode", "Country Code", "The ISO 3166-1 alpha-2 country code.", STANDARD),
        ),
    ),
    BuiltinAttribute(
        "photo",
        "Photo",
        "A picture of the user.",
        "COMPLEX",
        STANDARD,
        sub_attributes=(_sub("href", "Photo URL", "The URL of the picture.", STANDARD),),
    ),
)

# Other properties of a user: no custom attribute may take these names either.
OTHER_USER_PROPERTIES = (
    "id",
    "environment",
    "account",
    "emailVerified",
    "password",
    "verifyStatus",
    "lastSignOn",
    "memberOfGroupIDs",
    "memberOfGroupNames",
    "createdAt",
    "updatedAt",
)

RESERVED_NAMES = frozenset(
    name.casefold()
    for name in (*(attribute.name for attribute in BUILTIN_ATTRIBUTES), *OTHER_USER_PROPERTIES)
)
