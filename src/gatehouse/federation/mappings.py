"""Identity provider attribute mappings: which user attribute a provider's data fills, and how.

A mapping's `name` is a writable user attribute: a core or standard one (`username`, `email`,
`name.given`, `address.locality`, ...; not read-only ones such as id, population, enabled,
lifecycle, mfaEnabled) or a custom attribute of the environment's user schema.

Its `value` is a literal, or text with `${...}` placeholders naming the provider's data:
- `${providerAttributes.<path>}` for OpenID Connect and social providers: a claim of the ID token
  or userinfo (or the provider's profile), dots walking into objects (`${providerAttributes.
  name.givenName}`); a claim whose own name has dots (a URI) is found too;
- `${samlAssertion.subject}` (the assertion's subject NameID) or `${samlAssertion.<attribute>}`
  (any attribute name, URIs included) for SAML providers.
A value that is exactly one placeholder gives the provider's value as it is (a boolean stays a
boolean); otherwise the placeholders are replaced by their text and give nothing when one of them
has no value.

`update` says when a mapped value is written to the user: EMPTY_ONLY when the user's attribute is
empty, ALWAYS on every sign-on. Empty mapped values are never written.

Every provider has one CORE mapping, `username`, created with it (its value can change, not its
name or update). Its value depends on what the provider reliably sends (see USERNAME_VALUES).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gatehouse.directory.schema.builtins import BUILTIN_ATTRIBUTES

PROVIDER_ATTRIBUTES, SAML_ASSERTION = "providerAttributes", "samlAssertion"
EMPTY_ONLY, ALWAYS = "EMPTY_ONLY", "ALWAYS"

# The CORE username mapping each type starts with: the e-mail address where the provider always
# sends one; otherwise its stable handle or subject (GitHub login, Twitter/X username, Microsoft
# preferred_username (the UPN), an OpenID Connect provider's sub) and the SAML subject NameID.
USERNAME_VALUES: dict[str, str] = {
    "FACEBOOK": "${providerAttributes.email}",
    "GOOGLE": "${providerAttributes.email}",
    "LINKEDIN": "${providerAttributes.email}",
    "LINKEDIN_OIDC": "${providerAttributes.email}",
    "YAHOO": "${providerAttributes.email}",
    "AMAZON": "${providerAttributes.email}",
    "PAYPAL": "${providerAttributes.email}",
    "APPLE": "${providerAttributes.email}",
    "TWITTER": "${providerAttributes.username}",
    "GITHUB": "${providerAttributes.login}",
    "MICROSOFT": "${providerAttributes.preferred_username}",
    "OPENID_CONNECT": "${providerAttributes.sub}",
    "SAML": "${samlAssertion.subject}",
}
USERNAME = "username"

# Core attributes the platform manages itself: never filled from a provider.
READ_ONLY = frozenset({"population", "enabled", "lifecycle", "mfaEnabled", "identityProvider"})

_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
# dot-separated names without spaces or braces (claim names may be URIs)
_PROVIDER_PATH = re.compile(r"[^\s{}$.]+(?:\.[^\s{}$.]+)*")


class MappingError(ValueError):
    """A value whose placeholders the provider type cannot fill."""


@dataclass(frozen=True)
class Placeholder:
    namespace: str  # providerAttributes | samlAssertion
    path: str


@dataclass(frozen=True)
class Template:
    """A parsed value: literal text and placeholders, in order."""

    parts: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> list[Placeholder]:
        return [part for part in self.parts if isinstance(part, Placeholder)]


@dataclass(frozen=True)
class Rule:
    """One mapping as evaluation needs it."""

    name: str
    value: Template
    update: str


def writable_core_names() -> frozenset[str]:
    """The core and standard user attribute paths a mapping may fill."""
    names: set[str] = set()
    for attribute in BUILTIN_ATTRIBUTES:
        if attribute.name in READ_ONLY:
            continue
        if attribute.type == "COMPLEX":
            names.update(f"{attribute.name}.{sub.name}" for sub in attribute.sub_attributes)
        else:
            names.add(attribute.name)
    return frozenset(names)


WRITABLE_CORE_NAMES = writable_core_names()


def name_problem(name: str, custom_names: Iterable[str]) -> str | None:
    """Why `name` cannot be mapped; None when it can."""
    if name in WRITABLE_CORE_NAMES or name in set(custom_names):
        return None
    return f"{name!r} is not a user attribute a provider can fill."


def parse(value: str, provider_type: str) -> Template:
    """The template of `value` for a provider of `provider_type`; MappingError when a placeholder
    is malformed or not one that type of provider fills."""
    namespace = SAML_ASSERTION if provider_type == "SAML" else PROVIDER_ATTRIBUTES
    parts: list[str | Placeholder] = []
    position = 0
    for match in _PLACEHOLDER.finditer(value):
        if match.start() > position:
            parts.append(value[position : match.start()])
        parts.append(_placeholder(match.group(1), namespace))
        position = match.end()
    rest = value[position:]
    if "${" in rest:
        raise MappingError("A placeholder is not closed: write ${" + namespace + ".<name>}.")
    if rest:
        parts.append(rest)
    return Template(tuple(parts))


def _placeholder(inner: str, namespace: str) -> Placeholder:
    head, dot, path = inner.strip().partition(".")
    if head != namespace or not dot or not path:
        raise MappingError(
            f"${{{inner}}} is not a placeholder of this provider: write ${{{namespace}.<name>}}."
        )
    if namespace == PROVIDER_ATTRIBUTES and not _PROVIDER_PATH.fullmatch(path):
        raise MappingError(f"${{{inner}}} does not name a provider attribute.")
    return Placeholder(namespace, path)


def evaluate(
    rules: Iterable[Rule],
    data: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The user attributes to write, by name, from what the provider sent.

    `data` holds the provider's data by namespace: {"providerAttributes": claims} or
    {"samlAssertion": {"subject": name_id, <attribute>: value, ...}}. `current` holds the user's
    present values by attribute name (None for a user being created): EMPTY_ONLY mappings only
    fill attributes that are empty there."""
    present = current or {}
    values: dict[str, Any] = {}
    for rule in rules:
        value = render(rule.value, data)
        if _is_empty(value):
            continue
        if rule.update == EMPTY_ONLY and not _is_empty(present.get(rule.name)):
            continue
        values[rule.name] = value
    return values


def render(template: Template, data: Mapping[str, Mapping[str, Any]]) -> Any:
    """The template's value for the provider's data; None when a placeholder has no value."""
    if len(template.parts) == 1 and isinstance(template.parts[0], Placeholder):
        return lookup(template.parts[0], data)
    pieces: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        found = lookup(part, data)
        if _is_empty(found):
            return None
        pieces.append(_text(found))
    return "".join(pieces)


def lookup(placeholder: Placeholder, data: Mapping[str, Mapping[str, Any]]) -> Any:
    source = data.get(placeholder.namespace) or {}
    if placeholder.path in source:
        return source[placeholder.path]
    value: Any = source
    for segment in placeholder.path.split("."):
        if not isinstance(value, Mapping) or segment not in value:
            return None
        value = value[segment]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value in ("", [], {})
