"""In Chromium: an application sends the browser to /as/authorize, the hosted page signs the user
on (after a wrong password), and the browser ends at the redirect URI with a code that the token
endpoint exchanges."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import PASSWORD, Tenant, callback_query

pytestmark = pytest.mark.e2e


def test_sign_on_ends_at_the_redirect_uri_with_a_code(tenant: Tenant, page) -> None:
    application = tenant.client(
        {"type": "LOGIN", "recovery": {"enabled": True}}, name="Shop <Demo>"
    )
    user = tenant.user(tenant.population())

    page.goto(tenant.authorize_url(application, state="s-123"))
    assert re.search(rf"/{tenant.environment_id}/signon/\?flowId=", page.url)
    assert page.title() == "Sign on · Shop <Demo>"
    assert page.get_by_text("Shop <Demo>").is_visible()
    username = page.get_by_label("Username")
    password = page.get_by_label("Password")
    assert username.get_attribute("autocomplete") == "username"
    assert password.get_attribute("autocomplete") == "current-password"
    assert page.get_by_role("link", name="Forgot password?").is_visible()
    assert page.get_by_role("link", name="Register").count() == 0

    username.fill(user["username"])
    password.fill("not-the-password")
    page.get_by_role("button", name="Sign on").click()
    assert (
        page.get_by_role("alert").inner_text().strip() == "The username or password is incorrect."
    )
    # The username is kept, the password never is.
    assert page.get_by_label("Username").input_value() == user["username"]
    assert page.get_by_label("Password").input_value() == ""

    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation(url=re.compile(re.escape(tenant.redirect_uri))):
        page.get_by_role("button", name="Sign on").click()
    query = callback_query(page.url)
    assert query["state"] == "s-123"
    tokens = tenant.exchange(application, query["code"])
    assert tokens.status_code == 200, tokens.text
    assert {"access_token", "id_token"} <= tokens.json().keys()
