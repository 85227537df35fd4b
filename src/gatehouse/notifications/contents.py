"""Template contents (pingone/06 section 2): the messages an environment writes for a template,
per locale, delivery method and variant, and the choice of the one a notification uses.

Choices where PingOne is silent:
- A content must use the template's required variables (`${otp}`, `${code}`) and only its
  variables, except in templates with dynamic variables (transaction), where any `${name}` is
  filled from the request's pi.template variables (or left empty).
- The built-in messages are not listed as contents; a content for a locale (without variant)
  replaces the built-in message for users of that locale.
- Choosing: the contents of the variant asked for (case-insensitive), else those without a
  variant; among them the first locale of the preferences (ui_locales, the user's locale and
  preferred language, then `en`) that matches exactly, else by language; else the built-in
  message.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.errors import (
    invalid_value,
    not_found,
    required_value,
    uniqueness_violation,
)
from gatehouse.notifications import rendering
from gatehouse.notifications.catalogue import EMAIL, SMS, TEMPLATES, VOICE, TemplateInfo
from gatehouse.notifications.delivery_settings import formatted
from gatehouse.notifications.models import TemplateContent
from gatehouse.notifications.schemas import TemplateContentWrite

MAX_SMS_CONTENT = 153
HTML = "text/html"
FALLBACK_LOCALE = "en"


@dataclass(frozen=True)
class RenderedContent:
    """A content with its variables filled: `text` always (the SMS, the spoken message, or the
    e-mail's plain-text part), `html` for an HTML e-mail, `subject` for e-mail."""

    text: str
    subject: str | None = None
    html: str | None = None
    sender: str | None = None  # the e-mail's From, or the SMS sender id
    reply_to: str | None = None
    voice: str | None = None


def template_info(name: str) -> TemplateInfo:
    info = TEMPLATES.get(name)
    if info is None:
        raise not_found(f"The template {name!r} was not found.")
    return info


def locale_key(locale: str) -> str:
    return locale.strip().lower().replace("-", "_")


# --- management -----------------------------------------------------------------------------


async def list_contents(
    session: AsyncSession, environment_id: uuid.UUID, template: str
) -> Sequence[TemplateContent]:
    template_info(template)
    return (
        await session.scalars(
            sa.select(TemplateContent)
            .where(
                TemplateContent.environment_id == environment_id,
                TemplateContent.template == template,
            )
            .order_by(TemplateContent.created_at, TemplateContent.id)
        )
    ).all()


async def get_content(
    session: AsyncSession, environment_id: uuid.UUID, template: str, content_id: uuid.UUID
) -> TemplateContent:
    template_info(template)
    content = await session.get(TemplateContent, content_id)
    if content is None or content.environment_id != environment_id or content.template != template:
        raise not_found("The template content was not found.")
    return content


async def create_content(
    session: AsyncSession, environment_id: uuid.UUID, template: str, data: TemplateContentWrite
) -> TemplateContent:
    info = template_info(template)
    fields = _fields(info, data)
    content = TemplateContent(
        environment_id=environment_id,
        template=template,
        delivery_method=data.delivery_method,
        locale=data.locale,
        locale_key=locale_key(data.locale),
        variant=data.variant,
        variant_key=(data.variant or "").lower(),
        fields=fields,
    )
    await _ensure_unique(session, content)
    session.add(content)
    await session.flush()
    return content


async def replace_content(
    session: AsyncSession, content: TemplateContent, data: TemplateContentWrite
) -> TemplateContent:
    """PUT: everything but the locale and delivery method, which cannot change."""
    if data.delivery_method != content.delivery_method:
        raise invalid_value("deliveryMethod", "The delivery method of a content cannot change.")
    if locale_key(data.locale) != content.locale_key:
        raise invalid_value("locale", "The locale of a content cannot change.")
    content.fields = _fields(template_info(content.template), data)
    content.variant = data.variant
    content.variant_key = (data.variant or "").lower()
    await _ensure_unique(session, content)
    await session.flush()
    return content


async def delete_content(session: AsyncSession, content: TemplateContent) -> None:
    await session.delete(content)
    await session.flush()


def _fields(info: TemplateInfo, data: TemplateContentWrite) -> dict[str, object]:
    method = data.delivery_method
    if method not in info.delivery_methods:
        raise invalid_value(
            "deliveryMethod",
            f"The {info.name} template is sent by {', '.join(info.delivery_methods)} only.",
        )
    if method == EMAIL:
        if data.body is None:
            raise required_value("body")
        _check_variables(info, "body", [data.subject or "", data.body])
        return {
            "subject": data.subject,
            "body": data.body,
            "from": data.from_.model_dump(exclude_none=True) if data.from_ else None,
            "replyTo": data.reply_to.model_dump(exclude_none=True) if data.reply_to else None,
            "charset": "UTF-8",
            "emailContentType": data.email_content_type or HTML,
        }
    if data.content is None:
        raise required_value("content")
    if method == SMS and len(data.content) > MAX_SMS_CONTENT:
        raise invalid_value("content", f"An SMS content has at most {MAX_SMS_CONTENT} characters.")
    _check_variables(info, "content", [data.content])
    if method == SMS:
        return {"content": data.content, "sender": data.sender}
    return {"content": data.content, "voice": data.voice}


def _check_variables(info: TemplateInfo, target: str, texts: list[str]) -> None:
    used = set().union(*(rendering.names_in(text) for text in texts))
    missing = [name for name in info.required if name not in used]
    if missing:
        raise invalid_value(target, f"The content must use ${{{missing[0]}}}.")
    unknown = sorted(used - set(info.variables))
    if unknown and not info.dynamic:
        raise invalid_value(target, f"The {info.name} template has no variable ${{{unknown[0]}}}.")


async def _ensure_unique(session: AsyncSession, content: TemplateContent) -> None:
    existing = await session.scalar(
        sa.select(TemplateContent.id).where(
            TemplateContent.environment_id == content.environment_id,
            TemplateContent.template == content.template,
            TemplateContent.delivery_method == content.delivery_method,
            TemplateContent.locale_key == content.locale_key,
            TemplateContent.variant_key == content.variant_key,
            TemplateContent.id != content.id if content.id is not None else sa.true(),
        )
    )
    if existing is not None:
        raise uniqueness_violation(
            "variant",
            "A content with this locale, delivery method and variant already exists.",
            existing,
        )


# --- choosing and rendering ------------------------------------------------------------------


async def find_content(
    session: AsyncSession,
    environment_id: uuid.UUID,
    template: str,
    delivery_method: str,
    *,
    locales: Sequence[str],
    variant: str | None = None,
) -> TemplateContent | None:
    rows = (
        await session.scalars(
            sa.select(TemplateContent).where(
                TemplateContent.environment_id == environment_id,
                TemplateContent.template == template,
                TemplateContent.delivery_method == delivery_method,
            )
        )
    ).all()
    preferences = [locale_key(locale) for locale in [*locales, FALLBACK_LOCALE] if locale]
    chosen = _by_locale([r for r in rows if r.variant_key == (variant or "").lower()], preferences)
    if chosen is None and variant:
        chosen = _by_locale([r for r in rows if r.variant_key == ""], preferences)
    return chosen


def _by_locale(
    rows: Sequence[TemplateContent], preferences: Sequence[str]
) -> TemplateContent | None:
    for wanted in preferences:
        for row in rows:
            if row.locale_key == wanted:
                return row
    for wanted in preferences:
        language = wanted.split("_", 1)[0]
        for row in rows:
            if row.locale_key.split("_", 1)[0] == language:
                return row
    return None


def render_content(content: TemplateContent, values: dict[str, str]) -> RenderedContent:
    fields = content.fields
    if content.delivery_method == EMAIL:
        subject = rendering.render(fields.get("subject") or "", values)
        subject = re.sub(r"\s+", " ", subject).strip() or TEMPLATES[content.template].display_name
        body = str(fields["body"])
        sender, reply_to = formatted(fields.get("from")), formatted(fields.get("replyTo"))
        if fields.get("emailContentType", HTML) == HTML:
            markup = rendering.render(body, values, html.escape)
            text = rendering.text_of_html(markup)
            return RenderedContent(text, subject, markup, sender=sender, reply_to=reply_to)
        text = rendering.render(body, values)
        return RenderedContent(text, subject, sender=sender, reply_to=reply_to)
    text = rendering.render(str(fields["content"]), values)
    if content.delivery_method == VOICE:
        return RenderedContent(text, voice=fields.get("voice"))
    return RenderedContent(text, sender=fields.get("sender"))
