"""The dashboard pages: log in, incidents (live), an incident, breaches, health, silences, audit.

Every page is rendered on the server; the only script is /static/live.js (the CSP allows
nothing inline). Every change is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from monitor.dashboard.api import ACK, BREACH_READ, ApiParts
from monitor.dashboard.charts import chart
from monitor.dashboard.sessions import COOKIE, Session, Sessions
from monitor.dashboard.users import AccessDenied, Role
from monitor.dashboard.views import SEES_CUSTOMERS, incident_view
from monitor.findings import Severity
from monitor.incidents import Classification, Lifecycle, Status, TransitionRefused
from playbooks.breach import BreachError
from playbooks.customers import affected
from playbooks.notices import authority_lines, customer_notice
from playbooks.progress import progress

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
FAMILIES = ("account_takeover", "impersonation", "bulk_access", "integrity")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Refused(Exception):
    """Not logged in, a missing CSRF token, or a role that may not."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Page:
    request: Request
    session: Session


def mount_pages(app: FastAPI, api: ApiParts, secure_cookies: bool) -> None:
    sessions = Sessions(api.store.redis, api.store.keys, api.users)
    lifecycle = Lifecycle(api.store)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def page(request: Request, roles: frozenset[Role] = frozenset(Role)) -> Page:
        session = await sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise Refused(303, "log in")
        if session.principal.role not in roles:
            raise Refused(403, f"the {session.principal.role} role may not see this")
        return Page(request, session)

    async def posted(request: Request, roles: frozenset[Role]) -> tuple[Page, dict[str, str]]:
        current = await page(request, roles)
        fields = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if fields.get("csrf") != current.session.csrf:
            raise Refused(403, "the form's CSRF token is missing or wrong; reload the page")
        return current, fields

    def render(current: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context |= {"who": current.session.principal, "csrf": current.session.csrf}
        context.setdefault("error", "")
        response = TEMPLATES.TemplateResponse(
            current.request, template, context, status_code=status
        )
        response.headers.update(HEADERS)
        return response

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if error.status == 303:
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(
            f"<p>{error}</p><p><a href='/'>Back</a></p>", status_code=error.status, headers=HEADERS
        )

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(request, "login.html", {"error": ""})
        response.headers.update(HEADERS)
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        fields = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        address = request.client.host if request.client else "unknown"
        try:
            cookie = await sessions.login(
                fields.get("username", ""), fields.get("password", ""), address
            )
        except AccessDenied as error:
            response = TEMPLATES.TemplateResponse(
                request, "login.html", {"error": str(error)}, status_code=401
            )
            response.headers.update(HEADERS)
            return response
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
        await posted(request, frozenset(Role))
        await sessions.logout(request.cookies.get(COOKIE, ""))
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
        current = await page(request)
        shown, filters = await listed(current)
        counts = {
            str(s): await api.store.redis.zcard(api.store.keys.incident_index(f"status:{s}"))
            for s in Status
        }
        return render(
            current,
            "incidents.html",
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
        await page(request)
        return StreamingResponse(
            changes(request), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    async def changes(request: Request) -> AsyncIterator[str]:
        """Server-Sent Events: one `change` per incident change, from now on."""
        last = "$"
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
        current = await page(request)
        found = await api.store.get(incident_id)
        if found is None:
            raise Refused(404, f"no incident {incident_id}")
        role = current.session.principal.role
        if role in SEES_CUSTOMERS and found.affected_customers:
            await api.users.audit(current.session.principal, "viewed customer data", incident_id)
        return render(
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
        current, fields = await posted(request, ACK)
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

    @app.post("/breaches")
    async def declare(request: Request) -> Response:
        current, fields = await posted(request, frozenset({Role.INTERNAL_CONTROL}))
        try:
            breach = await api.playbook.store.declare(
                fields.get("incidents", "").split(),
                fields.get("summary", ""),
                current.session.principal.name,
            )
        except BreachError as error:
            raise Refused(404, str(error)) from None
        await api.users.audit(current.session.principal, "declared a breach", breach.id)
        await api.playbook.run(breach.id)
        return RedirectResponse(f"/breaches/{breach.id}", status_code=303)

    @app.get("/breaches", response_class=HTMLResponse)
    async def breaches(request: Request) -> HTMLResponse:
        current = await page(request, BREACH_READ)
        rows = []
        for breach_id in await api.playbook.store.ids():
            b = await api.playbook.store.existing(breach_id)
            rows.append((breach_id, b.summary, f"{b.detected_at:%Y-%m-%d %H:%M} UTC", b.phase))
        return render(
            current,
            "table.html",
            heading="Breaches",
            rows=rows,
            form="",
            columns=["Breach", "Summary", "Detected", "Phase"],
        )

    async def breach_state(breach_id: str) -> tuple[Any, list[Any], dict[str, Any]]:
        try:
            breach = await api.playbook.store.existing(breach_id)
        except BreachError as error:
            raise Refused(404, str(error)) from None
        incidents = [i for i in [await api.store.get(x) for x in breach.incidents] if i]
        found, _ = affected(incidents, api.playbook.directory(), breach.occurred_at)
        return (
            breach,
            found,
            await progress(api.playbook, breach, found, datetime.now(UTC), recipients=True),
        )

    @app.get("/breaches/{breach_id}", response_class=HTMLResponse)
    async def breach(request: Request, breach_id: str) -> HTMLResponse:
        current = await page(request, BREACH_READ)
        _, _, state = await breach_state(breach_id)
        await api.users.audit(current.session.principal, "viewed notice recipients", breach_id)
        return render(
            current,
            "breach.html",
            heading=breach_id,
            b=state,
            may_act=current.session.principal.role is Role.INTERNAL_CONTROL,
        )

    @app.get("/breaches/{breach_id}/preview/{customer_id}", response_class=HTMLResponse)
    async def preview(request: Request, breach_id: str, customer_id: str) -> HTMLResponse:
        current = await page(request, BREACH_READ)
        breach_record, found, _ = await breach_state(breach_id)
        item = next((a for a in found if a.customer.customer_id == customer_id), None)
        if item is None:
            raise Refused(404, f"{customer_id} is not affected by {breach_id}")
        lines = authority_lines(
            api.playbook.breach, None, breach_record.due(api.playbook.breach.deadline)
        )
        notice = customer_notice(api.playbook.view(breach_record), item, api.playbook.breach, lines)
        await api.users.audit(current.session.principal, "previewed a notice", customer_id)
        return render(
            current,
            "table.html",
            heading=f"Notice to {customer_id}",
            form="",
            columns=[notice.subject],
            rows=[[line] for line in notice.text.split("\n")],
        )

    @app.post("/breaches/{breach_id}/{move}")
    async def breach_move(request: Request, breach_id: str, move: str) -> Response:
        current, fields = await posted(request, frozenset({Role.INTERNAL_CONTROL}))
        if move == "late-reason":
            try:
                await api.playbook.store.set_late_reason(
                    breach_id, fields.get("reason", ""), current.session.principal.name
                )
            except BreachError as error:
                raise Refused(409, str(error)) from None
            await api.playbook.run(breach_id)
        else:
            raise Refused(404, f"no action {move}")
        return RedirectResponse(f"/breaches/{breach_id}", status_code=303)

    @app.post("/breaches/{breach_id}/retry/{customer_id}")
    async def retry(request: Request, breach_id: str, customer_id: str) -> Response:
        await posted(request, frozenset({Role.INTERNAL_CONTROL}))
        await api.playbook.outbox.retry(f"breach:{breach_id}:customer:{customer_id}")
        return RedirectResponse(f"/breaches/{breach_id}", status_code=303)

    mount_tables(app, api, page, posted, render)


Render = Callable[..., HTMLResponse]
PageOf = Callable[..., Awaitable[Page]]
Posted = Callable[..., Awaitable[tuple[Page, dict[str, str]]]]


def mount_tables(app: FastAPI, api: ApiParts, page: PageOf, posted: Posted, render: Render) -> None:
    """Health, silences and the audit log: tables."""
    from notifications.silences import Silences

    silences = Silences(api.store.redis, api.store.keys)

    @app.get("/health", response_class=HTMLResponse)
    async def health(request: Request) -> HTMLResponse:
        current = await page(request, frozenset({Role.INTERNAL_CONTROL, Role.IT}))
        state = await api.status()
        rows = [
            (
                s["path"],
                s["offset"],
                s["size"],
                s["lag_bytes"],
                s["lines"],
                s["events"],
                s["malformed"],
            )
            for s in state["sources"]
        ]
        stream, outbox = state["stream"], state["outbox"]
        rows.append(
            (
                "(event stream)",
                stream["length"],
                "",
                stream["lag"],
                "",
                f"{stream['pending']} pending",
                f"{state['dead_letters']} dead letters",
            )
        )
        rows.append(("(outbox)", outbox["due"], "", "", "", "", f"{outbox['dead']} dead"))
        rows += [
            (
                f"(worker {w['name']})",
                "",
                "",
                "",
                "",
                f"{w['pending']} pending",
                f"idle {w['idle_ms']} ms",
            )
            for w in stream["consumers"]
        ]
        rows.append(
            (
                f"(redis {state['redis']['version']})",
                state["redis"]["used_memory"],
                "",
                "",
                "",
                "",
                "",
            )
        )
        return render(
            current,
            "table.html",
            heading="Sources and health",
            rows=rows,
            form="",
            columns=["Source", "Offset", "Size", "Lag", "Lines", "Events", "Malformed"],
        )

    @app.get("/silences", response_class=HTMLResponse)
    async def silence_list(request: Request) -> HTMLResponse:
        current = await page(request)
        rows = [
            (s.id, s.family or "", s.detector or "", s.entity or "", s.ends[:16], s.by, s.reason)
            for s in await silences.all()
        ]
        form = (
            ""
            if current.session.principal.role not in ACK
            else '<form class="inline" method="post" action="/silences">'
            f'<input type="hidden" name="csrf" value="{current.session.csrf}">'
            '<input name="entity" placeholder="ip=203.0.113.7"><input name="family" '
            'placeholder="family"><input name="minutes" value="120" size="4">'
            '<input name="reason" placeholder="reason" required><button>Silence</button>'
            "</form>"
        )
        return render(
            current,
            "table.html",
            heading="Silences",
            rows=rows,
            form=form,
            columns=["Id", "Family", "Detector", "Entity", "Until", "By", "Reason"],
        )

    @app.post("/silences")
    async def silence_add(request: Request) -> Response:
        current, fields = await posted(request, ACK)
        now = datetime.now(UTC)
        try:
            minutes = int(fields.get("minutes", "120"))
            await silences.add(
                now,
                now + timedelta(minutes=minutes),
                fields.get("reason", ""),
                current.session.principal.name,
                fields.get("family") or None,
                None,
                fields.get("entity") or None,
            )
        except ValueError as error:
            raise Refused(422, str(error)) from None
        return RedirectResponse("/silences", status_code=303)

    @app.get("/audit", response_class=HTMLResponse)
    async def audit(request: Request) -> HTMLResponse:
        current = await page(request, frozenset({Role.INTERNAL_CONTROL}))
        entries = await api.store.redis.xrevrange(api.store.keys.users("audit"), count=200)
        rows = [
            tuple(e[k].decode() for k in (b"at", b"who", b"role", b"action", b"target"))
            for _, e in entries
        ]
        return render(
            current,
            "table.html",
            heading="Audit log",
            rows=rows,
            form="",
            columns=["At", "Who", "Role", "Action", "Target"],
        )
