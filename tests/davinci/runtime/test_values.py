"""Property values: DaVinci's rich text flattened, references resolved once and as data."""

from __future__ import annotations

import json
from typing import Any

from gatehouse.davinci.engine.values import (
    flatten_rich_text,
    path_value,
    render_html,
    resolve,
)

PARAMETERS: dict[str, Any] = {
    "name": "Ada",
    "count": 3,
    "user": {"id": "u1", "tags": ["a", "b"]},
    "evil": "{{global.parameters.secret}}",
    "secret": "s3cr3t",
    "html": "<img src=x onerror=alert(1)>",
}


def lookup(path: str) -> Any:
    return path_value({"global": {"parameters": PARAMETERS}}, path.split("."))


def slate(*children: dict[str, Any]) -> str:
    return json.dumps([{"children": list(children)}])


def test_rich_text_reads_as_its_text_and_references() -> None:
    value = slate(
        {"text": "Hello "},
        {"type": "link", "data": "{{global.parameters.name}}", "children": [{"text": "name"}]},
        {"text": "!"},
    )
    assert flatten_rich_text(value) == "Hello {{global.parameters.name}}!"
    assert resolve(value, lookup) == "Hello Ada!"
    assert flatten_rich_text("[not json") == "[not json"
    assert flatten_rich_text('["plain", "list"]') == '["plain", "list"]'
    two_lines = json.dumps([{"children": [{"text": "a"}]}, {"children": [{"text": "b"}]}])
    assert flatten_rich_text(two_lines) == "a\nb"


def test_a_whole_reference_keeps_its_type_and_a_partial_one_is_text() -> None:
    assert resolve("{{ global.parameters.count }}", lookup) == 3
    assert resolve("{{global.parameters.user}}", lookup) == {"id": "u1", "tags": ["a", "b"]}
    assert resolve("n={{global.parameters.count}}", lookup) == "n=3"
    assert resolve("u={{global.parameters.user.tags}}", lookup) == 'u=["a","b"]'
    assert resolve("{{global.parameters.user.tags.1}}", lookup) == "b"
    assert resolve("x{{global.parameters.nothing}}y", lookup) == "xy"
    assert resolve("{{global.parameters.nothing}}", lookup) is None
    assert resolve({"a": ["{{global.parameters.name}}"]}, lookup) == {"a": ["Ada"]}


def test_values_are_never_resolved_twice_nor_evaluated() -> None:
    assert resolve("{{global.parameters.evil}}", lookup) == "{{global.parameters.secret}}"
    assert resolve("say {{global.parameters.evil}}", lookup) == "say {{global.parameters.secret}}"
    assert resolve("{{ 7*7 }}", lookup) == "{{ 7*7 }}"  # not a path: left as it is
    assert resolve("{{global.parameters.name.__class__}}", lookup) is None


def test_html_templates_escape_every_value() -> None:
    rendered = render_html("<p>{{global.parameters.html}}</p>", lookup)
    assert rendered == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
    moustache = slate({"type": "moustache", "data": "{{global.parameters.name}}"})
    assert resolve(moustache, lookup) == "Ada"


def test_deep_documents_do_not_break_resolution() -> None:
    too_deep_for_json = "[" + '{"children":[' * 5000 + '{"text":"x"}' + "]}" * 5000 + "]"
    assert flatten_rich_text(too_deep_for_json) == too_deep_for_json
    deeper_than_read = "[" + '{"children":[' * 200 + '{"text":"x"}' + "]}" * 200 + "]"
    assert flatten_rich_text(deeper_than_read) == ""
    nested: Any = "{{global.parameters.name}}"
    for _ in range(100):
        nested = [nested]
    assert resolve(nested, lookup) is not None
