"""Table pages: sources and health, silences, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

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
                f"{stream['lag']} batches, {stream['behind_seconds']:,.0f} s behind",
                "",
                f"{stream['pending']} pending",
                f"{state['dead_letters']} dead letters, {stream['trimmed_unread']} lost unread",
            )
        )
        rows += [
            (f"{s['path']} (STALLED)", "", "", "", "", "", s["detail"])
            for s in state["file_sources"]
            if s["state"] == "stalled"
        ]
        rows.append(("(outbox)", outbox["due"], "", "", "", "", f"{outbox['dead']} dead"))
        rows += [
            (
                f"(worker {w['name']})",
                "",
                "",
                "",
                "",
                f"{w['pending']} pending",
                worker_state(w["idle_ms"]),
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
        now = datetime.now(UTC).isoformat()
        every = request.query_params.get("all") == "1"
        shown = [s for s in await silences.all() if every or s.ends > now]
        rows = [
            (s.id, s.family or "", s.detector or "", s.entity or "", s.ends[:16], s.by, s.reason)
            for s in shown
        ]
        csrf = current.session.csrf
        form = (
            ""
            if current.session.principal.role not in ACK
            else '<form class="inline" method="post" action="/silences">'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            '<input name="entity" placeholder="ip=203.0.113.7"><input name="family" '
            'placeholder="family"><input name="minutes" value="120" size="4">'
            '<input name="reason" placeholder="reason" required><button>Silence</button>'
            "</form>" + expire_form(csrf, [s.id for s in shown if s.ends > now])
        )
        form += ' <a href="/silences">active only</a>' if every else ' <a href="/silences?all=1">'
        form += "" if every else "show expired ones too</a>"
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
            silence = await silences.add(
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
        await api.users.audit(current.session.principal, "added a silence", silence.id)
        return RedirectResponse("/silences", status_code=303)

    @app.post("/silences/expire")
    async def silence_expire(request: Request) -> Response:
        current, fields = await pages.posted(request, ACK)
        silence_id = fields.get("id", "")
        if not await silences.expire(silence_id, datetime.now(UTC)):
            raise Refused(404, f"no silence {silence_id}")
        await api.users.audit(current.session.principal, "expired a silence", silence_id)
        return RedirectResponse("/silences", status_code=303)


# A worker that has not even asked for work for this long is gone (it blocks for 1 s at a time).
DEAD_AFTER_MS = 60_000


def worker_state(idle_ms: int) -> str:
    if idle_ms > DEAD_AFTER_MS:
        return f"DEAD: silent for {idle_ms // 1000} s"
    return f"idle {idle_ms} ms"


def expire_form(csrf: str, active: list[str]) -> str:
    """One form to end an active silence early (ids are Vigil's own, escaped all the same)."""
    if not active:
        return ""
    options = "".join(f"<option>{escape(silence_id)}</option>" for silence_id in active)
    return (
        '<form class="inline" method="post" action="/silences/expire">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<select name="id" aria-label="silence">{options}</select><button>Expire</button></form>'
    )
