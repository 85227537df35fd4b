"""SCIM filter expressions (RFC 7644 section 3.4.2.2) compiled to SQL, never evaluated in Python.

    filter   = or
    or       = and *("or" and)
    and      = unary *("and" unary)
    unary    = "not" unary / "(" filter ")" / attrPath "[" filter "]" / attrPath "pr"
             / attrPath op value

Operators and keywords are case-insensitive, as are attribute names. String comparisons are
case-insensitive (PingOne's directory attributes are not case-exact).
"""

from __future__ import annotations

import operator
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from gatehouse.common.errors import Detail, Problem

COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le")
MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 32


class Kind(Enum):
    STRING = "string"
    BOOLEAN = "boolean"
    UUID = "uuid"
    DATETIME = "datetime"
    NUMBER = "number"


@dataclass(frozen=True)
class Attribute:
    """A filterable attribute: an SQL expression and the kind of values it holds."""

    expression: Any
    kind: Kind = Kind.STRING


@dataclass(frozen=True)
class Schema:
    attributes: Mapping[str, Attribute]
    # A value path such as memberOfGroups[id eq "x"]: the related rows' attributes, and a function
    # from "a related row matches this condition" to the condition on the outer row (an EXISTS).
    value_paths: Mapping[str, tuple[Mapping[str, Attribute], Callable[[Any], Any]]] = field(
        default_factory=dict
    )
    # Resolves names not in `attributes` (custom schema attributes); None when unknown.
    extra: Callable[[str], Attribute | None] | None = None

    def lookup(self, name: str) -> Attribute | None:
        for key, attribute in self.attributes.items():
            if key.lower() == name.lower():
                return attribute
        return self.extra(name) if self.extra else None

    def supported(self) -> list[str]:
        names = list(self.attributes)
        for path, (inner, _) in (self.value_paths or {}).items():
            names.extend(f"{path}.{name}" for name in inner)
        return names


