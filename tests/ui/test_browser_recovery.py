"""In Chromium: "Forgot password?", the recovery code read from the outbox API, a new password
(a wrong code is refused beside its field), and the sign-on completes; the new password then
signs on in a fresh browser."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import Tenant, callback_query

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Brand-New-Secret-77?"


def test_recover_a_forgotten_password(tenant: Tenant, browser, page) -> None:
    application = tenant.client({"type": "LOGIN", "recovery": {"enabled": True}})
    user = tenant.user(tenant.population())

    page.goto(tenant.authorize_url(application))
    page.get_by_role("link", name="Forgot password?").click()
    assert page.get_by_role("heading").inner_text() == "Reset your password"
    page.get_by_label("Username").fill(user["username"])
    page.get_by_role("button", name="Send recovery code").click()

    assert page.get_by_role("heading").inner_text() == "Choose a new password"
    code = tenant.latest_code(user["email"], "recovery_code")
    page.get_by_label("Recovery code").fill("WRONG123")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    assert page.locator("#field-recoveryCode-error").inner_text().strip() == (
        "The code is invalid or has expired."
    )

    page.get_by_label("Recovery code").fill(code)
    assert (
        page.get_by_label("New password", exact=True).get_attribute("autocomplete")
        == "new-password"
    )
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Save new password").click()
    assert tenant.exchange(application, callback_query(page.url)["code"]).status_code == 200

    fresh = browser.new_context()
    try:
        again = fresh.new_page()
        again.goto(tenant.authorize_url(application))
        again.get_by_label("Username").fill(user["username"])
        again.get_by_label("Password").fill(NEW_PASSWORD)
        with again.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
            again.get_by_role("button", name="Sign on").click()
    finally:
        fresh.close()
