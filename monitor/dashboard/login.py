"""Logging in and out: a CSRF token on the login form, throttled guessing, the real client
address behind trusted proxies, every attempt in the audit log, and back to the page asked for.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.dashboard.pages import Pages, form_of, html
from monitor.dashboard.sessions import COOKIE, SESSION_SECONDS, Throttled
from monitor.dashboard.users import AccessDenied, Role

LOGIN_COOKIE = "vigil_login"
Network = IPv4Network | IPv6Network


def client_address(request: Request, proxies: Sequence[Network]) -> str:
    """The peer, or behind trusted proxies the nearest X-Forwarded-For hop they did not add."""
    peer = request.client.host if request.client else "unknown"
    hops = [peer] + [
        hop.strip()
        for hop in reversed(request.headers.get("x-forwarded-for", "").split(","))
        if hop.strip()
    ]
    for hop in hops:
        if not trusted(hop, proxies):
            return hop
    return hops[-1]


def trusted(hop: str, proxies: Sequence[Network]) -> bool:
    try:
        address = ip_address(hop)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def next_page(value: str) -> str:
    """Where to go after logging in: a path on this site only, never another host."""
    return value if value.startswith("/") and not value.startswith(("//", "/\\")) else "/"


def mount_login(app: FastAPI, pages: Pages, secure_cookies: bool) -> None:
    sessions, users = pages.sessions, pages.api.users

    def form(request: Request, wanted: str, error: str = "", status: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        context = {"error": error, "csrf": token, "next": next_page(wanted)}
        answer = html(request, "login.html", context, status)
        secure = secure_cookies or request.url.scheme == "https"
        answer.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure)
        return answer

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        return form(request, request.query_params.get("next", "/"))

    @app.post("/login")
    async def login(request: Request) -> Response:
        fields = await form_of(request)
        wanted = fields.get("next", "/")
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(fields.get("csrf", ""), expected):
            return form(request, wanted, "the login form expired; please try again", 403)
        name, address = fields.get("username", "")[:200], client_address(request, pages.proxies)
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        try:
            cookie = await sessions.login(name, fields.get("password", ""), address, now_ms)
        except Throttled as error:
            await users.audit_attempt(name, "login throttled", address)
            return form(request, wanted, str(error), 429)
        except AccessDenied as error:
            await users.audit_attempt(name, "login failed", address)
            return form(request, wanted, str(error), 401)
        session = await sessions.get(cookie)
        if session is not None:
            await users.audit(session.principal, "logged in", address)
        answer = RedirectResponse(next_page(wanted), status_code=303)
        answer.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=secure_cookies or request.url.scheme == "https",
            max_age=SESSION_SECONDS,
        )
        answer.delete_cookie(LOGIN_COOKIE)
        return answer

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        current, _ = await pages.posted(request, frozenset(Role))
        await sessions.logout(request.cookies.get(COOKIE, ""))
        await users.audit(current.session.principal, "logged out", "")
        answer = RedirectResponse("/login", status_code=303)
        answer.delete_cookie(COOKIE)
        return answer
