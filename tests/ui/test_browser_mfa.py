"""In Chromium: multi-factor sign-on through the hosted page. After the password, the user types
the code their authenticator app shows (pyotp computes it from the device's secret), or uses a
security key: Chromium's virtual authenticator (DevTools WebAuthn domain) registers a credential
on the server's origin and then answers the page's WebAuthn request. Both end at the redirect
URI with a code the token endpoint exchanges."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyotp
import pytest

from tests.ui.conftest import PASSWORD, Tenant, callback_query

pytestmark = pytest.mark.e2e

MFA = {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK"}
LOGIN = {"type": "LOGIN"}
ACTIVATE = "application/vnd.pingidentity.device.activate+json"

# navigator.credentials.create() with the server's creation options (base64url fields decoded),
# the new credential returned as the JSON the activation takes: what an application's
# registration page would do.
REGISTER = """async (options) => {
  const decode = (value) => Uint8Array.from(
    atob(value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4)),
    (c) => c.charCodeAt(0)).buffer;
  const encode = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const publicKey = {...options, challenge: decode(options.challenge),
    user: {...options.user, id: decode(options.user.id)},
    excludeCredentials: (options.excludeCredentials || []).map((c) => ({...c, id: decode(c.id)}))};
  const credential = await navigator.credentials.create({publicKey});
  return JSON.stringify({id: credential.id, rawId: encode(credential.rawId), type: credential.type,
    response: {clientDataJSON: encode(credential.response.clientDataJSON),
               attestationObject: encode(credential.response.attestationObject)},
    clientExtensionResults: credential.getClientExtensionResults()});
}"""


def on_localhost(url: str) -> str:
    """The same URL on http://localhost: the WebAuthn relying party Gatehouse derives for a
    server without settings is `localhost` (an IP address cannot be one)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"localhost:{parts.port}"))


def sign_on_with_password(
    page: Any, tenant: Tenant, application: dict[str, Any], user: dict, *, base: str | None = None
) -> None:
    url = tenant.authorize_url(application, state="mfa-state")
    page.goto(on_localhost(url) if base == "localhost" else url)
    page.get_by_label("Username").fill(user["username"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign on").click()


def mfa_user(tenant: Tenant) -> dict[str, Any]:
    user = tenant.user(tenant.population())
    enabled = tenant.api.put(f"/users/{user['id']}/mfaEnabled", json={"mfaEnabled": True})
    assert enabled.status_code == 200, enabled.text
    return user


def exchanged(tenant: Tenant, application: dict[str, Any], page: Any) -> dict[str, Any]:
    query = callback_query(page.url)
    assert query["state"] == "mfa-state"
    tokens = tenant.exchange(application, query["code"])
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def test_sign_on_with_an_authenticator_app(tenant: Tenant, page: Any) -> None:
    application = tenant.client(LOGIN, {**MFA, "authenticator": {"enabled": True}})
    user = mfa_user(tenant)
    device = tenant.api.post(
        f"/users/{user['id']}/devices", json={"type": "TOTP", "status": "ACTIVE"}
    )
    assert device.status_code == 201, device.text
    totp = pyotp.TOTP(device.json()["_embedded"]["secret"]["secret"])

    sign_on_with_password(page, tenant, application, user)
    page.get_by_role("heading", name="Enter your passcode").wait_for()
    assert page.get_by_text("Enter the passcode your authenticator app shows.").is_visible()
    page.get_by_role("textbox", name="Passcode").fill(
        "000000" if totp.now() != "000000" else "111111"
    )
    page.get_by_role("button", name="Verify").click()
    page.locator("#field-otp-error").wait_for()  # a wrong code is refused beside the field
    page.get_by_role("textbox", name="Passcode").fill(totp.now())
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Verify").click()
    assert {"access_token", "id_token"} <= exchanged(tenant, application, page).keys()


def test_sign_on_with_a_security_key(tenant: Tenant, page: Any) -> None:
    application = tenant.client(LOGIN, {**MFA, "securityKey": {"enabled": True}})
    user = mfa_user(tenant)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    # Pairing: the server's creation options, the credential made by the virtual authenticator
    # on the server's origin, the device activated with its attestation.
    created = tenant.api.post(f"/users/{user['id']}/devices", json={"type": "FIDO2"})
    assert created.status_code == 201, created.text
    device = created.json()
    origin = on_localhost(tenant.server.base_url)
    page.goto(f"{origin}/{tenant.environment_id}/signon/")  # a page of the origin to run it on
    options = device["publicKeyCredentialCreationOptions"]
    attestation = page.evaluate(
        REGISTER, json.loads(options) if isinstance(options, str) else options
    )
    activated = tenant.api.post(
        f"/users/{user['id']}/devices/{device['id']}",
        json={"attestation": attestation, "origin": origin},
        headers={"Content-Type": ACTIVATE},
    )
    assert activated.status_code == 200, activated.text
    assert (
        len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])
        == 1
    )

    sign_on_with_password(page, tenant, application, user, base="localhost")
    page.get_by_role("heading", name="Use your security key").wait_for()
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Use security key").click()
    tokens = exchanged(tenant, application, page)
    assert tokens["id_token"]
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert credentials["credentials"][0]["signCount"] >= 1  # the key really signed
