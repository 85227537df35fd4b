"""Seed 003's sign-on use cases, each following its numbered steps over HTTP against a real
`gatehouse serve` on loopback, with the worker token from `bootstrap`: "Configure an application
with an authorization code grant", "Configure a single-page application with an implicit grant",
"Configure a PKCE authorization workflow", "Add a user through a registration flow" and
"Configure a Progressive Profiling Sign-On Action"."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import (
    PASSWORD,
    REDIRECT_URI,
    act,
    authorize,
    browser,
    code_tokens,
    created,
    flow_id_of,
    fragment_of,
    grant,
    issuer_of,
    mailed_code,
    oidc_application,
    ok,
    pkce_pair,
    policy_for,
    query_of,
    resume,
    scopes_of,
    sign_on,
    suffix,
    user_with_password,
    verified_claims,
)
from tests.support.server import Server

pytestmark = pytest.mark.e2e


def test_authorization_code_grant(api: httpx.Client, server: Server) -> None:
    # Step 1: create an OpenID Connect application
    app = oidc_application(api, f"AuthCodeApp-{suffix()}")
    # Step 2: get the application secret
    secret = ok(api.get(f"/applications/{app['id']}/secret"))["secret"]
    # Steps 3-5: the PingOne API resource, its scopes, and the grant
    resource_id, scope_ids = scopes_of(api, "PingOne API", "p1:read:user")
    grant(api, app["id"], resource_id, scope_ids)
    person = user_with_password(api)
    with browser(server) as agent:
        # Step 6: obtain an authorization grant (POST, as the seed does)
        authorize = agent.post(
            "/as/authorize",
            data={
                "response_type": "code",
                "client_id": app["id"],
                "redirect_uri": REDIRECT_URI,
                "scope": "p1:read:user",
                "state": "seed-003",
            },
        )
        flow_id = flow_id_of(authorize)
        # Step 7: get the flow
        flow = ok(agent.get(f"/flows/{flow_id}"))
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert "usernamePassword.check" in flow["_links"]
        # Step 8: submit the user's credentials
        assert sign_on(agent, flow_id, person["username"])["status"] == "COMPLETED"
        returned = query_of(resume(agent, flow_id))
    assert returned["state"] == "seed-003"
    # Step 9: exchange the code for an access token
    tokens = code_tokens(issuer_of(server), (app["id"], secret), returned["code"])
    claims = verified_claims(issuer_of(server), tokens["access_token"])
    assert claims["sub"] == person["id"] and claims["scope"] == "p1:read:user"
    # Step 10: the user's token reads the user
    own = httpx.get(
        f"{server.api_path}/environments/{server.environment_id}/users/{person['id']}",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert ok(own)["username"] == person["username"]


def test_single_page_application_with_an_implicit_grant(api: httpx.Client, server: Server) -> None:
    # Step 1: a single-page application with the implicit grant
    app = oidc_application(
        api,
        f"ImplicitSPA-{suffix()}",
        type="SINGLE_PAGE_APP",
        grantTypes=["IMPLICIT"],
        responseTypes=["TOKEN", "ID_TOKEN"],
        tokenEndpointAuthMethod="NONE",
    )
    # Steps 2-4: resources, scopes, grant (openid, profile)
    resource_id, scope_ids = scopes_of(api, "openid", "openid", "profile")
    grant(api, app["id"], resource_id, scope_ids)
    # Steps 5-7: a population, a user in it, the user's password
    population = created(api.post("/populations", json={"name": f"SPA users {suffix()}"}))
    person = user_with_password(api, population["id"])
    with browser(server) as agent:
        # Step 8: the authorization request
        flow_id = flow_id_of(
            agent.get(
                "/as/authorize",
                params={
                    "response_type": "token id_token",
                    "client_id": app["id"],
                    "redirect_uri": REDIRECT_URI,
                    "scope": "openid profile",
                    "nonce": "n-0S6_WzA2Mj",
                    "state": "spa",
                },
            )
        )
        # Step 9: the flow; Step 10: the credentials; Step 11: resume returns the tokens
        assert ok(agent.get(f"/flows/{flow_id}"))["status"] == "USERNAME_PASSWORD_REQUIRED"
        sign_on(agent, flow_id, person["username"])
        location = resume(agent, flow_id)
    assert location.startswith(REDIRECT_URI + "#")
    returned = fragment_of(location)
    assert returned["token_type"] == "Bearer" and returned["state"] == "spa"
    id_claims = verified_claims(issuer_of(server), returned["id_token"])
    assert id_claims["nonce"] == "n-0S6_WzA2Mj" and id_claims["sub"] == person["id"]
    assert id_claims["aud"] == app["id"] and "at_hash" in id_claims
    userinfo = ok(
        httpx.get(
            f"{server.base_url}/{server.environment_id}/as/userinfo",
            headers={"Authorization": f"Bearer {returned['access_token']}"},
        )
    )
    assert userinfo["sub"] == person["id"]


def test_pkce_authorization_workflow(api: httpx.Client, server: Server) -> None:
    # Step 1: a native application using the authorization code grant with S256 PKCE
    app = oidc_application(
        api,
        f"PkceNative-{suffix()}",
        type="NATIVE_APP",
        redirectUris=["com.example.app://callback"],
        tokenEndpointAuthMethod="NONE",
        pkceEnforcement="S256_REQUIRED",
    )
    resource_id, scope_ids = scopes_of(api, "openid", "openid")
    grant(api, app["id"], resource_id, scope_ids)
    person = user_with_password(api)
    verifier, challenge = pkce_pair()
    with browser(server) as agent:
        request = {
            "response_type": "code",
            "client_id": app["id"],
            "redirect_uri": "com.example.app://callback",
            "scope": "openid",
        }
        # without the S256 method (plain is the default) the request is refused
        refused = agent.get("/as/authorize", params={**request, "code_challenge": challenge})
        assert query_of(refused.headers["location"])["error"] == "invalid_request"
        # Step 2: authorize with code_challenge and code_challenge_method
        flow_id = flow_id_of(
            agent.get(
                "/as/authorize",
                params={**request, "code_challenge": challenge, "code_challenge_method": "S256"},
            )
        )
        # Step 3: the flow; Step 4: the credentials
        assert ok(agent.get(f"/flows/{flow_id}"))["status"] == "USERNAME_PASSWORD_REQUIRED"
        sign_on(agent, flow_id, person["username"])
        code = query_of(resume(agent, flow_id))["code"]
    token_form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "com.example.app://callback",
        "client_id": app["id"],
    }
    wrong = httpx.post(server.token_endpoint, data={**token_form, "code_verifier": "x" * 43})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # a code is single-use: the refused exchange spent it, so sign on again
    with browser(server) as agent:
        flow_id = flow_id_of(
            agent.get(
                "/as/authorize",
                params={**request, "code_challenge": challenge, "code_challenge_method": "S256"},
            )
        )
        sign_on(agent, flow_id, person["username"])
        code = query_of(resume(agent, flow_id))["code"]
    tokens = ok(
        httpx.post(
            server.token_endpoint, data={**token_form, "code": code, "code_verifier": verifier}
        )
    )
    assert tokens["token_type"] == "Bearer" and "id_token" in tokens


def test_add_a_user_through_a_registration_flow(api: httpx.Client, server: Server) -> None:
    # Step 1: an application
    app = oidc_application(api, f"RegistrationApp-{suffix()}")
    resource_id, scope_ids = scopes_of(api, "openid", "openid")
    grant(api, app["id"], resource_id, scope_ids)
    # Step 2: a population for registered users
    population = created(api.post("/populations", json={"name": f"Registered {suffix()}"}))
    # Step 3: a sign-on policy; Step 4: its LOGIN action with registration enabled; Step 5:
    # assign the policy to the application
    registration = {"enabled": True, "population": {"id": population["id"]}}
    policy_for(api, app["id"], "Registration", {"type": "LOGIN", "registration": registration})
    username = f"newuser_{suffix()}"
    email = f"{username}@example.com"
    with browser(server) as agent:
        # Step 6: authorize; Step 7: get the flow
        flow_id = authorize(agent, app["id"], "openid")
        flow = ok(agent.get(f"/flows/{flow_id}"))
        assert "user.register" in flow["_links"]
        # Step 8: register the new user
        registered = ok(
            act(
                agent,
                flow_id,
                "user.register",
                {"username": username, "email": email, "password": PASSWORD},
            )
        )
        assert registered["status"] == "VERIFICATION_CODE_REQUIRED"
        # Step 9: verify the account with the e-mailed code
        code = mailed_code(api, email, "email_verification")
        verified = ok(act(agent, flow_id, "user.verify", {"verificationCode": code}))
        assert verified["status"] == "COMPLETED"
        assert "code" in query_of(resume(agent, flow_id))
    # Step 10: the new user exists in the directory, in the registration population
    users = ok(api.get("/users", params={"filter": f'username eq "{username}"'}))["_embedded"][
        "users"
    ]
    assert len(users) == 1
    assert users[0]["population"]["id"] == population["id"]
    assert users[0]["emailVerified"] is True and users[0]["lifecycle"]["status"] == "ACCOUNT_OK"


def test_progressive_profiling_sign_on_action(api: httpx.Client, server: Server) -> None:
    # Steps 1-2: an application and its secret
    app = oidc_application(api, f"ProfilingApp-{suffix()}")
    secret = ok(api.get(f"/applications/{app['id']}/secret"))["secret"]
    # Steps 3-5: resources, scopes, grant
    resource_id, scope_ids = scopes_of(api, "openid", "openid", "profile")
    grant(api, app["id"], resource_id, scope_ids)
    # Steps 6-8: a policy with a LOGIN action and a PROGRESSIVE_PROFILING action; Step 9: assign it
    policy_for(
        api,
        app["id"],
        "Profiling",
        {"type": "LOGIN"},
        {
            "type": "PROGRESSIVE_PROFILING",
            "attributes": [
                {"name": "name.given", "required": True},
                {"name": "name.family", "required": False},
            ],
            "preventMultiplePromptsPerFlow": True,
            "promptIntervalSeconds": 86400,
            "promptText": "For the best experience, we need a couple things from you.",
        },
    )
    # Steps 10-12: population, user, password
    population = created(api.post("/populations", json={"name": f"Profiled {suffix()}"}))
    person = user_with_password(api, population["id"])
    with browser(server) as agent:
        flow_id = authorize(agent, app["id"], "openid profile")
        asked = sign_on(agent, flow_id, person["username"])
        assert asked["status"] == "PROFILE_DATA_REQUIRED"
        assert asked["_embedded"]["promptText"].startswith("For the best experience")
        names = {attribute["name"] for attribute in asked["_embedded"]["attributes"]}
        assert names == {"name.given", "name.family"}
        missing = act(agent, flow_id, "user.update", {"name": {"family": "Only"}})
        assert missing.status_code == 400
        done = ok(
            act(agent, flow_id, "user.update", {"name": {"given": "Ada", "family": "Lovelace"}})
        )
        assert done["status"] == "COMPLETED"
        code = query_of(resume(agent, flow_id))["code"]
    tokens = code_tokens(issuer_of(server), (app["id"], secret), code)
    id_claims = verified_claims(issuer_of(server), tokens["id_token"])
    assert id_claims["given_name"] == "Ada" and id_claims["family_name"] == "Lovelace"
    assert ok(api.get(f"/users/{person['id']}"))["name"]["given"] == "Ada"
