"""The audit log for internal control: who saw and did what, filtered, and as a CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from monitor.dashboard.export import cell
from monitor.dashboard.pages import Pages
from monitor.dashboard.users import Role

FIELDS = (b"at", b"who", b"role", b"action", b"target")
SHOWN, CHUNK = 200, 1000


def mount_audit(app: FastAPI, pages: Pages) -> None:
    redis, key = pages.api.store.redis, pages.api.store.keys.users("audit")
    internal_control = frozenset({Role.INTERNAL_CONTROL})

    async def entries(who: str, action: str) -> AsyncIterator[tuple[str, ...]]:
        """Newest first, those whose person and action contain the words asked for."""
        last = "+"
        while True:
            batch = await redis.xrevrange(key, max=last, count=CHUNK)
            for _, entry in batch:
                row = tuple(entry.get(name, b"").decode() for name in FIELDS)
                if who.lower() in row[1].lower() and action.lower() in row[3].lower():
                    yield row
            if len(batch) < CHUNK:
                return
            last = f"({batch[-1][0].decode()}"

    @app.get("/audit", response_class=HTMLResponse)
    async def audit(request: Request, who: str = "", action: str = "") -> HTMLResponse:
        current = await pages.current(request, internal_control)
        rows = []
        async for row in entries(who[:100], action[:100]):
            rows.append(row)
            if len(rows) == SHOWN:
                break
        return pages.render(
            current,
            "audit.html",
            heading="Audit log",
            rows=rows,
            who_filter=who,
            action_filter=action,
        )

    @app.get("/audit.csv")
    async def audit_csv(request: Request, who: str = "", action: str = "") -> Response:
        current = await pages.current(request, internal_control)
        await pages.api.users.audit(current.session.principal, "exported the audit log", "")

        async def lines() -> AsyncIterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([name.decode() for name in FIELDS])
            async for row in entries(who[:100], action[:100]):
                writer.writerow([cell(value) for value in row])
            yield buffer.getvalue()

        return StreamingResponse(
            lines(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
