"""The messages Gatehouse sends: a subject, a plain-text body and an HTML body per template.

Templates are Jinja2. Variables are data: they are substituted, never evaluated as template code,
and the HTML part escapes them (autoescape). Every variable a template names must be given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import Environment, StrictUndefined, Template


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class RenderedEmail:
    """What an e-mail says; `html` None for a plain-text one. `sender` and `reply_to` (formatted
    addresses) override the environment's and the server's when a template content names them."""

    subject: str
    text: str
    html: str | None
    sender: str | None = None
    reply_to: str | None = None


_HTML_FRAME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1f2933;">
{content}
<p style="color: #52606d; font-size: 0.9em;">If you did not ask for this, you can ignore this message.</p>
</body></html>
"""

TEMPLATES: dict[str, EmailTemplate] = {
    "email_verification": EmailTemplate(
        subject="Verify your email address",
        text=(
            "Hello {{ username }},\n\n"
            "Enter this code to verify your email address:\n\n"
            "    {{ code }}\n\n"
            "If you did not ask for this, you can ignore this message.\n"
        ),
        html=_HTML_FRAME.replace(
            "{content}",
            "<p>Hello {{ username }},</p>\n"
            "<p>Enter this code to verify your email address:</p>\n"
            '<p style="font-size: 1.5em; letter-spacing: 0.2em;"><strong>{{ code }}</strong></p>',
        ),
    ),
    "recovery_code": EmailTemplate(
        subject="Your password recovery code",
        text=(
            "Hello {{ username }},\n\n"
            "Enter this code to choose a new password:\n\n"
            "    {{ code }}\n\n"
            "If you did not ask for this, you can ignore this message.\n"
        ),
        html=_HTML_FRAME.replace(
            "{content}",
            "<p>Hello {{ username }},</p>\n"
            "<p>Enter this code to choose a new password:</p>\n"
            '<p style="font-size: 1.5em; letter-spacing: 0.2em;"><strong>{{ code }}</strong></p>',
        ),
    ),
}

_text = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)  # noqa: S701 - plain text only
_html = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)


@dataclass(frozen=True)
class _Compiled:
    subject: Template
    text: Template
    html: Template


_compiled = {
    name: _Compiled(
        _text.from_string(template.subject),
        _text.from_string(template.text),
        _html.from_string(template.html),
    )
    for name, template in TEMPLATES.items()
}


def render(name: str, variables: dict[str, str]) -> RenderedEmail:
    """The message of template `name` for `variables`. An unknown template is a LookupError and a
    missing variable a jinja2.UndefinedError: both are programming errors, not user input."""
    compiled = _compiled.get(name)
    if compiled is None:
        raise LookupError(f"No email template is named {name!r}.")
    # A header cannot span lines: a variable in the subject must not add one.
    subject = re.sub(r"\s+", " ", compiled.subject.render(variables)).strip()
    return RenderedEmail(
        subject=subject,
        text=compiled.text.render(variables),
        html=compiled.html.render({**variables, "subject": subject}),
    )
