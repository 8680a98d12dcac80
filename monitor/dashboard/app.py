"""The web application: signed acknowledgement links from alert emails.

Opening a link shows the incident and one button; the button acknowledges. A plain GET
never changes anything, because mail scanners open links before people do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from monitor.dashboard.api import ApiParts, Who, create_api
from monitor.dashboard.guards import guard
from monitor.dashboard.listing import create_listing_api
from monitor.dashboard.metrics import exposition, gather
from monitor.dashboard.pages import TEMPLATES
from monitor.dashboard.users import Role
from monitor.dashboard.views import hidden_title
from monitor.dashboard.web import mount_pages
from monitor.incidents import IncidentStore, Lifecycle, TransitionRefused
from monitor.store.keys import Keys
from notifications.tokens import AckClaim, BadToken, verify

log = logging.getLogger(__name__)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(
    store: IncidentStore,
    keys: Keys,
    secret: bytes,
    staff: frozenset[str],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    api: ApiParts | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    app = FastAPI(
        title="Vigil",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, to bearer tokens only
        description="Security monitoring and breach response for ALS",
    )
    lifecycle = Lifecycle(store)
    guard(app)

    @app.exception_handler(RedisError)
    async def redis_away(request: Request, error: RedisError) -> Response:
        """Say what is wrong rather than fail: nothing is lost while Redis is away."""
        log.warning("web request failed, Redis unavailable: %s", type(error).__name__)
        message = (
            "Vigil cannot reach its Redis right now. Nothing is lost: log lines wait on disk "
            "and are read from their checkpoint when Redis is back. Try again in a minute."
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=503, headers=SECURITY_HEADERS)
        return page(request, 503, heading="Redis is unreachable", message=message, tone="bad")

    def page(request: Request, status: int, **context: object) -> HTMLResponse:
        defaults: dict[str, object] = {
            "message": "",
            "incident": None,
            "confirm": False,
            "tone": "",
            "title": "",
            "recipient": "",
        }
        response = TEMPLATES.TemplateResponse(
            request, "ack.html", {**defaults, **context}, status_code=status
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    def refused(request: Request, reason: str) -> HTMLResponse:
        return page(request, 400, heading="This link cannot be used", message=reason, tone="bad")

    async def claim_of(token: str) -> AckClaim:
        claim = verify(secret, token, clock())
        if await store.redis.exists(keys.alerts(f"used:{claim.nonce}")):
            raise BadToken("this link has already been used")
        return claim

    @app.get("/ack/{token}", response_class=HTMLResponse)
    async def show(request: Request, token: str) -> HTMLResponse:
        try:
            claim = await claim_of(token)
        except BadToken as error:
            return refused(request, str(error))
        incident = await store.get(claim.incident_id)
        if incident is None:
            return page(request, 404, heading="No such incident", tone="bad")
        return page(
            request,
            200,
            heading="Acknowledge this incident?",
            incident=incident,
            title=hidden_title(incident, staff),
            confirm=True,
            recipient=claim.recipient,
        )

    @app.post("/ack/{token}", response_class=HTMLResponse)
    async def acknowledge(request: Request, token: str) -> HTMLResponse:
        try:
            claim = await claim_of(token)
        except BadToken as error:
            return refused(request, str(error))
        ttl = max(int((claim.expires - clock()).total_seconds()), 1)
        # Once: the first use marks the link spent; a second click finds the mark.
        if not await store.redis.set(keys.alerts(f"used:{claim.nonce}"), "1", nx=True, ex=ttl):
            return refused(request, "this link has already been used")
        try:
            incident = await lifecycle.acknowledge(
                claim.incident_id, claim.recipient, "acknowledged from the alert email"
            )
            if api is not None:
                await api.users.audit_attempt(
                    claim.recipient, "acknowledged", claim.incident_id, "email link"
                )
        except TransitionRefused as error:
            return page(
                request, 409, heading="Nothing to acknowledge", message=str(error), tone="bad"
            )
        return page(
            request,
            200,
            heading="Acknowledged",
            incident=incident,
            tone="good",
            title=hidden_title(incident, staff),
            message=f"Escalation has stopped. Acknowledged by {claim.recipient}.",
        )

    if api is not None:
        mount_api(app, api, secure_cookies)
    return app


def mount_api(app: FastAPI, api: ApiParts, secure_cookies: bool = False) -> None:
    """The JSON API (OpenAPI at /openapi.json) and Prometheus metrics."""
    app.state.users = api.users
    # The listing first: /api/incidents.csv is an export, not an incident id.
    app.include_router(create_listing_api(api))
    app.include_router(create_api(api))
    mount_pages(app, api, secure_cookies)

    @app.get("/openapi.json", include_in_schema=False)
    async def schema(who: Who) -> dict[str, Any]:
        return app.openapi()

    @app.get("/metrics", include_in_schema=False)
    async def metrics(who: Who) -> Response:
        """For a Prometheus scrape with a bearer token (internal control's or IT's)."""
        if who.role not in (Role.INTERNAL_CONTROL, Role.IT):
            raise HTTPException(403, f"the {who.role} role may not read metrics")
        families = await gather(api.store, await api.status())
        return Response(exposition(families), media_type=CONTENT_TYPE_LATEST)
