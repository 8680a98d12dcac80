"""The incidents page: filters answered in Redis, cursor pages, groups, bulk moves, exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.dashboard.api import ACK
from monitor.dashboard.charts import chart, chart_request
from monitor.dashboard.export import as_csv, as_json, selected
from monitor.dashboard.filters import Filters
from monitor.dashboard.listing import (
    EXPORTS,
    audit_list,
    export_response,
    filters_of,
    move_many,
)
from monitor.dashboard.pages import Page, Pages, Refused
from monitor.dashboard.views import incident_view
from monitor.findings import FAMILIES, Severity
from monitor.incidents import Classification, Lifecycle, Status
from monitor.incidents.query import BadSelection, Found, Order
from monitor.store.streams import newest_id

PAGE_SIZE = 100


def checked(request: Request) -> Filters:
    try:
        return filters_of(request)
    except HTTPException as error:
        raise Refused(400, str(error.detail)) from None


def link(request: Request, **changes: str) -> str:
    """This page's address with some parameters changed ('' drops one)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    query += [(k, v) for k, v in changes.items() if v]
    return "/?" + urlencode(query) if query else "/"


def mount_list_page(app: FastAPI, pages: Pages) -> None:
    api = pages.api
    lifecycle = Lifecycle(api.store)

    async def found(current: Page, filters: Filters) -> tuple[Found, list[dict[str, Any]]]:
        plot = chart_request(datetime.now(UTC))
        query = api.store.query
        try:
            if filters.group:
                return await query.groups(filters.selection, plot), []
            cursor = current.request.query_params.get("cursor", "")
            result = await query.page(filters.selection, cursor, PAGE_SIZE, plot)
        except BadSelection as error:
            raise Refused(400, str(error)) from None
        role = current.session.principal.role
        incidents = await api.store.get_many(result.ids)
        await audit_list(api.users, current.session.principal, incidents)
        return result, [incident_view(i, role, api.staff) for i in incidents]

    async def status_counts() -> dict[str, int]:
        index = api.store.keys.incident_index
        return {str(s): await api.store.redis.zcard(index(f"status:{s}")) for s in Status}

    async def known_detectors() -> list[str]:
        known = await api.store.redis.smembers(api.store.keys.incident_index("detectors"))
        return sorted(name.decode() for name in known)

    @app.get("/", response_class=HTMLResponse)
    async def incidents(request: Request) -> HTMLResponse:
        current = await pages.current(request)
        filters = checked(request)
        # Taken before the list: a change after it is both shown and announced, never lost.
        after = await newest_id(api.store.redis, api.store.keys.incident_changes)
        result, shown = await found(current, filters)
        role = current.session.principal.role
        groups = [(name, n, link(request, detector=name, group="")) for name, n in result.groups]
        whole = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        return pages.render(
            current,
            "incidents.html",
            after=after,
            heading="Incidents",
            incidents=shown,
            found=result,
            groups=groups,
            filters=filters.given,
            counts=await status_counts(),
            chart=chart(result.chart, chart_request(datetime.now(UTC))),
            statuses=list(Status),
            severities=list(Severity),
            families=FAMILIES,
            detectors=await known_detectors(),
            orders=list(Order),
            next_page=link(request, cursor=result.next_cursor) if result.next_cursor else "",
            first_page=link(request, cursor="") if "cursor" in request.query_params else "",
            exports=role in EXPORTS,
            may_act=role in ACK,
            export_query=urlencode(whole),
            classifications=list(Classification),
        )

    @app.post("/incidents/bulk")
    async def bulk(request: Request) -> Response:
        current, fields = await pages.posted(request, ACK)
        ids = parse_qs((await request.body()).decode()).get("id", [])[:1000]
        action = fields.get("action", "")
        if action not in ("ack", "resolve") or not ids:
            raise Refused(400, "choose incidents and acknowledge or resolve")
        try:
            classification = Classification(fields.get("classification", "true_positive"))
        except ValueError:
            raise Refused(400, "unknown classification") from None
        who = current.session.principal
        outcomes = await move_many(lifecycle, ids, action, who.name, classification)
        verb = "acknowledged" if action == "ack" else "resolved"
        for incident_id, outcome in outcomes.items():
            if outcome in (Status.ACKNOWLEDGED, Status.RESOLVED):
                await api.users.audit(who, verb, incident_id)
        back = fields.get("back", "/")
        return RedirectResponse(back if back.startswith("/?") else "/", status_code=303)

    @app.get("/incidents.{kind}")
    async def export(request: Request, kind: Literal["csv", "json"]) -> Response:
        current = await pages.current(request, EXPORTS)
        filters = checked(request)
        who = current.session.principal
        await api.users.audit(who, "exported incidents", str(request.url.query)[:200])
        rows = selected(api.store, filters.selection, who.role, api.staff)
        return export_response(as_csv(rows) if kind == "csv" else as_json(rows), kind)
