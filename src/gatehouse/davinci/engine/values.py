"""Node property values: DaVinci's rich-text (Slate) strings flattened, and `{{...}}` references
resolved against what the flow knows (earlier node outputs, parameters, variables, globals).

Values are data, never code: a reference names a path (`local.<nodeId>.payload.output.user.id`,
`global.parameters.x`, `global.company.variables.y`) and is replaced by the value found there, in
one pass, so a value that itself contains `{{...}}` is never resolved again. Nothing is evaluated
and no template language runs. A property that is exactly one reference keeps the value's type
(an object, a number, a boolean); inside a longer string, objects and lists are written as JSON.
`render_html` does the same for an HTML template with every substituted value HTML-escaped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_$\-]+(?:\.[A-Za-z0-9_$\-]+)*)\s*\}\}")
WHOLE_REFERENCE = re.compile(r"^\s*" + REFERENCE.pattern + r"\s*$")
MAX_DEPTH = 32

Lookup = Callable[[str], Any]
MISSING = object()


def flatten_rich_text(value: str) -> str:
    """The plain text of a Slate document string (`[{"children": [{"text": ...}, {"type":
    "link", "data": "{{...}}"}]}]`): text nodes as they are, link and moustache nodes as their
    reference, paragraphs joined by newlines. A string that is not such a document is returned
    unchanged."""
    if not value.lstrip().startswith("["):
        return value
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):
        return value
    if not isinstance(document, list) or not all(
        isinstance(block, dict) and "children" in block for block in document
    ):
        return value
    return "\n".join(_block_text(block, 0) for block in document)


def _block_text(node: Mapping[str, Any], depth: int) -> str:
    if depth > MAX_DEPTH:
        return ""
    if "text" in node and isinstance(node["text"], str):
        return node["text"]
    if node.get("type") in ("link", "moustache") and isinstance(node.get("data"), str):
        return node["data"]
    children = node.get("children")
    if isinstance(children, list):
        return "".join(
            _block_text(child, depth + 1) for child in children if isinstance(child, dict)
        )
    return ""


def path_value(root: Any, path: list[str]) -> Any:
    """The value at `path` under `root` (dict keys, list indexes); MISSING when absent."""
    current = root
    for part in path:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def as_text(value: Any) -> str:
    """How a value reads inside a string: text as is, nothing for null or missing, JSON for the
    rest (booleans as true/false)."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def resolve_text(text: str, lookup: Lookup) -> Any:
    """A property string with its references replaced (see the module docstring)."""
    flat = flatten_rich_text(text)
    whole = WHOLE_REFERENCE.match(flat)
    if whole:
        value = lookup(whole.group(1))
        return None if value is MISSING else value
    return REFERENCE.sub(lambda match: as_text(lookup(match.group(1))), flat)


def resolve(value: Any, lookup: Lookup, depth: int = 0) -> Any:
    """Resolve every string inside a property value (lists and objects walked)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, str):
        return resolve_text(value, lookup)
    if isinstance(value, list):
        return [resolve(item, lookup, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, lookup, depth + 1) for key, item in value.items()}
    return value


def render_html(template: str, lookup: Lookup) -> str:
    """An administrator's HTML template with each reference replaced by its value, escaped."""
    return REFERENCE.sub(lambda match: html.escape(as_text(lookup(match.group(1)))), template)
