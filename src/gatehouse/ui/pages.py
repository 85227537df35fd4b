"""Which page shows a flow, and what that page is given: chosen from the flow's status and the
actions its `_links` offer (the flow JSON of GET /{envId}/flows/{flowId}), plus the sub-page the
browser asked for (`register`, `forgot`) when the flow offers it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatehouse.ui.messages import Errors, Message, policy_hints

Flow = Mapping[str, Any]

# Sub-pages of a sign-on status, each shown only when the flow offers its action.
SUB_PAGES = {"register": "user.register", "forgot": "password.forgot"}

# The page an action's form is on, to show it again with the action's errors.
ACTION_PAGES = {"register": "register", "forgotPassword": "forgot"}

BY_STATUS = {
    "IDENTIFIER_REQUIRED": "identifier",
    "PASSWORD_REQUIRED": "password",
    "VERIFICATION_CODE_REQUIRED": "verify_email",
    "RECOVERY_CODE_REQUIRED": "recover",
    "MUST_CHANGE_PASSWORD": "change_password",
    "PASSWORD_EXPIRED": "change_password",
    "PROFILE_DATA_REQUIRED": "profile",
    "DEVICE_SELECTION_REQUIRED": "select_device",
    "OTP_REQUIRED": "otp",
    "ASSERTION_REQUIRED": "security_key",
    "EXTERNAL_AUTHENTICATION_REQUIRED": "external",
    "ACCOUNT_LINKING_REQUIRED": "link_account",
    "ACCOUNT_CONFIRMATION_REQUIRED": "confirm_account",
    "FAILED": "failed",
}

# The fields of each page, by the names error details target.
FIELDS = {
    "signon": ("username", "password"),
    "identifier": ("username",),
    "password": ("password",),
    "register": ("username", "email", "password", "name.given", "name.family"),
    "forgot": ("username",),
    "verify_email": ("verificationCode",),
    "recover": ("recoveryCode", "newPassword"),
    "change_password": ("currentPassword", "newPassword"),
    "select_device": ("device.id",),
    "otp": ("otp",),
    "link_account": ("username", "password"),
}

# How an MFA device is named on the pages.
DEVICE_TYPES = {
    "SMS": "Text message",
    "VOICE": "Voice call",
    "EMAIL": "Email",
    "TOTP": "Authenticator app",
    "FIDO2": "Security key or passkey",
}

# Attributes progressive profiling may ask for: (label, autocomplete token, input type).
KNOWN_ATTRIBUTES = {
    "email": ("Email address", "email", "email"),
    "name.given": ("Given name", "given-name", "text"),
    "name.family": ("Family name", "family-name", "text"),
    "name.middle": ("Middle name", "additional-name", "text"),
    "name.formatted": ("Full name", "name", "text"),
    "name.honorificPrefix": ("Title", "honorific-prefix", "text"),
    "name.honorificSuffix": ("Suffix", "honorific-suffix", "text"),
    "nickname": ("Nickname", "nickname", "text"),
    "title": ("Job title", "organization-title", "text"),
    "mobilePhone": ("Mobile phone", "tel", "tel"),
    "primaryPhone": ("Phone", "tel", "tel"),
    "locale": ("Locale", "language", "text"),
    "preferredLanguage": ("Preferred language", "language", "text"),
    "address.streetAddress": ("Street address", "street-address", "text"),
    "address.locality": ("City", "address-level2", "text"),
    "address.region": ("Region", "address-level1", "text"),
    "address.postalCode": ("Postal code", "postal-code", "text"),
    "address.countryCode": ("Country code", "country", "text"),
}


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    required: bool
    autocomplete: str | None
    type: str


def links_of(flow: Flow) -> frozenset[str]:
    return frozenset((flow.get("_links") or {}).keys())


def choose(flow: Flow, requested: str | None) -> str:
    """The page for the flow: a sub-page the flow offers, else the page of its status."""
    links = links_of(flow)
    if requested in SUB_PAGES and SUB_PAGES[requested] in links:
        return requested
    status = str(flow.get("status") or "")
    if status in ("USERNAME_PASSWORD_REQUIRED", "SIGN_ON_REQUIRED"):
        if "usernamePassword.check" in links:
            return "signon"
        if "user.lookup" in links:
            return "identifier"
    return BY_STATUS.get(status, "unsupported")


def fields_of(name: str, flow: Flow) -> tuple[str, ...]:
    if name == "profile":
        return tuple(f"attr.{attribute.name}" for attribute in attributes_of(flow))
    if name == "confirm_account":
        return tuple(f"attr.{attribute.name}" for attribute in confirmed_attributes(flow))
    return FIELDS.get(name, ())


def attributes_of(flow: Flow) -> list[Attribute]:
    embedded = flow.get("_embedded") or {}
    attributes = []
    for item in embedded.get("attributes") or []:
        name = str(item.get("name") or "")
        if not name:
            continue
        label, autocomplete, kind = KNOWN_ATTRIBUTES.get(name, (_label(name), None, "text"))
        attributes.append(Attribute(name, label, bool(item.get("required")), autocomplete, kind))
    return attributes


def confirmed_attributes(flow: Flow) -> list[Attribute]:
    """ACCOUNT_CONFIRMATION_REQUIRED: the attributes mapped from the identity provider."""
    user = (flow.get("_embedded") or {}).get("user") or {}
    attributes = []
    for name in _paths(user):
        if name == "username":
            label, autocomplete, kind = "Username", "username", "text"
        else:
            label, autocomplete, kind = KNOWN_ATTRIBUTES.get(name, (_label(name), None, "text"))
        attributes.append(Attribute(name, label, name == "username", autocomplete, kind))
    return attributes


def _paths(document: Mapping[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in document.items():
        if isinstance(value, Mapping):
            paths.extend(_paths(value, f"{prefix}{key}."))
        else:
            paths.append(f"{prefix}{key}")
    return paths


def _value_at(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


@dataclass(frozen=True)
class ProviderButton:
    name: str
    type: str
    href: str


def providers_of(flow: Flow) -> list[ProviderButton]:
    """The identity providers the page offers: a LOGIN or IDENTIFIER_FIRST action's social
    providers, or the one of EXTERNAL_AUTHENTICATION_REQUIRED. Their icons are not shown: the
    pages load nothing from other sites."""
    embedded = flow.get("_embedded") or {}
    items = list(embedded.get("socialProviders") or [])
    if flow.get("status") == "EXTERNAL_AUTHENTICATION_REQUIRED" and embedded.get(
        "identityProvider"
    ):
        items = [embedded["identityProvider"]]
    buttons = []
    for item in items:
        href = ((item.get("_links") or {}).get("authenticate") or {}).get("href")
        if href:
            buttons.append(ProviderButton(str(item.get("name") or ""), str(item.get("type")), href))
    return buttons


def _label(name: str) -> str:
    """A custom attribute's name as a label: `favouriteColour` -> "Favourite colour"."""
    leaf = name.rsplit(".", 1)[-1]
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in leaf).strip()
    return words[:1].upper() + words[1:]


