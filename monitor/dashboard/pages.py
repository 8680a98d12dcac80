"""What every dashboard page shares: the session, the CSRF check, rendering with safe headers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from monitor.dashboard.api import ApiParts
from monitor.dashboard.sessions import COOKIE, Session, Sessions
from monitor.dashboard.users import Role

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
EVERYONE = frozenset(Role)


class Refused(Exception):
    """Not logged in, a missing CSRF token, or a role that may not."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Page:
    request: Request
    session: Session


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body (no multipart: the pages never upload files)."""
    return {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}


class Pages:
    def __init__(self, api: ApiParts) -> None:
        self.api = api
        self.sessions = Sessions(api.store.redis, api.store.keys, api.users)
        self.proxies = api.trusted_proxies

    async def current(self, request: Request, roles: frozenset[Role] = EVERYONE) -> Page:
        session = await self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise Refused(303, "log in")
        if session.principal.role not in roles:
            raise Refused(403, f"the {session.principal.role} role may not see this")
        return Page(request, session)

    async def posted(self, request: Request, roles: frozenset[Role]) -> tuple[Page, dict[str, str]]:
        """A form submission from a session allowed to make it, with its CSRF token checked."""
        page = await self.current(request, roles)
        fields = await form_of(request)
        if fields.get("csrf") != page.session.csrf:
            raise Refused(403, "the form's CSRF token is missing or wrong; reload the page")
        return page, fields

    def render(self, page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context |= {"who": page.session.principal, "csrf": page.session.csrf}
        context.setdefault("error", "")
        return html(page.request, template, context, status)


def html(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(HEADERS)
    return response
