"""The hosted sign-on page over plain HTTP (no browser) against a real server: its headers, the
CSRF check, bad forms and unknown flows (friendly pages, never a 500), escaping, and the pages
of the statuses the browser tests do not walk through: identifier first, a password that must
change, progressive profiling, a failed flow."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from urllib.parse import urljoin

import httpx
import pytest

from tests.ui.conftest import PASSWORD, SET_PASSWORD, Tenant

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Another-Fine-Secret-31!"


class Visitor:
    """A cookie-keeping HTTP client that reads the page's forms as a browser would."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.url = ""
        self.page: httpx.Response | None = None

    def start(self, tenant: Tenant, application: dict) -> httpx.Response:
        response = self.client.get(tenant.authorize_url(application))
        assert response.status_code == 302, response.text
        assert "/signon/?flowId=" in response.headers["location"]
        return self.open(response.headers["location"])

    def open(self, url: str) -> httpx.Response:
        self.url = urljoin(str(self.client.base_url), url)
        self.page = self.client.get(self.url)
        return self.page

    @property
    def csrf(self) -> str:
        assert self.page is not None
        match = re.search(r'name="csrf" value="([^"]+)"', self.page.text)
        assert match, self.page.text
        return match.group(1)

    def submit(self, action: str, *, csrf: str | None = None, **fields: str) -> httpx.Response:
        """POST the page's form; a 303 to the next page is followed within the page."""
        form = {"csrf": self.csrf if csrf is None else csrf, "action": action, **fields}
        response = self.client.post(self.url, data=form)
        if response.status_code == 303 and "/signon/" in response.headers["location"]:
            return self.open(response.headers["location"])
        self.page = response
        return response


@pytest.fixture
def visitor(tenant: Tenant) -> Iterator[Visitor]:
    with httpx.Client(base_url=tenant.server.base_url, timeout=30) as client:
        yield Visitor(client)