def context_for(name: str, flow: Flow) -> dict[str, Any]:
    """What the page's template reads from the flow."""
    embedded = flow.get("_embedded") or {}
    user = embedded.get("user") or {}
    application = flow.get("application") or {}
    policy = embedded.get("passwordPolicy")
    context: dict[str, Any] = {
        "application": application.get("name"),
        "links": links_of(flow),
        "username": user.get("username"),
        "requirements": policy_hints(policy),
        "expired": flow.get("status") == "PASSWORD_EXPIRED",
        "resume_url": flow.get("resumeUrl"),
    }
    if name in ("select_device", "otp", "security_key"):
        context["devices"] = [device_label(item) for item in embedded.get("devices") or []]
        selected = embedded.get("selectedDevice")
        context["selected"] = device_label(selected) if selected else None
    if name == "security_key":
        context["request_options"] = request_options(embedded)
    if name == "profile":
        context["attributes"] = attributes_of(flow)
        context["prompt_text"] = embedded.get("promptText") or flow.get("promptText")
    if name == "confirm_account":
        context["attributes"] = confirmed_attributes(flow)
    context["providers"] = providers_of(flow)
    context["provider_name"] = (embedded.get("identityProvider") or {}).get("name")
    return context


def request_options(embedded: Mapping[str, Any]) -> dict[str, Any] | None:
    """The WebAuthn request options of an ASSERTION_REQUIRED flow, for the page's script."""
    options = embedded.get("publicKeyCredentialRequestOptions")
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            return None
    return options if isinstance(options, dict) else None


@dataclass(frozen=True)
class DeviceLabel:
    id: str
    type: str
    label: str


def device_label(device: Mapping[str, Any]) -> DeviceLabel:
    """A device as the pages list it: its kind, and its nickname or masked address."""
    kind = str(device.get("type") or "")
    detail = device.get("nickname") or device.get("phone") or device.get("email")
    name = DEVICE_TYPES.get(kind, kind)
    return DeviceLabel(str(device.get("id") or ""), kind, f"{name} ({detail})" if detail else name)


def failure_errors(flow: Flow) -> Errors:
    """Why a FAILED flow failed, from its `error` ({code, message})."""
    message = (flow.get("error") or {}).get("message")
    return Errors(general=[Message(str(message))] if message else [])


def prefilled(name: str, flow: Flow) -> dict[str, str]:
    """Values the page's fields start with: the profile values the user already has, or the
    values the identity provider sent."""
    embedded = flow.get("_embedded") or {}
    if name == "confirm_account":
        user = embedded.get("user") or {}
        return {
            f"attr.{path}": str(value)
            for path in _paths(user)
            if isinstance(value := _value_at(user, path), str | int)
        }
    if name != "profile":
        return {}
    return {
        f"attr.{item['name']}": item["value"]
        for item in embedded.get("attributes") or []
        if item.get("name") and isinstance(item.get("value"), str)
    }