# --- parsing -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) | (?P<lbracket>\[) | (?P<rbracket>\]) |
        (?P<string>"(?:[^"\\]|\\.)*") |
        (?P<word>[A-Za-z0-9_.:$+\-]+)
    )""",
    re.VERBOSE,
)


@dataclass
class _Compare:
    attribute: str
    op: str
    value: Any


@dataclass
class _Present:
    attribute: str


@dataclass
class _Logical:
    op: str  # "and" | "or"
    left: Any
    right: Any


@dataclass
class _Not:
    inner: Any


@dataclass
class _ValuePath:
    attribute: str
    inner: Any


def invalid_filter(message: str, schema: Schema | None = None) -> Problem:
    inner: dict[str, Any] = {}
    if schema is not None:
        inner = {
            "supportedAttributes": schema.supported(),
            "supportedOperators": [*COMPARE_OPS, "pr", "and", "or", "not"],
        }
    return Problem(
        400,
        "INVALID_DATA",
        "The request could not be completed. One or more validation errors were in the request.",
        [Detail("INVALID_FILTER", message, "filter", inner or None)],
    )


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise invalid_filter(f"Unexpected character at position {position}: {text[position]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.position = 0
        self.depth = 0

    def parse(self) -> Any:
        if not self.tokens:
            raise invalid_filter("The filter is empty.")
        node = self._or()
        if self.position != len(self.tokens):
            raise invalid_filter(f"Unexpected {self.tokens[self.position][1]!r}.")
        return node

    def _peek_word(self) -> str | None:
        if self.position < len(self.tokens) and self.tokens[self.position][0] == "word":
            return self.tokens[self.position][1].lower()
        return None

    def _take(self, kind: str) -> str:
        if self.position >= len(self.tokens) or self.tokens[self.position][0] != kind:
            found = (
                self.tokens[self.position][1]
                if self.position < len(self.tokens)
                else "end of filter"
            )
            raise invalid_filter(f"Expected {kind}, found {found!r}.")
        value = self.tokens[self.position][1]
        self.position += 1
        return value

    def _or(self) -> Any:
        node = self._and()
        while self._peek_word() == "or":
            self.position += 1
            node = _Logical("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._unary()
        while self._peek_word() == "and":
            self.position += 1
            node = _Logical("and", node, self._unary())
        return node

    def _unary(self) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise invalid_filter("The filter is nested too deeply.")
        try:
            if self._peek_word() == "not":
                self.position += 1
                return _Not(self._unary())
            if self.position < len(self.tokens) and self.tokens[self.position][0] == "lparen":
                self.position += 1
                node = self._or()
                self._take("rparen")
                return node
            return self._attribute_expression()
        finally:
            self.depth -= 1

    def _attribute_expression(self) -> Any:
        attribute = self._take("word")
        if self.position < len(self.tokens) and self.tokens[self.position][0] == "lbracket":
            self.position += 1
            inner = self._or()
            self._take("rbracket")
            return _ValuePath(attribute, inner)
        op = (self._peek_word() or "").lower()
        if op == "pr":
            self.position += 1
            return _Present(attribute)
        if op not in COMPARE_OPS:
            found = (
                self.tokens[self.position][1]
                if self.position < len(self.tokens)
                else "end of filter"
            )
            raise invalid_filter(f"Unsupported operator {found!r} after {attribute!r}.")
        self.position += 1
        return _Compare(attribute, op, self._value())

    def _value(self) -> Any:
        if self.position >= len(self.tokens):
            raise invalid_filter("A comparison is missing its value.")
        kind, text = self.tokens[self.position]
        self.position += 1
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "word":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            try:
                return float(text) if "." in text else int(text)
            except ValueError:
                pass
        raise invalid_filter(f"Invalid value {text!r}: strings must be quoted.")


def parse(text: str) -> Any:
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter("The filter is too long.")
    if "\x00" in text:
        raise invalid_filter("The filter cannot contain the NUL character.")
    return _Parser(text).parse()


# --- compiling -----------------------------------------------------------------------------


def compile_filter(text: str, schema: Schema) -> Any:
    """The SQL condition for a SCIM filter over `schema`, or an INVALID_FILTER problem."""
    return _compile(parse(text), schema)


def _compile(node: Any, schema: Schema) -> Any:
    if isinstance(node, _Logical):
        combine = sa.and_ if node.op == "and" else sa.or_
        return combine(_compile(node.left, schema), _compile(node.right, schema))
    if isinstance(node, _Not):
        return sa.not_(_compile(node.inner, schema))
    if isinstance(node, _ValuePath):
        inner_schema, build = _value_path(node.attribute, schema)
        return build(_compile(node.inner, Schema(inner_schema)))
    attribute = _resolve(node.attribute, schema)
    if isinstance(attribute, tuple):  # "memberOfGroups.id eq x" is memberOfGroups[id eq x]
        inner_schema, build, sub_name = attribute
        inner_node = (
            _Present(sub_name)
            if isinstance(node, _Present)
            else _Compare(sub_name, node.op, node.value)
        )
        return build(_compile(inner_node, Schema(inner_schema)))
    if isinstance(node, _Present):
        return _present(attribute)
    return _compare(attribute, node, schema)


def _value_path(name: str, schema: Schema) -> tuple[Mapping[str, Attribute], Callable[[Any], Any]]:
    for key, value in schema.value_paths.items():
        if key.lower() == name.lower():
            return value
    raise invalid_filter(f"Unsupported attribute {name!r}.", schema)


def _resolve(name: str, schema: Schema) -> Attribute | tuple[Any, Any, str]:
    attribute = schema.lookup(name)
    if attribute is not None:
        return attribute
    if "." in name:
        head, sub_name = name.split(".", 1)
        for key, (inner, build) in schema.value_paths.items():
            if key.lower() == head.lower():
                return inner, build, sub_name
    raise invalid_filter(f"Unsupported attribute {name!r}.", schema)


def _present(attribute: Attribute) -> Any:
    if attribute.kind is Kind.STRING:
        return sa.and_(attribute.expression.is_not(None), attribute.expression != "")
    return attribute.expression.is_not(None)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compare(attribute: Attribute, node: _Compare, schema: Schema) -> Any:
    """A comparison that is never SQL NULL: a missing value simply does not match, so `not (...)`
    around it matches the users without the attribute, as SCIM means."""
    condition = _comparison(attribute, node, schema)
    if node.op == "ne" or node.value is None:
        return condition
    return sa.and_(attribute.expression.is_not(None), condition)


def _comparison(attribute: Attribute, node: _Compare, schema: Schema) -> Any:
    op, value, column = node.op, node.value, attribute.expression
    if value is None:
        if op == "eq":
            return column.is_(None)
        if op == "ne":
            return column.is_not(None)
        raise invalid_filter(f"null can only be compared with eq or ne ({node.attribute}).", schema)
    if attribute.kind is Kind.STRING:
        if not isinstance(value, str):
            raise invalid_filter(f"{node.attribute} takes a quoted string value.", schema)
        lowered = sa.func.lower(column)
        needle = value.lower()
        if op == "sw":
            return StartsWith(lowered, needle)
        if op in ("co", "ew"):
            pattern = _escape_like(needle)
            pattern = {"co": f"%{pattern}%", "ew": f"%{pattern}"}[op]
            return lowered.like(pattern, escape="\\")
        return _ordered(op, lowered, needle)
    if op in ("co", "sw", "ew"):
        raise invalid_filter(f"{op} applies only to string attributes ({node.attribute}).", schema)
    typed = _typed_value(attribute.kind, value, node.attribute, schema)
    if attribute.kind in (Kind.BOOLEAN, Kind.UUID) and op not in ("eq", "ne"):
        raise invalid_filter(f"{node.attribute} can only be compared with eq or ne.", schema)
    return _ordered(op, column, typed)


class StartsWith(sa.ColumnElement[bool]):
    """`lowered LIKE 'prefix%'`; on SQLite, also `lowered` within [prefix, the next prefix): its
    LIKE optimisation takes plain columns only, so without the range an index on lower(column)
    would not serve the search (PostgreSQL's text_pattern_ops index serves the LIKE itself). Every
    string that starts with the prefix is within the range (SQLite compares text byte by byte,
    which for UTF-8 is code point order), so the range adds no condition, only the index."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals = [
        ("like", InternalTraversal.dp_clauseelement),
        ("within", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, lowered: Any, prefix: str) -> None:
        self.like = lowered.like(f"{_escape_like(prefix)}%", escape="\\")
        following = _following_prefix(prefix)
        self.within = (
            sa.and_(lowered >= prefix, lowered < following) if following is not None else sa.true()
        )


@compiles(StartsWith)
def _starts_with(element: StartsWith, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.like, **kw)


@compiles(StartsWith, "sqlite")
def _starts_with_on_sqlite(element: StartsWith, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(sa.and_(element.like, element.within), **kw)


def _following_prefix(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`: its last character one code
    point on (past the surrogates, which UTF-8 cannot hold); None if there is none."""
    if not prefix or prefix[-1] == "\U0010ffff":
        return None
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return prefix[:-1] + chr(following)


def _ordered(op: str, column: Any, value: Any) -> Any:
    if op == "ne":
        return sa.or_(column.is_(None), column != value)
    # Only the chosen comparison is built: SQLAlchemy refuses `column > True` outright.
    return {
        "eq": operator.eq,
        "gt": operator.gt,
        "lt": operator.lt,
        "ge": operator.ge,
        "le": operator.le,
    }[op](column, value)


def _typed_value(kind: Kind, value: Any, name: str, schema: Schema) -> Any:
    try:
        if kind is Kind.BOOLEAN:
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind is Kind.UUID:
            return uuid.UUID(str(value))
        if kind is Kind.DATETIME:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError
            return moment
        if kind is Kind.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError
            return value
    except ValueError:
        raise invalid_filter(f"{value!r} is not a valid {kind.value} for {name}.", schema) from None
    return value
