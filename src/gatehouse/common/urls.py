"""Public URLs of each prefix (DESIGN.md "URL layout"): configured, or derived from the request."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from gatehouse.settings import Settings


@dataclass(frozen=True)
class Urls:
    api: str
    auth: str
    orchestrate: str
    scim: str

    def api_href(self, path: str) -> str:
        return f"{self.api}{path}"

    def issuer(self, environment_id: object) -> str:
        return f"{self.auth}/{environment_id}/as"


def urls_for(request: Request, settings: Settings) -> Urls:
    origin = str(request.base_url).rstrip("/")
    return Urls(
        api=settings.api_base_url or f"{origin}/v1",
        auth=settings.auth_base_url or origin,
        orchestrate=settings.orchestrate_base_url or f"{origin}/orchestrate/v1",
        scim=settings.scim_base_url or f"{origin}/scim/v1",
    )
