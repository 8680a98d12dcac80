"""Table pages: sources and health, silences, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.dashboard.api import ACK
from monitor.dashboard.pages import Pages, Refused
from monitor.dashboard.users import Role
from notifications.silences import Silences


def mount_tables(app: FastAPI, pages: Pages) -> None:
    api = pages.api
    silences = Silences(api.store.redis, api.store.keys)

    @app.get("/health", response_class=HTMLResponse)
    async def health(request: Request) -> HTMLResponse:
        current = await pages.current(request, frozenset({Role.INTERNAL_CONTROL, Role.IT}))
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
        return pages.render(
            current,
            "table.html",
            heading="Sources and health",
            rows=rows,
            form="",
            columns=["Source", "Offset", "Size", "Lag", "Lines", "Events", "Malformed"],
        )

    @app.get("/silences", response_class=HTMLResponse)
    async def silence_list(request: Request) -> HTMLResponse:
        current = await pages.current(request)
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
        return pages.render(
            current,
            "table.html",
            heading="Silences",
            rows=rows,
            form=form,
            columns=["Id", "Family", "Detector", "Entity", "Until", "By", "Reason"],
        )

    @app.post("/silences")
    async def silence_add(request: Request) -> Response:
        current, fields = await pages.posted(request, ACK)
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
        current = await pages.current(request, frozenset({Role.INTERNAL_CONTROL}))
        entries = await api.store.redis.xrevrange(api.store.keys.users("audit"), count=200)
        rows = [
            tuple(e[k].decode() for k in (b"at", b"who", b"role", b"action", b"target"))
            for _, e in entries
        ]
        return pages.render(
            current,
            "table.html",
            heading="Audit log",
            rows=rows,
            form="",
            columns=["At", "Who", "Role", "Action", "Target"],
        )
