"""`${name}` variables in notification contents and phone provider requests: substituted, never
evaluated. Each caller says how a value is escaped where it lands (HTML, a URL, a form or a JSON
string); an unknown variable renders as nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser

VARIABLE = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")


def names_in(text: str) -> set[str]:
    return set(VARIABLE.findall(text))


def render(text: str, values: Mapping[str, str], escape: Callable[[str], str] = str) -> str:
    return VARIABLE.sub(lambda match: escape(values.get(match.group(1), "")), text)


class _TextOf(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title", "head"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title", "head"):
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def text_of_html(html: str) -> str:
    """The readable text of an HTML body, for the plain-text part of an e-mail."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
