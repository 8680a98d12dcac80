"""Breach pages: the list, one breach with its clocks, filings and recipients, previews, and
the decisions internal control takes on it (filing, late reasons, confirmation, withdrawal)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.dashboard.api import BREACH_READ
from monitor.dashboard.pages import Pages, Refused
from monitor.dashboard.users import Role
from monitor.events import parse_time
from playbooks import decisions, filing
from playbooks.breach import Breach, BreachError
from playbooks.notices import customer_notice
from playbooks.playbook import Playbook
from playbooks.progress import progress
from playbooks.schedule import SCHEDULERS, schedule_reminders

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
        scheduler = SCHEDULERS.get(api.playbook.store.keys.prefix)  # the respond role's
        if scheduler is not None:
            schedule_reminders(scheduler, api.playbook.store.keys.prefix, breach, api.playbook)
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
        _, found, unknown = await api.playbook.affected_of(breach)
        now = api.playbook.clock()
        return breach, found, await progress(api.playbook, breach, found, now, True, unknown)

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
        if move not in MOVES:
            raise Refused(404, f"no action {move}")
        try:
            await MOVES[move](api.playbook, breach_id, fields, current.session.principal.name)
        except (BreachError, ValueError) as error:
            raise Refused(409, str(error)) from None
        await api.users.audit(current.session.principal, f"breach: {move}", breach_id)
        await api.playbook.run(breach_id)
        return RedirectResponse(f"/breaches/{breach_id}", status_code=303)

    @app.post("/breaches/{breach_id}/retry/{customer_id}")
    async def retry(request: Request, breach_id: str, customer_id: str) -> Response:
        await pages.posted(request, CONTROL)
        await api.playbook.outbox.retry(f"breach:{breach_id}:customer:{customer_id}")
        return RedirectResponse(f"/breaches/{breach_id}", status_code=303)


async def late_reason(playbook: Playbook, breach_id: str, form: dict[str, str], by: str) -> Breach:
    phase = int(form["phase"]) if form.get("phase") else None
    return await playbook.store.set_late_reason(breach_id, form.get("reason", ""), by, phase)


async def filed(playbook: Playbook, breach_id: str, form: dict[str, str], by: str) -> Breach:
    """The signed Form 08 was filed: when (a time with its zone), and the authority's reference."""
    return await decisions.record_filing(
        playbook.store,
        breach_id,
        int(form.get("phase") or 1),
        parse_time(form.get("at", "")),
        form.get("reference", ""),
        by,
        form.get("late_reason", ""),
    )


async def discovered(playbook: Playbook, breach_id: str, form: dict[str, str], by: str) -> Breach:
    at = parse_time(form.get("at", ""))
    return await decisions.record_discovery(
        playbook.store, breach_id, at, form.get("reason", ""), by
    )


async def confirm(playbook: Playbook, breach_id: str, form: dict[str, str], by: str) -> Breach:
    return await decisions.confirm(playbook.store, breach_id, by)


async def withdraw(playbook: Playbook, breach_id: str, form: dict[str, str], by: str) -> Breach:
    return await filing.withdraw(
        playbook.store, playbook.outbox, breach_id, form.get("reason", ""), by
    )


async def retry_authority(
    playbook: Playbook, breach_id: str, form: dict[str, str], by: str
) -> Breach:
    await playbook.retry_authority(breach_id)
    return await playbook.store.existing(breach_id)


MOVES = {
    "retry-authority": retry_authority,
    "late-reason": late_reason,
    "filed": filed,
    "discovered": discovered,
    "confirm": confirm,
    "withdraw": withdraw,
}
