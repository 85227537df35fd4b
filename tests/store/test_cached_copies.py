"""What a cache holds is a copy a request can never change: not through the instance a session is
given, not inside its JSON values."""

from __future__ import annotations

import json
import uuid

import pytest

from gatehouse.applications.models import Application
from gatehouse.store.config_cache import attached, copied_json, detached_copy
from tests.support.actors import worker_application
from tests.support.api import Api

pytestmark = pytest.mark.anyio


def test_a_copied_json_value_shares_no_list_or_dict() -> None:
    original = {"uris": ["https://a.example"], "nested": [{"kinds": ["x"]}], "n": 1, "none": None}
    copy = copied_json(original)
    assert copy == original
    copy["uris"].append("https://b.example")
    copy["nested"][0]["kinds"].append("y")
    copy["nested"].append({})
    copy["added"] = True
    assert original == {
        "uris": ["https://a.example"],
        "nested": [{"kinds": ["x"]}],
        "n": 1,
        "none": None,
    }


async def test_a_request_changing_json_of_an_attached_row_leaves_the_cached_copy(
    app, admin: Api, env: str
) -> None:
    application_id, _ = await worker_application(admin, env)
    sessions = app.state.runtime.sessions
    async with sessions() as session:
        row = await session.get(Application, uuid.UUID(application_id))
        assert row is not None
        cached = detached_copy(row)
    original = json.loads(json.dumps(cached.config))
    assert original  # a worker's configuration is not empty: the test changes something

    async with sessions() as session:
        own = attached(session, cached)
        assert own is not cached
        assert attached(session, cached) is own  # the session's own instance, once attached
        for value in own.config.values():
            if isinstance(value, list):
                value.append("changed")
        own.config["added"] = "changed"
        await session.rollback()

    assert cached.config == original
    async with sessions() as session:
        assert attached(session, cached).config == original
