"""Connectors that work on Gatehouse itself, run through the engine with a real database: the
PingOne directory (lookup, create, read, update, check password, add to group), PingOne
authentication (setSession, checkSession), and the HTTP connector's outbound call."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.davinci.engine.context import Browser, RunContext
from gatehouse.davinci.engine.runner import Completed, Failed, FlowRunner, Outcome
from gatehouse.davinci.engine.state import InteractionState, new_state
from gatehouse.settings import Settings
from tests.davinci.runtime.support import Flows, Variables, evaluator, graph, node
from tests.signon import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio

SSO = "pingOneSSOConnector"
AUTH = "pingOneAuthenticationConnector"


@pytest.fixture(scope="module")
def settings(
    database_url: str, secret_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Outbound calls to the loopback test server are allowed here."""
    data_dir: Path = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=secret_key,
        outbound_allow_http=True,
        outbound_allow_private=True,
    )


@pytest.fixture
async def db(app: Any) -> AsyncIterator[AsyncSession]:
    async with app.state.runtime.sessions() as session, session.begin():
        yield session


async def run(
    app: Any,
    db: AsyncSession,
    env: str,
    nodes: list[dict[str, Any]],
    edges: list[tuple[str, str]],
    browser: Browser | None = None,
    **parameters: Any,
) -> tuple[Outcome, InteractionState, RunContext]:
    flows = Flows()
    flows.add("f", graph(nodes, edges))
    ctx = RunContext(
        uuid.UUID(env),
        flows,
        Variables(),
        db=db,
        runtime=app.state.runtime,
        browser=browser or Browser(ip="192.0.2.7"),
    )
    state = new_state("f", 1, parameters, {})
    return await FlowRunner(ctx).start(state), state, ctx


def respond(*fields: str) -> dict[str, Any]:
    return node(
        "done",
        "httpConnector",
        "createSuccessResponse",
        successResponseFields=[
            {"name": name, "value": "{{" + path + "}}"}
            for name, path in (field.split("=", 1) for field in fields)
        ],
    )


async def test_user_lookup_matches_email_and_reports_a_miss(
    app: Any, db: AsyncSession, admin: Api, env: str
) -> None:
    person = await support.user(admin, env)
    nodes = [
        node("find", SSO, "userLookup", identifier="{{global.parameters.who}}"),
        evaluator("e", missing="anyTriggersFalse"),
        respond(
            "id=local.find.payload.output.user.id", "name=local.find.payload.output.user.username"
        ),
        node(
            "missing",
            "httpConnector",
            "createSuccessResponse",
            successResponseFields={"why": "{{local.find.payload.error.code}}"},
        ),
    ]
    edges = [("find", "e"), ("e", "done"), ("e", "missing")]
    found, _, _ = await run(app, db, env, nodes, edges, who=person["email"])
    assert isinstance(found, Completed)
    assert found.data == {"id": person["id"], "name": person["username"]}
    missed, _, _ = await run(app, db, env, nodes, edges, who="nobody@example.com")
    assert isinstance(missed, Completed) and missed.data == {"why": "userNotFound"}


async def test_create_read_update_and_add_to_group(
    app: Any, db: AsyncSession, admin: Api, env: str
) -> None:
    group = await admin.create(f"/environments/{env}/groups", {"name": "Members"})
    nodes = [
        node(
            "create",
            SSO,
            "createUser",
            username="{{global.parameters.username}}",
            email="{{global.parameters.username}}@example.com",
            givenName="Grace",
            password=support.PASSWORD,
        ),
        evaluator("e1"),
        node("read", SSO, "readUser", userId="{{local.create.payload.output.user.id}}"),
        evaluator("e2"),
        node(
            "update",
            SSO,
            "updateUser",
            userId="{{local.read.payload.output.userId}}",
            familyName="Hopper",
        ),
        evaluator("e3"),
        node(
            "join",
            SSO,
            "addUserToGroup",
            userId="{{local.create.payload.output.userId}}",
            groupId=group["id"],
        ),
        evaluator("e4"),
        node(
            "check",
            SSO,
            "checkPassword",
            userId="{{local.create.payload.output.userId}}",
            password=support.PASSWORD,
        ),
        evaluator("e5"),
        respond(
            "id=local.create.payload.output.userId",
            "family=local.update.payload.output.user.name.family",
        ),
    ]
    chain = ["create", "e1", "read", "e2", "update", "e3", "join", "e4", "check", "e5", "done"]
    outcome, _, _ = await run(app, db, env, nodes, list(pairwise(chain)), username="grace")
    assert isinstance(outcome, Completed), outcome
    assert outcome.data["family"] == "Hopper"
    await db.commit()
    user = (await admin.get(f"/environments/{env}/users/{outcome.data['id']}")).json()
    assert user["username"] == "grace" and user["name"] == {"given": "Grace", "family": "Hopper"}
    groups = (await admin.get(f"/environments/{env}/users/{user['id']}/memberOfGroups")).json()
    assert [g["id"] for g in groups["_embedded"]["groupMemberships"]] == [group["id"]]


