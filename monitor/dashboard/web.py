"""The dashboard pages: log in, incidents (live) and an incident; breaches and tables elsewhere.

Every page is rendered on the server; the only script is /static/live.js (the CSP allows
nothing inline). Every change is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from monitor.dashboard.api import ACK, BREACH_READ, ApiParts
from monitor.dashboard.audit_page import mount_audit
from monitor.dashboard.breach_pages import mount_breach_pages
from monitor.dashboard.list_page import mount_list_page
from monitor.dashboard.login import mount_login
from monitor.dashboard.pages import HEADERS, HERE, Pages, Refused
from monitor.dashboard.sessions import COOKIE
from monitor.dashboard.tables import mount_tables
from monitor.dashboard.users import Principal, Role
from monitor.dashboard.users_page import mount_users
from monitor.dashboard.views import SEES_CUSTOMERS, incident_view
from monitor.incidents import Classification, Lifecycle, TransitionRefused
from monitor.incidents.query import Selection
from monitor.store.streams import newest_id

# One verb per action in the audit log, whichever page, API or link it came through.
VERBS = {
    "ack": "acknowledged",
    "resolve": "resolved",
    "assign": "assigned",
    "comment": "commented",
    "merge": "merged",
}
STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")


def mount_pages(app: FastAPI, api: ApiParts, secure_cookies: bool) -> None:
    pages = Pages(api)
    lifecycle = Lifecycle(api.store)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if error.status == 303:  # log in first, then back to the page asked for
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = (
                "/login" if request.method != "GET" else f"/login?{urlencode({'next': wanted})}"
            )
            return RedirectResponse(target, status_code=303)
        # The message may echo a path segment or a log value: escaped, never markup.
        return HTMLResponse(
            f"<p>{escape(str(error))}</p><p><a href='/'>Back</a></p>",
            status_code=error.status,
            headers=HEADERS,
        )

    @app.get("/live")
    async def live(request: Request) -> StreamingResponse:
        current = await pages.current(request)
        return StreamingResponse(
            changes(request, current.session.principal),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )

    async def changes(request: Request, started: Principal) -> AsyncIterator[str]:
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
        cookie = request.cookies.get(COOKIE)
        while not await request.is_disconnected():
            # The directory may have changed: a new role reloads the page, an ended session
            # (disabled, new password) stops the stream and the page goes to the login.
            session = await pages.sessions.get(cookie)
            if session is None or session.principal.role != started.role:
                yield "event: reload\ndata: {}\n\n"
                return
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
            guide=api.guides.get(found.detector, ("", "")),
            breaches=await breaches_of(incident_id) if role in BREACH_READ else [],
            classifications=list(Classification),
        )

    async def breaches_of(incident_id: str) -> list[str]:
        """The breaches this incident was declared in or attached to."""
        store = api.playbook.store
        return [
            breach_id
            for breach_id in await store.ids()
            if await store.redis.sismember(store.key(breach_id, "incidents"), incident_id)
        ]

    async def similar(
        incident_id: str, entities: dict[str, str] | Any, role: Role
    ) -> list[dict[str, Any]]:
        """Other incidents naming the same address, user or session (newest 20 of each)."""
        wanted = {(k, v) for k, v in entities.items() if k in ("ip", "user", "session")}
        ids: dict[str, None] = {}
        for _, value in sorted(wanted):
            found = await api.store.query.page(Selection(entity=value), limit=20)
            ids.update(dict.fromkeys(found.ids))
        ids.pop(incident_id, None)
        shown = []
        for other in await api.store.get_many(list(ids)):
            view = incident_view(other, role, api.staff)
            shared = wanted & set(other.entities.items())
            view["shared"] = ", ".join(sorted(k for k, _ in shared))
            shown.append(view)
        return shown[:20]

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
        await api.users.audit(who, VERBS[move], incident_id)
        return RedirectResponse(f"/incidents/{incident_id}", status_code=303)

    mount_login(app, pages, secure_cookies)
    mount_list_page(app, pages)
    mount_breach_pages(app, pages)
    mount_tables(app, pages)
    mount_audit(app, pages)
    mount_users(app, pages)
