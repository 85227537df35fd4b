"""pi.flow through DaVinci: /as/authorize starts the policy's flow and answers with the first screen
(verbose, or concise for the Ping SDK), the continue endpoint submits the form, a wrong password
leaves the interaction on the form, and success carries the ST cookie and the authorization
response whose code /as/token redeems. Every bad continue request gets a DaVinci error and
leaves the interaction as it was."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from gatehouse.app import create_app
from gatehouse.common import clock
from gatehouse.davinci.runtime.models import DavinciInteraction
from gatehouse.settings import Settings
from tests.davinci.runtime.signon import FORM_HTML, DavinciSetup, davinci_flow
from tests.davinci.runtime.support import evaluator, export, graph, node
from tests.signon import support
from tests.signon.support import PASSWORD, Browser, Client
from tests.support.api import Api

pytestmark = pytest.mark.anyio

SDK = {"X-Requested-With": "ping-sdk", "x-requested-platform": "javascript"}


async def _setup(admin: Api, env: str, **config: Any) -> tuple[Client, DavinciSetup, dict]:
    client = await support.application(admin, env, **config)
    person = await support.user(admin, env)
    return client, await davinci_flow(admin, env), person


async def _start(
    browser: Browser, client: Client, setup: DavinciSetup, *, sdk: bool, **params: Any
) -> httpx.Response:
    headers = SDK if sdk else {}
    query = {
        "client_id": client.id,
        "response_type": "code",
        "redirect_uri": support.REDIRECT_URI,
        "scope": "openid profile",
        "state": "xyz",
        "response_mode": "pi.flow",
        "acr_values": setup.policy_id,
        **params,
    }
    return await browser.http.get(f"/{browser.env}/as/authorize", params=query, headers=headers)


def _submission(screen: dict[str, Any], **form: Any) -> dict[str, Any]:
    return {
        "id": screen["id"],
        "eventName": "continue",
        "interactionId": screen["interactionId"],
        "parameters": {"eventType": "submit", "data": {"actionKey": "SIGNON", "formData": form}},
    }


async def _continue(
    browser: Browser,
    screen: dict[str, Any],
    body: Any,
    *,
    href: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {
        "interactionId": screen["interactionId"],
        "interactionToken": screen["interactionToken"],
        **SDK,
    }
    if headers is not None:
        sent = headers
    return await browser.http.post(
        href or screen["_links"]["next"]["href"], json=body, headers=sent
    )


async def test_verbose_first_screen_is_the_custom_html_template(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, _ = await _setup(admin, env)
    async with Browser(app, env) as browser:
        response = await _start(browser, client, setup, sdk=False)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["capabilityName"] == "customHTMLTemplate" and body["id"] == "howu8n9hsc"
    assert body["companyId"] == env and body["flowId"] == setup.flow_id
    assert body["connectionId"] == "867ed4363b2bc21c860085ad2baa817d"
    screen = body["screen"]
    assert screen["name"] == "HTTP"
    assert screen["properties"]["customHTML"]["value"] == FORM_HTML
    assert screen["properties"]["customHTML"]["displayName"] == "HTML Template"
    names = [f["propertyName"] for f in screen["properties"]["formFieldsList"]["value"]]
    assert names == ["username", "password", "buttonValue"]
    assert screen["userViews"][0]["screenTemplateName"] == "CustomHTMLTemplate"
    assert body["interactionId"] and len(body["interactionToken"]) == 64
    assert body["_links"]["next"]["href"] == (
        f"http://testserver/{env}/davinci/connections/867ed4363b2bc21c860085ad2baa817d"
        "/capabilities/customHTMLTemplate"
    )
    assert body["_links"]["self"]["href"].endswith(f"/davinci/policy/{setup.policy_id}/start")
    assert "session" not in body and "form" not in body


async def test_concise_sign_on_ends_in_tokens_from_the_token_endpoint(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, person = await _setup(
        admin, env, tokenEndpointAuthMethod="NONE", type="SINGLE_PAGE_APP"
    )
    verifier, challenge = support.pkce_pair()
    async with Browser(app, env) as browser:
        started = await _start(
            browser, client, setup, sdk=True, code_challenge=challenge, code_challenge_method="S256"
        )
        assert started.status_code == 200, started.text
        screen = started.json()
        assert screen["eventName"] == "continue"
        assert screen["isResponseCompatibleWithMobileAndWebSdks"] is True
        assert screen["form"]["name"] == "Username/Password Form"
        assert screen["form"]["components"]["fields"] == [
            {"type": "TEXT", "key": "username", "label": "Username"},
            {"type": "PASSWORD", "key": "password", "label": "Password"},
            {"type": "SUBMIT_BUTTON", "key": "SIGNON", "label": "Sign On"},
        ]
        assert screen["formData"] == {"value": {"username": "", "password": ""}}
        assert "screen" not in screen and "session" not in screen

        wrong = await _continue(
            browser, screen, _submission(screen, username=person["username"], password="nope")
        )
        assert wrong.status_code == 400, wrong.text
        error = wrong.json()
        assert error["connectorId"] == "pingOneSSOConnector"
        assert error["capabilityName"] == "checkPassword"
        assert error["interactionId"] == screen["interactionId"]
        raw = error["details"][0]["rawResponse"]
        assert raw["code"] == "INVALID_DATA"
        assert raw["details"][0]["code"] == "INVALID_CREDENTIALS"

        done = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["status"] == "COMPLETED" and body["success"] is True
        assert body["capabilityName"] == "returnSuccessResponseRedirect"
        assert body["connectorId"] == "pingOneAuthenticationConnector"
        assert body["environment"] == {"id": env} and body["session"]["id"]
        assert body["authorizeResponse"]["state"] == "xyz"
        assert body["sessionToken"] and body["sessionTokenMaxAge"] == 2592000
        cookies = done.headers.get_list("set-cookie")
        assert any(c.startswith(f"ST={body['sessionToken']}") for c in cookies)

        again = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
        assert again.status_code == 400 and again.json()["code"] == "interactionEnded"

    tokens = await support.exchange(
        admin.client, env, client, body["authorizeResponse"]["code"], code_verifier=verifier
    )
    assert tokens.status_code == 200, tokens.text
    issued = tokens.json()
    assert issued["access_token"] and issued["id_token"]
    userinfo = await admin.client.get(
        f"/{env}/as/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == person["id"]


async def test_implicit_tokens_come_back_in_the_authorize_response(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, person = await _setup(
        admin,
        env,
        grantTypes=["AUTHORIZATION_CODE", "IMPLICIT"],
        responseTypes=["TOKEN", "ID_TOKEN", "CODE"],
    )
    async with Browser(app, env) as browser:
        screen = (
            await _start(
                browser, client, setup, sdk=False, response_type="token id_token", nonce="n1"
            )
        ).json()
        done = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
    assert done.status_code == 200, done.text
    response = done.json()["authorizeResponse"]
    assert response["token_type"] == "Bearer" and isinstance(response["expires_in"], int)
    assert response["access_token"] and response["id_token"] and "code" not in response


async def _waiting(admin: Api, env: str, app: Any) -> tuple[Browser, dict[str, Any], dict]:
    client, setup, person = await _setup(admin, env)
    browser = Browser(app, env)
    screen = (await _start(browser, client, setup, sdk=True)).json()
    return browser, screen, person


async def test_bad_continue_requests_change_nothing(admin: Api, env: str, app: Any) -> None:
    browser, screen, person = await _waiting(admin, env, app)
    _, other, _ = await _waiting(admin, env, app)
    good = _submission(screen, username=person["username"], password=PASSWORD)
    href = screen["_links"]["next"]["href"]
    try:
        cases: list[tuple[httpx.Response, int, str]] = []
        cases.append(
            (await _continue(browser, screen, good, headers={}), 401, "invalidInteraction")
        )
        wrong_token = {"interactionId": screen["interactionId"], "interactionToken": "0" * 64}
        cases.append(
            (await _continue(browser, screen, good, headers=wrong_token), 401, "invalidInteraction")
        )
        others_token = {
            "interactionId": screen["interactionId"],
            "interactionToken": other["interactionToken"],
        }
        cases.append(
            (
                await _continue(browser, screen, good, headers=others_token),
                401,
                "invalidInteraction",
            )
        )
        stale = {**good, "id": "someoldnode"}
        cases.append((await _continue(browser, screen, stale), 400, "invalidNode"))
        wrong_capability = href.replace("customHTMLTemplate", "customHtmlMessage")
        cases.append(
            (
                await _continue(browser, screen, good, href=wrong_capability),
                400,
                "invalidCapability",
            )
        )
        wrong_connection = href.replace("867ed4363b2bc21c860085ad2baa817d", "0" * 32)
        cases.append(
            (
                await _continue(browser, screen, good, href=wrong_connection),
                400,
                "invalidCapability",
            )
        )
        big = _submission(screen, username="x" * 70000, password=PASSWORD)
        cases.append((await _continue(browser, screen, big), 413, "requestTooLarge"))
        many = _submission(screen, **{f"f{i}": "v" for i in range(150)})
        cases.append((await _continue(browser, screen, many), 413, "requestTooLarge"))
        long_value = _submission(screen, username="u" * 5000, password=PASSWORD)
        cases.append((await _continue(browser, screen, long_value), 400, "invalidFormData"))
        nested = _submission(screen, username={"$ne": ""}, password=PASSWORD)
        cases.append((await _continue(browser, screen, nested), 400, "invalidFormData"))
        cases.append(
            (await _continue(browser, screen, ["not", "an", "object"]), 400, "invalidRequest")
        )
        for response, status, code in cases:
            assert response.status_code == status, (code, response.text)
            body = response.json()
            assert body["code"] == code, body
            assert body["isResponseCompatibleWithMobileAndWebSdks"] is True
            assert "session" not in body
        done = await _continue(browser, screen, good)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "COMPLETED"
    finally:
        await browser.http.aclose()


async def test_an_expired_interaction_is_refused(admin: Api, env: str, app: Any) -> None:
    browser, screen, person = await _waiting(admin, env, app)
    try:
        clock.advance(901)
        response = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
        assert response.status_code == 400
        assert response.json()["code"] == "requestTimedOut"
    finally:
        await browser.http.aclose()


async def test_applications_without_a_davinci_policy_keep_their_sign_on_policy(
    admin: Api, env: str, app: Any
) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        response = await browser.authorize(client, response_mode="pi.flow")
    assert response.status_code == 200
    assert response.json()["status"] == "USERNAME_PASSWORD_REQUIRED"


P1_SESSION = "p1sessionmainflow.json"
IMPORT = "application/vnd.pingidentity.flow.import+json"


async def _imported_policy(admin: Api, env: str, name: str) -> str:
    document = export(name)
    imported = await admin.post(f"/environments/{env}/flows", json=document, media_type=IMPORT)
    assert imported.status_code == 201, imported.text
    flow = imported.json()
    application = await admin.create(f"/environments/{env}/davinciApplications", {"name": name})
    policy = await admin.create(
        f"/environments/{env}/davinciApplications/{application['id']}/flowPolicies",
        {"flowDistributions": [{"id": flow["id"], "version": flow["publishedVersion"]}]},
    )
    return policy["id"]


async def test_the_pingone_session_main_flow_export_reuses_the_browser_session(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, person = await _setup(admin, env)
    session_policy = await _imported_policy(admin, env, P1_SESSION)
    async with Browser(app, env) as browser:
        screen = (await _start(browser, client, setup, sdk=True)).json()
        signed_on = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
        assert signed_on.status_code == 200, signed_on.text
        # checkSession finds the session, goToNode -> startNode -> returnSuccessResponseRedirect
        again = await _start(browser, client, setup, sdk=True, acr_values=session_policy)
        assert again.status_code == 200, again.text
        body = again.json()
        assert body["status"] == "COMPLETED" and body["authorizeResponse"]["code"]
        assert body["capabilityName"] == "returnSuccessResponseRedirect"
        assert body["session"]["id"] == signed_on.json()["session"]["id"]
    async with Browser(app, env) as stranger:
        # without a session the export calls its sign-on sub-flow, which was not exported
        refused = await _start(stranger, client, setup, sdk=True, acr_values=session_policy)
    assert refused.status_code == 400
    assert refused.json()["code"] == "subFlowNotFound"
    assert refused.json()["capabilityName"] == "startUiSubFlow"


async def test_flow_policy_assignment_selects_the_davinci_flow(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, _ = await _setup(admin, env)
    await admin.create(
        f"/environments/{env}/applications/{client.id}/flowPolicyAssignments",
        {"flowPolicy": {"id": setup.policy_id}},
    )
    async with Browser(app, env) as browser:
        response = await _start(browser, client, setup, sdk=True, acr_values=None)
    assert response.status_code == 200, response.text
    assert response.json()["flowId"] == setup.flow_id


API_GRAPH = graph(
    [
        node(
            "cmp",
            "functionsConnector",
            "AEqualsB",
            leftValueA="{{global.parameters.a}}",
            rightValueB="1",
        ),
        evaluator("e", fail="anyTriggersFalse"),
        node(
            "done",
            "httpConnector",
            "createSuccessResponse",
            successResponseFields=[{"name": "greeting", "value": "hi {{global.parameters.name}}"}],
        ),
        node(
            "fail",
            "httpConnector",
            "createErrorResponse",
            errorMessage="a must be 1",
            httpResponseCode=422,
        ),
    ],
    [("cmp", "e"), ("e", "done"), ("e", "fail")],
)


async def test_api_started_policy_needs_the_api_key_and_returns_the_success_response(
    admin: Api, env: str
) -> None:
    setup = await davinci_flow(admin, env, API_GRAPH)
    url = f"/{env}/davinci/policy/{setup.policy_id}/start"
    key = setup.application["apiKey"]["value"]
    http = admin.client
    started = await http.post(url, json={"a": "1", "name": "ada"}, headers={"X-SK-API-KEY": key})
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["success"] is True and body["status"] == "COMPLETED"
    assert body["additionalProperties"] == {"greeting": "hi ada"}
    assert "session" not in body and "authorizeResponse" not in body
    failed = await http.post(url, json={"a": "2"}, headers={"X-SK-API-KEY": key})
    assert failed.status_code == 422 and failed.json()["message"] == "a must be 1"
    wrong = await http.post(url, json={"a": "1"}, headers={"X-SK-API-KEY": "nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalidApiKey"
    missing = await http.post(url, json={"a": "1"})
    assert missing.status_code == 401
    not_json = await http.post(url, content=b"[1]", headers={"X-SK-API-KEY": key})
    assert not_json.status_code == 400 and not_json.json()["code"] == "invalidRequest"
    headless = f"/orchestrate/v1/company/{env}/policy/{setup.policy_id}/start"
    again = await http.post(headless, json={"a": "1", "name": "bob"}, headers={"X-SK-API-KEY": key})
    assert again.status_code == 200 and again.json()["additionalProperties"] == {
        "greeting": "hi bob"
    }


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


async def test_redirect_modes_show_html_screens_and_answer_in_the_requests_mode(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, person = await _setup(admin, env)
    async with Browser(app, env) as browser:
        page = await browser.authorize(client, acr_values=setup.policy_id)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action and action.group(1).endswith(f"/davinci/policy/{setup.policy_id}/authorize")
        fields = {name: _hidden(page.text, name) for name in ("interactionId", "nodeId")}
        posted = await browser.http.post(
            action.group(1),
            data={
                **fields,
                "buttonValue": "SIGNON",
                "username": person["username"],
                "password": PASSWORD,
            },
        )
        assert posted.status_code == 302, posted.text
        query = support.query_of(posted.headers["location"])
        assert posted.headers["location"].startswith(support.REDIRECT_URI + "?")
        assert query["state"] == "xyz"
        assert any(c.startswith("ST=") for c in posted.headers.get_list("set-cookie"))
    tokens = await support.exchange(admin.client, env, client, query["code"])
    assert tokens.status_code == 200, tokens.text


async def test_the_interaction_state_is_sealed_at_rest(admin: Api, env: str, app: Any) -> None:
    browser, screen, person = await _waiting(admin, env, app)
    typed = "Typed-Secret-" + "9" * 8
    try:
        await _continue(
            browser, screen, _submission(screen, username=person["username"], password=typed)
        )
        done = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
        assert done.status_code == 200
    finally:
        await browser.http.aclose()
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        row = await session.get(DavinciInteraction, uuid.UUID(screen["interactionId"]))
        assert row is not None
        assert PASSWORD not in row.state_sealed and person["username"] not in row.state_sealed
        assert screen["interactionToken"] not in row.token_digest
        state = row.read_state(runtime.sealer)
    output = state["frames"][0]["results"]["howu8n9hsc"]["output"]
    assert output["password"] == PASSWORD  # what the flow read, kept for the flow only


async def test_a_flow_disabled_mid_interaction_ends_it_with_an_error(
    admin: Api, env: str, app: Any
) -> None:
    client, setup, person = await _setup(admin, env)
    async with Browser(app, env) as browser:
        screen = (await _start(browser, client, setup, sdk=True)).json()
        disabled = await admin.put(
            f"/environments/{env}/flows/{setup.flow_id}/enabled", json={"enabled": False}
        )
        assert disabled.status_code == 200, disabled.text
        response = await _continue(
            browser, screen, _submission(screen, username=person["username"], password=PASSWORD)
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalidFlow"


async def test_an_imported_export_runs_with_its_variables(admin: Api, env: str) -> None:
    """full-basic-vars: its flow variables are saved, its company variable shown, and the call
    of a sub-flow the export does not contain fails on the screen, which stays."""
    policy_id = await _imported_policy(admin, env, "full-basic-vars.json")
    policy = (await admin.get(f"/environments/{env}/flowPolicies/{policy_id}")).json()
    application = (
        await admin.get(f"/environments/{env}/davinciApplications/{policy['application']['id']}")
    ).json()
    http = admin.client
    started = await http.post(
        f"/{env}/davinci/policy/{policy_id}/start",
        headers={"X-SK-API-KEY": application["apiKey"]["value"], **SDK},
    )
    assert started.status_code == 200, started.text
    screen = started.json()
    assert screen["capabilityName"] == "customHtmlMessage" and screen["id"] == "1u2m5vzr49"
    assert screen["form"]["components"]["fields"][0] == {
        "type": "LABEL",
        "content": "Hello, world?",
    }
    listed = (await admin.get(f"/environments/{env}/variables")).json()["_embedded"]["variables"]
    values = {variable["name"]: variable.get("value") for variable in listed}
    assert values["fdgdfgfdg"] == "fdgdfgfdgValue" and values["test123"] == 5
    body = {
        "id": screen["id"],
        "eventName": "continue",
        "interactionId": screen["interactionId"],
        "parameters": {"eventType": "submit", "data": {"actionKey": "continue", "formData": {}}},
    }
    headers = {
        "interactionId": screen["interactionId"],
        "interactionToken": screen["interactionToken"],
    }
    for _ in range(2):  # the failure leaves the interaction on the message
        failed = await http.post(screen["_links"]["next"]["href"], json=body, headers=headers)
        assert failed.status_code == 400, failed.text
        assert failed.json()["code"] == "subFlowNotFound"
        assert failed.json()["id"] == "kq5ybvwvro"


async def test_another_process_resumes_the_interaction(
    admin: Api, env: str, app: Any, settings: Settings
) -> None:
    """Everything an interaction needs is in the database: a second app (another node of a
    cluster, same database and secret key) takes the continue request."""
    client, setup, person = await _setup(admin, env)
    async with Browser(app, env) as first:
        screen = (await _start(first, client, setup, sdk=True)).json()
    other = create_app(settings)
    try:
        async with Browser(other, env) as second:
            done = await _continue(
                second, screen, _submission(screen, username=person["username"], password=PASSWORD)
            )
        assert done.status_code == 200, done.text
        assert done.json()["authorizeResponse"]["code"]
    finally:
        await other.state.runtime.close()