async def test_a_refused_create_writes_nothing_and_relays_the_directory_error(
    app: Any, db: AsyncSession, admin: Api, env: str
) -> None:
    nodes = [node("create", SSO, "createUser", username="shorty", password="short")]
    outcome, _, _ = await run(app, db, env, nodes, [])
    assert isinstance(outcome, Failed)
    raw = outcome.error.details[0]["rawResponse"]
    assert outcome.error.code == "INVALID_DATA" and raw["code"] == "INVALID_DATA"
    await db.commit()
    found = (
        await admin.get(f"/environments/{env}/users", params={"filter": 'username eq "shorty"'})
    ).json()
    assert found["count"] == 0


async def test_check_password_does_not_tell_unknown_users_from_wrong_passwords(
    app: Any, db: AsyncSession, admin: Api, env: str
) -> None:
    person = await support.user(admin, env)
    errors = []
    for username in (person["username"], "no-such-user"):
        nodes = [node("check", SSO, "checkPassword", username=username, password="wrong")]
        outcome, _, _ = await run(app, db, env, nodes, [])
        assert isinstance(outcome, Failed)
        errors.append({k: v for k, v in outcome.error.to_json().items() if k != "details"})
        errors[-1]["raw"] = outcome.error.details[0]["rawResponse"]["details"]
    assert errors[0] == errors[1]


async def test_set_session_then_check_session(
    app: Any, db: AsyncSession, admin: Api, env: str
) -> None:
    person = await support.user(admin, env)
    nodes = [
        node("set", AUTH, "setSession", userId=person["id"], authenticationMethods="pwd"),
        evaluator("e"),
        respond("session=local.set.payload.output.session.id"),
    ]
    outcome, _, ctx = await run(app, db, env, nodes, [("set", "e"), ("e", "done")])
    assert isinstance(outcome, Completed)
    secret = ctx.effects.session_secret
    assert secret and str(ctx.effects.session_id) == outcome.data["session"]

    checking = [
        node(
            "chk",
            AUTH,
            "checkSession",
            checkSessionAuthenticator="pwd",
            authenticationMethodLastUsedIn=480,
        ),
        evaluator("e"),
        respond("user=local.chk.payload.output.session.user.id"),
    ]
    edges = [("chk", "e"), ("e", "done")]
    with_cookie, _, _ = await run(app, db, env, checking, edges, Browser(session_secret=secret))
    assert isinstance(with_cookie, Completed) and with_cookie.data == {"user": person["id"]}
    without, _, _ = await run(app, db, env, checking, edges, Browser())
    assert isinstance(without, Failed) and without.error.code == "noSession"


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        received = json.loads(self.rfile.read(length) or b"{}")
        status = 200 if received.get("ok") else 422
        body = json.dumps({"path": self.path, "got": received, "auth": self.headers["X-Auth"]})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _rest_call(url: str, ok: str) -> list[dict[str, Any]]:
    return [
        node(
            "call",
            "httpConnector",
            "makeRestApiCall",
            url=url + "/hook",
            httpMethod="POST",
            headers=[{"key": "X-Auth", "value": "{{global.parameters.token}}"}],
            queryParams=[{"key": "q", "value": "a b"}],
            body='{"ok": ' + ok + ', "who": "{{global.parameters.who}}"}',
        ),
        evaluator("e"),
        respond(
            "status=local.call.payload.output.statusCode", "body=local.call.payload.output.body"
        ),
    ]


async def test_rest_call_sends_and_reads_json(
    app: Any, db: AsyncSession, env: str, echo_url: str
) -> None:
    edges = [("call", "e"), ("e", "done")]
    outcome, _, _ = await run(
        app, db, env, _rest_call(echo_url, "true"), edges, token="t-1", who="ada"
    )
    assert isinstance(outcome, Completed), outcome
    assert outcome.data["status"] == 200
    assert outcome.data["body"] == {
        "path": "/hook?q=a+b",
        "got": {"ok": True, "who": "ada"},
        "auth": "t-1",
    }
    refused, _, _ = await run(
        app, db, env, _rest_call(echo_url, "false"), edges, token="t", who="x"
    )
    assert isinstance(refused, Failed) and refused.error.code == "httpError"
    assert refused.error.details[0]["statusCode"] == 422


async def test_rest_call_follows_the_outbound_policy(
    db: AsyncSession, env: str, echo_url: str
) -> None:
    flows = Flows()
    flows.add("f", graph(_rest_call(echo_url, "true")[:1], []))
    ctx = RunContext(uuid.UUID(env), flows, Variables(), db=db, runtime=None)  # default policy
    outcome = await FlowRunner(ctx).start(new_state("f", 1, {}, {}))
    assert isinstance(outcome, Failed) and outcome.error.code == "httpRequestFailed"
    assert "https" in outcome.error.message
