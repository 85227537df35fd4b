"""The HTML pages of DaVinci as an OpenID provider: each screen of the flow as a page.

A customHTMLTemplate screen is the administrator's template (its `{{...}}` values already
HTML-escaped by the engine) inside a form that posts back to the authorize endpoint with the
interaction id and the node id; elements with `data-skbuttonvalue` set `buttonValue` when
clicked (a small script allowed by its CSP nonce), and `<button name="buttonValue" value=...>`
works without it. A message screen shows its message (escaped) and a Continue button. An error
the user can correct is shown above the screen. The page's CSP allows only inline styles and the
nonce'd script.
"""

from __future__ import annotations

import html
import secrets
from typing import Any

from starlette.responses import HTMLResponse

from gatehouse.oauth.responses import NO_STORE

BUTTON_SCRIPT = (
    "document.querySelectorAll('[data-skbuttonvalue]').forEach(function (b) {"
    " b.addEventListener('click', function () {"
    " document.getElementById('davinci-button').value = b.getAttribute('data-skbuttonvalue');"
    " }); });"
)


def _body(screen: dict[str, Any]) -> str:
    if screen.get("category") == "MESSAGE":
        title = html.escape(screen.get("messageTitle") or screen.get("title") or "")
        message = html.escape(screen.get("message") or "")
        heading = f"<h1>{title}</h1>" if title else ""
        return (
            f'{heading}<p class="davinci-message">{message}</p>'
            '<button type="submit" data-skbuttonvalue="continue">Continue</button>'
        )
    return str(screen.get("html") or "")


def screen_page(
    action: str, interaction_id: str, node_id: str, screen: dict[str, Any], error: str | None
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    title = html.escape(screen.get("title") or "Sign on")
    css = (screen.get("properties", {}).get("customCSS") or {}).get("value")
    style = f"<style>{css}</style>" if isinstance(css, str) and "</" not in css else ""
    alert = f'<p class="davinci-error" role="alert">{html.escape(error)}</p>' if error else ""
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>{style}</head>\n<body>\n{alert}"
        f'<form method="post" action="{html.escape(action)}" id="davinci-form">\n'
        f'<input type="hidden" name="interactionId" value="{html.escape(interaction_id)}">\n'
        f'<input type="hidden" name="nodeId" value="{html.escape(node_id)}">\n'
        '<input type="hidden" name="buttonValue" id="davinci-button" value="">\n'
        f"{_body(screen)}\n</form>\n"
        f'<script nonce="{nonce}">{BUTTON_SCRIPT}</script>\n</body></html>\n'
    )
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
        f"script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(page, headers={**NO_STORE, "Content-Security-Policy": csp})
