"""In Chromium, seed 003 "Add a user through a registration flow" through the hosted page: the
user registers (a weak password is refused with the policy's requirements listed), verifies the
e-mail address with the code read from the outbox API (after asking for a new one), and the
browser ends at the redirect URI with a code."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.ui.conftest import PASSWORD, Tenant, callback_query

pytestmark = pytest.mark.e2e


def test_register_and_verify_the_email_address(tenant: Tenant, page) -> None:
    population = tenant.population()
    application = tenant.client(
        {"type": "LOGIN", "registration": {"enabled": True, "population": {"id": population}}}
    )
    username = f"newcomer-{secrets.token_hex(3)}"
    email = f"{username}@example.com"

    page.goto(tenant.authorize_url(application))
    page.get_by_role("link", name="Register").click()
    assert page.get_by_role("heading").inner_text() == "Create your account"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Family name").fill("Lovelace")
    assert page.get_by_label("Password").get_attribute("autocomplete") == "new-password"
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Register").click()

    error = page.locator("#field-password-error")
    assert "The password does not meet these requirements:" in error.inner_text()
    assert error.get_by_text("Do not use a commonly used password.").is_visible()
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Email address").input_value() == email

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    assert page.get_by_role("heading").inner_text() == "Verify your email address"
    first_code = tenant.latest_code(email, "email_verification")

    page.get_by_role("button", name="Send a new code").click()
    assert page.get_by_role("status").inner_text() == "We sent a new verification code."
    code = tenant.latest_code(email, "email_verification")
    assert code != first_code

    field = page.get_by_label("Verification code")
    assert field.get_attribute("autocomplete") == "one-time-code"
    field.fill(first_code)  # replaced by the new one
    page.get_by_role("button", name="Verify").click()
    assert page.locator("#field-verificationCode-error").inner_text().strip() == (
        "The code is invalid or has expired."
    )

    page.get_by_label("Verification code").fill(code)
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Verify").click()
    assert tenant.exchange(application, callback_query(page.url)["code"]).status_code == 200

    users = tenant.api.get("/users", params={"filter": f'username eq "{username}"'}).json()
    (user,) = users["_embedded"]["users"]
    assert user["email"] == email and user["emailVerified"] is True
    assert user["population"]["id"] == population
    assert user["name"]["given"] == "Ada" and user["name"]["family"] == "Lovelace"
