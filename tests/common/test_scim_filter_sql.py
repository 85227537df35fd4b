"""`sw` compiled to SQL: the same rows as LIKE 'prefix%' (case-insensitively), and on SQLite a search
of the index on lower(column) rather than a scan."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.common import scim_filter

METADATA = sa.MetaData()
PEOPLE = sa.Table(
    "people",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Index("ix_people_lower_name", sa.func.lower(sa.text("name"))),
)
SCHEMA = scim_filter.Schema({"name": scim_filter.Attribute(PEOPLE.c.name)})
NAMES = [
    "bench0001",
    "bench00010",
    "BENCH0001x",
    "bench0002",
    "bench000",
    "bencg",
    "100%_sure",
    "100x_sure",
    "zoë",
    "zoe",
    "a\\b",
    "\U0010ffffend",
    None,
]


def _engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(PEOPLE.insert(), [{"name": name} for name in NAMES])
    return engine


def _sorted(names: list[str | None]) -> list[str | None]:
    return sorted(names, key=lambda name: (name is None, name or ""))


def _names(engine: sa.Engine, text: str) -> list[str | None]:
    statement = sa.select(PEOPLE.c.name).where(scim_filter.compile_filter(text, SCHEMA))
    with engine.connect() as connection:
        return _sorted(list(connection.execute(statement).scalars()))


def test_sw_matches_the_prefix_case_insensitively_and_literally() -> None:
    engine = _engine()
    assert _names(engine, 'name sw "bench0001"') == ["BENCH0001x", "bench0001", "bench00010"]
    assert _names(engine, 'name sw "100%_"') == ["100%_sure"]
    assert _names(engine, 'name sw "zoë"') == ["zoë"]
    assert _names(engine, 'name sw "a\\\\"') == ["a\\b"]
    assert _names(engine, 'name sw "\U0010ffff"') == ["\U0010ffffend"]
    everyone = _sorted([name for name in NAMES if name is not None])
    assert _names(engine, 'name sw ""') == everyone
    # not (...) also matches the rows without the attribute (SCIM)
    not_bench = [name for name in NAMES if name is None or not name.lower().startswith("bench")]
    assert _names(engine, 'not (name sw "bench")') == _sorted(not_bench)


def test_sw_searches_the_lower_index_on_sqlite() -> None:
    engine = _engine()
    condition = scim_filter.compile_filter('name sw "bench0001"', SCHEMA)
    statement = sa.select(PEOPLE.c.id).where(condition)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ix_people_lower_name" in details, details


def test_the_range_above_a_prefix() -> None:
    following = scim_filter._following_prefix
    assert following("bench1") == "bench2"
    assert following("a\ud7ff") == "a\ue000"
    assert following("") is None
    assert following("x\U0010ffff") is None