def heading(response: httpx.Response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S)
    assert match, response.text
    return html.unescape(match.group(1)).strip()


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_page_headers_stylesheet_and_escaping(tenant: Tenant, visitor: Visitor) -> None:
    application = tenant.client({"type": "LOGIN"}, name='<script>alert("app")</script>')
    page = visitor.start(tenant, application)
    assert page.status_code == 200
    assert_page_headers(page)
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(&#34;app&#34;)&lt;/script&gt;" in page.text
    assert '<link rel="stylesheet" href="/static/ui/signon.css">' in page.text
    assert "<style" not in page.text and "style=" not in page.text

    typed = '"><img src=x onerror=alert(1)>'
    refused = visitor.submit("signOn", username=typed, password="whatever")
    assert refused.status_code == 400
    assert "<img" not in refused.text
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in refused.text

    css = visitor.client.get("/static/ui/signon.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert visitor.client.get("/static/ui/other.css").status_code == 404


def test_a_post_without_the_pages_csrf_token_changes_nothing(
    tenant: Tenant, visitor: Visitor
) -> None:
    application = tenant.client({"type": "LOGIN"})
    user = tenant.user(tenant.population())
    visitor.start(tenant, application)
    page_csrf = visitor.csrf

    for forged in ("", "forged-token", page_csrf[:-2]):
        response = visitor.submit(
            "signOn", csrf=forged, username=user["username"], password=PASSWORD
        )
        assert response.status_code == 403
        assert_page_headers(response)
        assert "This page expired. Please try again." in response.text
    # The token of another flow of the same browser does not fit this one either.
    other = Visitor(visitor.client)
    other.start(tenant, application)
    response = visitor.submit(
        "signOn", csrf=other.csrf, username=user["username"], password=PASSWORD
    )
    assert response.status_code == 403

    # Still asking for the password: nothing was signed on.
    assert heading(visitor.open(visitor.url)) == "Sign on"
    done = visitor.submit("signOn", username=user["username"], password=PASSWORD)
    assert done.status_code == 303
    assert "/as/resume?flowId=" in done.headers["location"]


def test_bad_forms_are_shown_on_the_page(tenant: Tenant, visitor: Visitor) -> None:
    application = tenant.client({"type": "LOGIN"})
    visitor.start(tenant, application)
    url, csrf = visitor.url, visitor.csrf
    post = visitor.client.post
    cases = [
        (post(url, json={"csrf": csrf, "action": "signOn"}), 415),
        (post(url, data={"csrf": csrf, "action": "launchRockets"}), 400),
        (post(url, data={"csrf": csrf, "action": "signOn", "username": "a\x00b"}), 400),
        (post(url, content=b"csrf=" + b"x" * 70_000, headers=_form()), 413),
        (post(url, content=b"\xff\xfe=\xff", headers=_form()), 400),
        # An action the flow does not offer in its status: the flow says no.
        (post(url, data={"csrf": csrf, "action": "verifyEmail", "verificationCode": "1"}), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert_page_headers(response)
        assert 'role="alert"' in response.text
        assert heading(response) == "Sign on"
    # Required fields left empty come back beside their fields.
    empty = visitor.submit("signOn", username="", password="")
    assert empty.status_code == 400
    assert 'id="field-password-error"' in empty.text and "This field is required." in empty.text


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def test_unknown_expired_or_foreign_flows_are_a_friendly_404(
    tenant: Tenant, visitor: Visitor
) -> None:
    application = tenant.client({"type": "LOGIN"})
    visitor.start(tenant, application)
    env = tenant.environment_id
    urls = [
        f"/{env}/signon/?flowId=00000000-0000-4000-8000-000000000000",
        f"/{env}/signon/?flowId=not-a-flow",
        f"/{env}/signon/",
        "/not-an-environment/signon/?flowId=x",
    ]
    for url in urls:
        for response in (visitor.client.get(url), visitor.client.post(url, data={})):
            assert response.status_code == 404, url
            assert_page_headers(response)
            assert heading(response) == "This sign-on page has expired"
    # Another browser (without this one's interaction cookie) cannot open the flow.
    with httpx.Client(base_url=tenant.server.base_url) as stranger:
        assert stranger.get(visitor.url).status_code == 404


def test_identifier_first(tenant: Tenant, visitor: Visitor) -> None:
    application = tenant.client({"type": "IDENTIFIER_FIRST", "recovery": {"enabled": True}})
    user = tenant.user(tenant.population())
    page = visitor.start(tenant, application)
    assert 'value="lookup"' in page.text and 'autocomplete="username"' in page.text
    assert 'type="password"' not in page.text

    page = visitor.submit("lookup", username=user["username"])
    assert heading(page) == "Enter your password"
    assert f"Signing on as <strong>{user['username']}</strong>" in page.text
    assert 'autocomplete="current-password"' in page.text
    assert "Forgot password?" in page.text and "Not you?" in page.text

    wrong = visitor.submit("signOn", password="nope-nope")
    assert wrong.status_code == 400 and "The username or password is incorrect." in wrong.text
    done = visitor.submit("signOn", password=PASSWORD)
    assert done.status_code == 303 and "/as/resume?flowId=" in done.headers["location"]


def test_a_password_that_must_change(tenant: Tenant, visitor: Visitor) -> None:
    application = tenant.client({"type": "LOGIN"})
    user = tenant.user(tenant.population(password_policy="Basic"))
    response = tenant.api.put(
        f"/users/{user['id']}/password",
        json={"value": PASSWORD, "forceChange": True},
        headers={"Content-Type": SET_PASSWORD},
    )
    assert response.status_code == 200, response.text
    visitor.start(tenant, application)
    page = visitor.submit("signOn", username=user["username"], password=PASSWORD)
    assert heading(page) == "Change your password"
    assert 'autocomplete="current-password"' in page.text
    assert 'autocomplete="new-password"' in page.text

    weak = visitor.submit("changePassword", currentPassword=PASSWORD, newPassword="password")
    assert weak.status_code == 400
    assert 'id="field-newPassword-error"' in weak.text
    assert "Do not use a commonly used password." in weak.text
    wrong = visitor.submit("changePassword", currentPassword="not-it", newPassword=NEW_PASSWORD)
    assert wrong.status_code == 400 and 'id="field-currentPassword-error"' in wrong.text

    done = visitor.submit("changePassword", currentPassword=PASSWORD, newPassword=NEW_PASSWORD)
    assert done.status_code == 303 and "/as/resume?flowId=" in done.headers["location"]


def test_progressive_profiling(tenant: Tenant, visitor: Visitor) -> None:
    application = tenant.client(
        {"type": "LOGIN"},
        {
            "type": "PROGRESSIVE_PROFILING",
            "attributes": [
                {"name": "name.given", "required": True},
                {"name": "mobilePhone", "required": False},
            ],
            "preventMultiplePromptsPerFlow": True,
            "promptIntervalSeconds": 60,
            "promptText": "Tell us <a bit> more about yourself.",
        },
    )
    user = tenant.user(tenant.population())
    visitor.start(tenant, application)
    page = visitor.submit("signOn", username=user["username"], password=PASSWORD)
    assert heading(page) == "Complete your profile"
    assert "Tell us &lt;a bit&gt; more about yourself." in page.text
    assert 'name="attr.name.given"' in page.text and 'autocomplete="given-name"' in page.text
    assert 'name="attr.mobilePhone"' in page.text and 'type="tel"' in page.text

    missing = visitor.submit("updateProfile", **{"attr.mobilePhone": ""})
    assert missing.status_code == 400
    assert 'id="field-attr-name-given-error"' in missing.text

    given = f"Grace-{secrets.token_hex(2)}"
    done = visitor.submit("updateProfile", **{"attr.name.given": given})
    assert done.status_code == 303 and "/as/resume?flowId=" in done.headers["location"]
    assert tenant.api.get(f"/users/{user['id']}").json()["name"]["given"] == given


def test_a_failed_flow_shows_why_and_returns_to_the_application(
    tenant: Tenant, visitor: Visitor
) -> None:
    # A policy that never identifies anyone fails at once.
    application = tenant.client(
        {
            "type": "PROGRESSIVE_PROFILING",
            "attributes": [{"name": "name.given", "required": True}],
            "preventMultiplePromptsPerFlow": True,
            "promptIntervalSeconds": 60,
            "promptText": "More, please.",
        }
    )
    page = visitor.start(tenant, application)
    assert heading(page) == "Sign on failed"
    assert "The sign-on policy did not identify a user." in page.text
    back = re.search(r'<a href="([^"]+)">Return to the application</a>', page.text)
    assert back, page.text
    response = visitor.client.get(html.unescape(back.group(1)))
    assert response.status_code == 302
    assert response.headers["location"].startswith(tenant.redirect_uri)
    assert "error=access_denied" in response.headers["location"]
