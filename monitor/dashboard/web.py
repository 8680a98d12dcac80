"""The dashboard pages: log in, incidents (live) and an incident; breaches and tables elsewhere.

Every page is rendered on the server; the only script is /static/live.js (the CSP allows
nothing inline). Every change is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from monitor.dashboard.api import ACK, ApiParts
from monitor.dashboard.breach_pages import mount_breach_pages
from monitor.dashboard.charts import chart
from monitor.dashboard.pages import HEADERS, HERE, Page, Pages, Refused, form_of, html
from monitor.dashboard.sessions import COOKIE
from monitor.dashboard.tables import mount_tables
from monitor.dashboard.users import AccessDenied, Role
from monitor.dashboard.views import SEES_CUSTOMERS, incident_view
from monitor.findings import FAMILIES, Severity
from monitor.incidents import Classification, Lifecycle, Status, TransitionRefused
from monitor.store.streams import newest_id

STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")


def mount_pages(app: FastAPI, api: ApiParts, secure_cookies: bool) -> None:
    pages = Pages(api)
    lifecycle = Lifecycle(api.store)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if error.status == 303:
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(
            f"<p>{error}</p><p><a href='/'>Back</a></p>", status_code=error.status, headers=HEADERS
        )

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        return html(request, "login.html", {"error": ""})

    @app.post("/login")
    async def login(request: Request) -> Response:
        fields = await form_of(request)
        address = request.client.host if request.client else "unknown"
        try:
            cookie = await pages.sessions.login(
                fields.get("username", ""), fields.get("password", ""), address
            )
        except AccessDenied as error:
            return html(request, "login.html", {"error": str(error)}, 401)
        answer = RedirectResponse("/", status_code=303)
        answer.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=secure_cookies or request.url.scheme == "https",
            max_age=8 * 3600,
        )
        return answer

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await pages.posted(request, frozenset(Role))
        await pages.sessions.logout(request.cookies.get(COOKIE, ""))
        answer = RedirectResponse("/login", status_code=303)
        answer.delete_cookie(COOKIE)
        return answer

    async def listed(current: Page) -> tuple[list[dict[str, Any]], dict[str, str]]:
        query = current.request.query_params
        names = ("status", "severity", "family", "detector", "hours")
        filters = {name: query.get(name, "") for name in names}
        hours = int(filters["hours"]) if filters["hours"].isdigit() else 0
        since = (datetime.now(UTC) - timedelta(hours=hours)).isoformat() if hours else ""
        status = Status(filters["status"]) if filters["status"] in set(Status) else None
        severity = Severity(filters["severity"]) if filters["severity"] in set(Severity) else None
        found = await api.store.list(status, severity, 500)
        found = [
            i
            for i in found
            if (not filters["family"] or i.family == filters["family"])
            and (not filters["detector"] or filters["detector"] in i.detector)
            and (not since or i.last_seen.replace("Z", "+00:00") >= since)
        ]
        role = current.session.principal.role
        return [incident_view(i, role, api.staff) for i in found[:200]], filters

    @app.get("/", response_class=HTMLResponse)
    async def incidents(request: Request) -> HTMLResponse:
        current = await pages.current(request)
        # Taken before the list: a change after it is both shown and announced, never lost.
        after = await newest_id(api.store.redis, api.store.keys.incident_changes)
        shown, filters = await listed(current)
        counts = {
            str(s): await api.store.redis.zcard(api.store.keys.incident_index(f"status:{s}"))
            for s in Status
        }
        return pages.render(
            current,
            "incidents.html",
            after=after,
            heading="Incidents",
            incidents=shown,
            filters=filters,
            counts=counts,
            chart=chart(shown, datetime.now(UTC)),
            statuses=list(Status),
            severities=list(Severity),
            families=FAMILIES,
        )

    @app.get("/live")
    async def live(request: Request) -> StreamingResponse:
        await pages.current(request)
        return StreamingResponse(
            changes(request), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    async def changes(request: Request) -> AsyncIterator[str]:
        """Server-Sent Events: one `change` per incident change after the page was rendered.

        The page names the last change it showed (`after`), so a change that lands between
        rendering the page and opening this stream is not missed.
        """
        after = request.query_params.get("after", "")
        last = (
            after
            if STREAM_ID.fullmatch(after)
            else await newest_id(api.store.redis, api.store.keys.incident_changes)
        )
        yield ": connected\n\n"
        while not await request.is_disconnected():
            reply = await api.store.redis.xread(
                {api.store.keys.incident_changes: last}, block=1000, count=50
            )
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    data = json.dumps(
                        {"id": fields[b"id"].decode(), "state": fields[b"state"].decode()}
                    )
                    yield f"event: change\ndata: {data}\n\n"

    @app.get("/incidents/{incident_id}", response_class=HTMLResponse)
    async def incident(request: Request, incident_id: str) -> HTMLResponse:
        current = await pages.current(request)
        found = await api.store.get(incident_id)
        if found is None:
            raise Refused(404, f"no incident {incident_id}")
        role = current.session.principal.role
        if role in SEES_CUSTOMERS and found.affected_customers:
            await api.users.audit(current.session.principal, "viewed customer data", incident_id)
        return pages.render(
            current,
            "incident.html",
            heading=incident_id,
            i=incident_view(found, role, api.staff),
            similar=await similar(found.id, found.entities, role),
            may_act=role in ACK,
            may_declare=role is Role.INTERNAL_CONTROL,
            classifications=list(Classification),
        )

    async def similar(
        incident_id: str, entities: dict[str, str] | Any, role: Role
    ) -> list[dict[str, Any]]:
        wanted = {(k, v) for k, v in entities.items() if k in ("ip", "user", "session")}
        found = []
        for other in await api.store.list(None, None, 300):
            shared = wanted & set(other.entities.items())
            if other.id != incident_id and shared:
                view = incident_view(other, role, api.staff)
                view["shared"] = ", ".join(sorted(k for k, _ in shared))
                found.append(view)
        return found[:20]

    @app.post("/incidents/{incident_id}/{move}")
    async def act(request: Request, incident_id: str, move: str) -> Response:
        current, fields = await pages.posted(request, ACK)
        who = current.session.principal
        try:
            if move == "ack":
                await lifecycle.acknowledge(incident_id, who.name, "from the dashboard")
            elif move == "resolve":
                await lifecycle.resolve(
                    incident_id,
                    who.name,
                    Classification(fields.get("classification", "true_positive")),
                )
            elif move == "assign":
                await lifecycle.assign(incident_id, fields.get("owner", ""), who.name)
            elif move == "comment":
                await lifecycle.comment(incident_id, who.name, fields.get("text", ""))
            elif move == "merge":
                await lifecycle.merge(incident_id, [fields.get("source", "")], who.name)
            else:
                raise Refused(404, f"no action {move}")
        except (TransitionRefused, ValueError) as error:
            raise Refused(409, str(error)) from None
        await api.users.audit(who, move, incident_id)
        return RedirectResponse(f"/incidents/{incident_id}", status_code=303)

    mount_breach_pages(app, pages)
    mount_tables(app, pages)
