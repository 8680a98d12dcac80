"""Breach pages: the list, one breach with its clock and recipients, previews, late reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.dashboard.api import BREACH_READ
from monitor.dashboard.pages import Pages, Refused
from monitor.dashboard.users import Role
from playbooks.breach import BreachError
from playbooks.notices import customer_notice
from playbooks.progress import progress

CONTROL = frozenset({Role.INTERNAL_CONTROL})


def mount_breach_pages(app: FastAPI, pages: Pages) -> None:
    api = pages.api

    @app.post("/breaches")
    async def declare(request: Request) -> Response:
        current, fields = await pages.posted(request, CONTROL)
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
        current = await pages.current(request, BREACH_READ)
        rows = []
        for breach_id in await api.playbook.store.ids():
            b = await api.playbook.store.existing(breach_id)
            rows.append((breach_id, b.summary, f"{b.detected_at:%Y-%m-%d %H:%M} UTC", b.phase))
        return pages.render(
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
        _, found, _ = await api.playbook.affected_of(breach)
        return (
            breach,
            found,
            await progress(api.playbook, breach, found, datetime.now(UTC), recipients=True),
        )

    @app.get("/breaches/{breach_id}", response_class=HTMLResponse)
    async def breach(request: Request, breach_id: str) -> HTMLResponse:
        current = await pages.current(request, BREACH_READ)
        _, _, state = await breach_state(breach_id)
        await api.users.audit(current.session.principal, "viewed notice recipients", breach_id)
        return pages.render(
            current,
            "breach.html",
            heading=breach_id,
            b=state,
            may_act=current.session.principal.role is Role.INTERNAL_CONTROL,
        )

    @app.get("/breaches/{breach_id}/preview/{customer_id}", response_class=HTMLResponse)
    async def preview(request: Request, breach_id: str, customer_id: str) -> HTMLResponse:
        current = await pages.current(request, BREACH_READ)
        breach_record, _, _ = await breach_state(breach_id)
        incidents, found, _ = await api.playbook.affected_of(breach_record)
        item = next((a for a in found if a.customer.customer_id == customer_id), None)
        if item is None:
            raise Refused(404, f"{customer_id} is not affected by {breach_id}")
        letters = await api.playbook.letters(breach_record, incidents)
        notice = customer_notice(letters, item)
        await api.users.audit(current.session.principal, "previewed a notice", customer_id)
        return pages.render(
            current,
            "table.html",
            heading=f"Notice to {customer_id}",
            form="",
            columns=[notice.subject],
            rows=[[line] for line in notice.text.split("\n")],
        )

    @app.post("/breaches/{breach_id}/{move}")
    async def breach_move(request: Request, breach_id: str, move: str) -> Response:
        current, fields = await pages.posted(request, CONTROL)
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
        await pages.posted(request, CONTROL)
        await api.playbook.outbox.retry(f"breach:{breach_id}:customer:{customer_id}")
        return RedirectResponse(f"/breaches/{breach_id}", status_code=303)
