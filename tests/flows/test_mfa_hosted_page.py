"""The hosted sign-on page's MFA steps (in process): choosing a device, entering the passcode
(a wrong one shown beside the field, a new one sent on request), and the security-key step that
the page leaves to applications."""

from __future__ import annotations

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


async def test_security_keys_are_left_to_applications(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    await fido2_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        page = await page_for(browser, client)
        text = await page.submit("signOn", username=person["username"], password=support.PASSWORD)
        assert "Use your security key" in text and "cannot ask your browser" in text
        assert "Start over" in text
