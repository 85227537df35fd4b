"""After a social sign-on, in process against a real OAuth 2.0 server on loopback (Facebook's
shape): account linking when the provider may not create users or a username is taken, account
confirmation when the LOGIN action asks for it, and IDENTIFIER_FIRST discovery rules; a link
racing another sign-on's for the same subject, or the same user, is refused, not a 500."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.directory.models import User
from gatehouse.federation import provisioning
from gatehouse.federation.models import IdentityProvider, LinkedAccount
from gatehouse.federation.signon import SignOnError
from tests.federation.conftest import create_provider
from tests.federation.social_server import Person, SocialServer
from tests.signon.support import PASSWORD, Browser, application, policy_for, query_of, user
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

APP_ID = "424242424242"
APP_SECRET = "facebook-app-secret"


@pytest.fixture(scope="module")
def facebook() -> Iterator[SocialServer]:
    with SocialServer(APP_ID, APP_SECRET) as server:
        yield server


@pytest.fixture(autouse=True)
def _facebook_endpoints(outbound: Callable[..., None], facebook: SocialServer) -> None:
    outbound(
        outbound_allow_private=True,
        outbound_allow_http=True,
        federation_endpoints={"FACEBOOK": facebook.endpoints},
    )


def person(email: str | None = None) -> Person:
    return Person(
        str(secrets.randbelow(10**12)),
        email or f"fb-{secrets.token_hex(4)}@example.com",
        "Grace",
        "Hopper",
    )


async def facebook_provider(admin: Api, env: str, **overrides: Any) -> dict[str, Any]:
    provider = await create_provider(
        admin,
        env,
        {
            "type": "FACEBOOK",
            "name": f"Facebook {secrets.token_hex(3)}",
            "enabled": True,
            "appId": APP_ID,
            "appSecret": APP_SECRET,
            **overrides,
        },
    )
    await admin.create(
        f"/environments/{env}/identityProviders/{provider['id']}/attributes",
        {"name": "name.given", "value": "${providerAttributes.first_name}", "update": "ALWAYS"},
    )
    return provider


async def through_facebook(browser: Browser, href: str) -> dict[str, Any]:
    """Follow an authenticate link, consent at the loopback Facebook, come back: the flow."""
    upstream = await browser.http.get(href)
    assert upstream.status_code == 302, upstream.text
    async with httpx.AsyncClient() as outside:
        consent = await outside.get(upstream.headers["location"])
    assert consent.status_code == 302, consent.text
    back = await browser.http.get(consent.headers["location"])
    assert back.status_code == 302, back.text
    flow_id = query_of(upstream.headers["location"])["state"].split(".")[0]
    return (await browser.flow(flow_id)).json()


async def login_flow(browser: Browser, client: Any) -> tuple[str, dict[str, Any]]:
    flow_id = await browser.start(client)
    flow = (await browser.flow(flow_id)).json()
    assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
    return flow_id, flow


def authenticate_href(flow: dict[str, Any]) -> str:
    return flow["_embedded"]["socialProviders"][0]["_links"]["authenticate"]["href"]


async def users_named(admin: Api, env: str, username: str) -> list[dict[str, Any]]:
    page = (
        await admin.get(
            f"/environments/{env}/users", params={"filter": f'username eq "{username}"'}
        )
    ).json()
    return page["_embedded"]["users"]


async def test_a_provider_that_creates_nobody_asks_to_link_a_local_account(
    app: Any, admin: Api, env: str, facebook: SocialServer
) -> None:
    provider = await facebook_provider(admin, env)
    client = await application(admin, env)
    await policy_for(admin, env, client.id, [{"type": "LOGIN", "socialProviders": [provider]}])
    local = await user(admin, env)
    facebook.signed_in = grace = person()
    async with Browser(app, env) as browser:
        flow_id, flow = await login_flow(browser, client)
        linking = await through_facebook(browser, authenticate_href(flow))
        assert linking["status"] == "ACCOUNT_LINKING_REQUIRED"
        assert linking["_embedded"]["identityProvider"]["id"] == provider["id"]
        assert "usernamePassword.check" in linking["_links"]
        assert await users_named(admin, env, grace.email) == []

        wrong = await browser.act(
            flow_id, "usernamePassword.check", {"username": local["username"], "password": "x"}
        )
        assert_error(wrong, 400, "INVALID_DATA", detail="INVALID_CREDENTIALS")
        assert (await browser.flow(flow_id)).json()["status"] == "ACCOUNT_LINKING_REQUIRED"
        done = await browser.sign_on(flow_id, local["username"])
        assert done["status"] == "COMPLETED"
        assert done["_embedded"]["user"]["id"] == local["id"]

    links = (await admin.get(f"/environments/{env}/users/{local['id']}/linkedAccounts")).json()
    assert [link["externalId"] for link in links["_embedded"]["linkedAccounts"]] == [grace.id]
    linked = (await admin.get(f"/environments/{env}/users/{local['id']}")).json()
    assert linked["name"]["given"] == "Grace"  # the ALWAYS mapping, applied on linking
    async with Browser(app, env) as browser:
        _, flow = await login_flow(browser, client)
        again = await through_facebook(browser, authenticate_href(flow))
        assert again["status"] == "COMPLETED"
        assert again["_embedded"]["user"]["id"] == local["id"]


async def test_a_taken_username_asks_for_linking_instead_of_failing(
    app: Any, admin: Api, env: str, facebook: SocialServer
) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": "Social"})
    provider = await facebook_provider(
        admin, env, registration={"population": {"id": population["id"]}}
    )
    client = await application(admin, env)
    await policy_for(admin, env, client.id, [{"type": "LOGIN", "socialProviders": [provider]}])
    taken = f"taken-{secrets.token_hex(3)}@example.com"
    local = await user(admin, env, username=taken)
    facebook.signed_in = person(taken)
    async with Browser(app, env) as browser:
        flow_id, flow = await login_flow(browser, client)
        linking = await through_facebook(browser, authenticate_href(flow))
        assert linking["status"] == "ACCOUNT_LINKING_REQUIRED"
        assert (await browser.sign_on(flow_id, taken))["status"] == "COMPLETED"
    assert [item["id"] for item in await users_named(admin, env, taken)] == [local["id"]]


async def test_confirmation_shows_the_mapped_attributes_and_creates_the_confirmed_user(
    app: Any, admin: Api, env: str, facebook: SocialServer
) -> None:
    provider = await facebook_provider(admin, env)
    client = await application(admin, env)
    registration = {"enabled": True, "confirmIdentityProviderAttributes": True}
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "LOGIN", "registration": registration, "socialProviders": [provider]}],
    )
    facebook.signed_in = grace = person()
    async with Browser(app, env) as browser:
        flow_id, flow = await login_flow(browser, client)
        confirming = await through_facebook(browser, authenticate_href(flow))
        assert confirming["status"] == "ACCOUNT_CONFIRMATION_REQUIRED"
        assert confirming["_embedded"]["user"] == {
            "username": grace.email,
            "name": {"given": "Grace"},
        }
        assert await users_named(admin, env, grace.email) == []
        refused = await browser.act(flow_id, "user.confirm", {"title": "Admiral"})
        assert_error(refused, 400, "INVALID_DATA", target="title")
        listed = await browser.act(flow_id, "user.confirm", {"username": ["a", "b"]})
        assert_error(listed, 400, "INVALID_DATA", target="username")
        too_long = await browser.act(flow_id, "user.confirm", {"username": "x" * 200})
        assert_error(too_long, 400, "INVALID_DATA", target="username")
        assert (await browser.flow(flow_id)).json()["status"] == "ACCOUNT_CONFIRMATION_REQUIRED"
        assert await users_named(admin, env, "x" * 200) == []
        done = await browser.act(flow_id, "user.confirm", {"name": {"given": "Amazing Grace"}})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "COMPLETED"
    (created,) = await users_named(admin, env, grace.email)
    assert created["name"]["given"] == "Amazing Grace"
    assert created["identityProvider"]["id"] == provider["id"]


async def test_a_confirmed_identity_matching_a_local_user_asks_for_linking(
    app: Any, admin: Api, env: str, facebook: SocialServer
) -> None:
    provider = await facebook_provider(admin, env)
    client = await application(admin, env)
    registration = {"enabled": True, "confirmIdentityProviderAttributes": True}
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "LOGIN", "registration": registration, "socialProviders": [provider]}],
    )
    local = await user(admin, env)
    facebook.signed_in = person()
    async with Browser(app, env) as browser:
        flow_id, flow = await login_flow(browser, client)
        await through_facebook(browser, authenticate_href(flow))
        linking = await browser.act(flow_id, "user.confirm", {"username": local["username"]})
        assert linking.json()["status"] == "ACCOUNT_LINKING_REQUIRED"
        done = await browser.sign_on(flow_id, local["username"], PASSWORD)
        assert done["_embedded"]["user"]["id"] == local["id"]


async def test_discovery_rules_route_unknown_identifiers_to_their_provider(
    app: Any, admin: Api, env: str, facebook: SocialServer
) -> None:
    provider = await facebook_provider(admin, env)
    client = await application(admin, env)
    rule = {
        "condition": {"contains": "@partner.example", "value": "${identifier}"},
        "identityProvider": {"id": provider["id"]},
    }
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "IDENTIFIER_FIRST", "discoveryRules": [rule], "registration": {"enabled": True}}],
    )
    insider = await user(admin, env, username=f"in-{secrets.token_hex(3)}@partner.example")
    facebook.signed_in = outsider = person(f"out-{secrets.token_hex(3)}@partner.example")
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        routed = await browser.act(flow_id, "user.lookup", {"username": outsider.email.upper()})
        flow = routed.json()
        assert flow["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        assert flow["_embedded"]["identityProvider"]["id"] == provider["id"]
        done = await through_facebook(browser, flow["_links"]["authenticate"]["href"])
        assert done["status"] == "COMPLETED"
    assert len(await users_named(admin, env, outsider.email)) == 1

    async with Browser(app, env) as browser:
        for identifier in (insider["username"], "someone@elsewhere.example"):
            flow_id = await browser.start(client)
            looked_up = await browser.act(flow_id, "user.lookup", {"username": identifier})
            assert looked_up.json()["status"] == "PASSWORD_REQUIRED"


async def test_identifier_first_offers_its_social_providers_beside_the_identifier(
    app: Any, admin: Api, env: str, facebook: SocialServer
) -> None:
    provider = await facebook_provider(admin, env)
    client = await application(admin, env)
    action = {
        "type": "IDENTIFIER_FIRST",
        "registration": {"enabled": True},
        "socialProviders": [{"id": provider["id"]}],
    }
    await policy_for(admin, env, client.id, [action])
    facebook.signed_in = ada = person()
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "SIGN_ON_REQUIRED" and "user.lookup" in flow["_links"]
        done = await through_facebook(browser, authenticate_href(flow))
        assert done["status"] == "COMPLETED"
    assert len(await users_named(admin, env, ada.email)) == 1


async def test_a_link_racing_another_for_the_same_subject_is_refused_in_a_usable_transaction(
    app: Any, admin: Api, env: str
) -> None:
    """Another sign-on's transaction links the subject and commits after this one's check saw
    nothing: the unique constraint refuses the insert, and link() says so as the check would."""
    provider_id = uuid.UUID((await facebook_provider(admin, env))["id"])
    winner_id = uuid.UUID((await user(admin, env))["id"])
    loser_id = uuid.UUID((await user(admin, env))["id"])
    subject = secrets.token_hex(6)
    refusal = await _lose_a_race(
        app, env, provider_id, (winner_id, subject), (loser_id, subject), "another-subject"
    )
    assert refusal == provisioning.SUBJECT_LINKED
    assert await _links(app, provider_id) == {
        (winner_id, subject),
        (loser_id, "another-subject"),
    }


async def test_a_link_racing_another_for_the_same_user_is_refused_as_the_check_would(
    app: Any, admin: Api, env: str
) -> None:
    """Another sign-on's transaction links the user to another subject of the provider and
    commits after this one's check saw nothing: the unique (provider, user) refuses the insert,
    and link() says the user is linked, not the subject."""
    provider_id = uuid.UUID((await facebook_provider(admin, env))["id"])
    user_id = uuid.UUID((await user(admin, env))["id"])
    subject = secrets.token_hex(6)
    refusal = await _lose_a_race(app, env, provider_id, (user_id, subject), (user_id, "other"))
    assert refusal == provisioning.USER_LINKED
    assert await _links(app, provider_id) == {(user_id, subject)}


async def _lose_a_race(
    app: Any,
    env: str,
    provider_id: uuid.UUID,
    winner: tuple[uuid.UUID, str],
    loser: tuple[uuid.UUID, str],
    then_link: str | None = None,
) -> str:
    """The refusal of link(*loser) when the winner's link, inserted first but committed only once
    the loser is past its check, takes the unique constraint; the loser's transaction then links
    `then_link` (when given) and commits, so it must still be usable."""
    sessions = app.state.runtime.sessions
    async with sessions() as first, first.begin(), sessions() as second, second.begin():
        first.add(
            LinkedAccount(
                environment_id=uuid.UUID(env),
                user_id=winner[0],
                identity_provider_id=provider_id,
                external_id=winner[1],
            )
        )
        await first.flush()  # inserted, not committed: invisible to the loser's check
        provider = await second.get(IdentityProvider, provider_id)
        loser_user = await second.get(User, loser[0])
        assert provider is not None and loser_user is not None
        inserting = await _on_insert_of_link(second)
        racing = asyncio.create_task(provisioning.link(second, provider, loser_user, loser[1]))
        await asyncio.wait_for(inserting.wait(), 10)  # past the check, which saw no link
        await first.commit()
        with pytest.raises(SignOnError) as refused:
            await asyncio.wait_for(racing, 10)
        if then_link is not None:
            await provisioning.link(second, provider, loser_user, then_link)
        await second.commit()
    return refused.value.message


async def _on_insert_of_link(session: AsyncSession) -> asyncio.Event:
    """Set when the session's connection is about to insert a linked account."""
    inserting = asyncio.Event()
    connection = await session.connection()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LINKED_ACCOUNTS"):
            inserting.set()

    sa.event.listen(connection.sync_connection, "before_cursor_execute", before)
    return inserting


async def _links(app: Any, provider_id: uuid.UUID) -> set[tuple[uuid.UUID, str]]:
    async with app.state.runtime.sessions() as session:
        rows = await session.execute(
            sa.select(LinkedAccount.user_id, LinkedAccount.external_id).where(
                LinkedAccount.identity_provider_id == provider_id
            )
        )
        return {(row.user_id, row.external_id) for row in rows}
