"""The hosted sign-on page's MFA steps (in process): choosing a device, entering the passcode
(a wrong one shown beside the field, a new one sent on request), and the security-key step that
the security-key step (the page's script asks the browser, the form posts the assertion)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.flows.test_mfa_flows import (
    _policy_with,
    code,
    email_device,
    fido2_device,
    mfa,
    mfa_user,
    sms_device,
)
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api

pytestmark = pytest.mark.anyio


class Page:
    def __init__(self, browser: Browser, location: str) -> None:
        self.browser = browser
        self.url = location
        self.text = ""

    async def open(self) -> str:
        response = await self.browser.http.get(self.url)
        assert response.status_code == 200, response.text
        self.text = response.text
        return self.text

    async def submit(self, action: str, **fields: str) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert match, self.text
        form = {"csrf": match.group(1), "action": action, **fields}
        response = await self.browser.http.post(self.url, data=form)
        if response.status_code == 303:
            location = response.headers["location"]
            if "/signon/" not in location:
                return location
            self.url = location
            return await self.open()
        self.text = response.text
        return self.text


async def page_for(browser: Browser, client: support.Client) -> Page:
    response = await browser.authorize(client)
    assert response.status_code == 302, response.text
    page = Page(browser, response.headers["location"])
    await page.open()
    return page


async def test_select_a_device_and_enter_the_passcode(app: Any, admin: Api, env: str) -> None:
    policy_id, body = await _policy_with(admin, env, "PROMPT_TO_SELECT")
    path = f"/environments/{env}/deviceAuthenticationPolicies/{policy_id}"
    assert (await admin.put(path, json=body)).status_code == 200
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    sms = await sms_device(admin, env, person["id"])
    mail = await email_device(admin, env, person["id"], "page@example.com")
    async with Browser(app, env) as browser:
        page = await page_for(browser, client)
        text = await page.submit("signOn", username=person["username"], password=support.PASSWORD)
        assert "Choose a sign-on method" in text
        assert sms["id"] in text and mail["id"] in text and "p***@example.com" in text
        text = await page.submit("selectDevice", **{"device.id": mail["id"]})
        assert "Enter your passcode" in text and "p***@example.com" in text
        assert f'value="{sms["id"]}"' in text  # switch to the other device
        text = await page.submit("checkOtp", otp="not-it")
        assert "The one-time passcode is not valid." in text
        assert "remaining before the device is locked" in text
        text = await page.submit("sendOtp")
        assert "Enter your passcode" in text
        location = await page.submit("checkOtp", otp=await code(app, env, "page@example.com"))
        assert "/as/resume?flowId=" in location
        resumed = await browser.http.get(location)
        assert "code" in support.query_of(resumed.headers["location"])


async def test_the_security_key_step_posts_the_browsers_assertion(
    app: Any, admin: Api, env: str
) -> None:
    """The page gives its static script the request options (a JSON data block, no inline
    script) and takes the assertion back in its form; a bad one is refused on the page."""
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    _, authenticator = await fido2_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        page = await page_for(browser, client)
        text = await page.submit("signOn", username=person["username"], password=support.PASSWORD)
        assert "Use your security key" in text and "Start over" in text
        assert '<script src="/static/ui/webauthn.js" defer></script>' in text
        match = re.search(r'id="webauthn-request-options">(.*?)</script>', text, re.DOTALL)
        assert match, text
        options = json.loads(match.group(1))
        refused = await page.submit("checkAssertion", assertion='{"id": "nope"}')
        assert 'role="alert"' in refused and "Use your security key" in refused
        assertion = authenticator.assertion(json.dumps(options))
        location = await page.submit("checkAssertion", assertion=assertion)
        assert "/as/resume?flowId=" in location
        script = await browser.http.get("/static/ui/webauthn.js")
        assert script.status_code == 200 and "navigator.credentials.get" in script.text
