"""The incident list of the API: filtered pages with totals, bulk moves, exports.

The total and the next page's cursor travel in headers (X-Total-Count, X-Next-Cursor and a
Link rel="next"), so the body stays the list of incidents it always was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from monitor.dashboard.api import ACK, ApiParts, Who
from monitor.dashboard.export import as_csv, as_json, selected
from monitor.dashboard.filters import Filters, read_filters
from monitor.dashboard.users import Principal, Role, Users
from monitor.dashboard.views import SEES_CUSTOMERS, incident_view
from monitor.findings import Severity
from monitor.incidents import Classification, Incident, Lifecycle, Status, TransitionRefused
from monitor.incidents.query import BadSelection, Order

EXPORTS = frozenset({Role.INTERNAL_CONTROL})
Many = Annotated[list[str], Query()]


class Bulk(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000)
    action: Literal["ack", "resolve"]
    classification: Classification = Classification.TRUE_POSITIVE
    note: str = Field(default="", max_length=2000)


def filters_of(request: Request) -> Filters:
    """The request's filters; a value they cannot take is the caller's error (400)."""
    query: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        query.setdefault(name, []).append(value)
    try:
        return read_filters(query, datetime.now(UTC))
    except BadSelection as error:
        raise HTTPException(400, str(error)) from None


async def move_many(
    lifecycle: Lifecycle,
    ids: Sequence[str],
    action: str,
    by: str,
    classification: Classification = Classification.TRUE_POSITIVE,
    note: str = "",
) -> dict[str, str]:
    """Each incident's outcome: its new status, or why it could not move."""
    outcomes: dict[str, str] = {}
    for incident_id in dict.fromkeys(ids):
        try:
            if action == "ack":
                moved = await lifecycle.acknowledge(incident_id, by, note or "in bulk")
            else:
                moved = await lifecycle.resolve(incident_id, by, classification, note or "in bulk")
            outcomes[incident_id] = str(moved.status)
        except TransitionRefused as error:
            outcomes[incident_id] = str(error)
    return outcomes


async def audit_list(users: Users, who: Principal, incidents: Sequence[Incident]) -> None:
    """A list that shows customer data to its reader is a view of customer data too."""
    naming = [i.id for i in incidents if i.affected_count]
    if who.role in SEES_CUSTOMERS and naming:
        await users.audit(who, "viewed customer data", f"list: {', '.join(naming)}"[:500])


def create_listing_api(parts: ApiParts) -> APIRouter:
    api = APIRouter(prefix="/api")
    lifecycle = Lifecycle(parts.store)

    @api.get("/incidents")
    async def list_incidents(
        request: Request,
        response: Response,
        who: Who,
        status: Annotated[list[Status], Query()] = [],  # noqa: B006 (FastAPI copies it)
        severity: Annotated[list[Severity], Query()] = [],  # noqa: B006
        family: Many = [],  # noqa: B006
        detector: Many = [],  # noqa: B006
        entity: str = "",
        text: str = "",
        hours: str = "",
        since: str = "",
        until: str = "",
        order: Order = Order.NEWEST,
        cursor: str = "",
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Newest first unless `order` says otherwise; repeat a filter to accept several."""
        chosen = filters_of(request)
        try:
            found = await parts.store.query.page(chosen.selection, cursor, limit)
        except BadSelection as error:
            raise HTTPException(400, str(error)) from None
        response.headers["X-Total-Count"] = str(found.total)
        if found.next_cursor:
            response.headers["X-Next-Cursor"] = found.next_cursor
            following = request.url.include_query_params(cursor=found.next_cursor)
            response.headers["Link"] = f'<{following}>; rel="next"'
        incidents = await parts.store.get_many(found.ids)
        await audit_list(parts.users, who, incidents)
        return [incident_view(i, who.role, parts.staff) for i in incidents]

    @api.post("/incidents/bulk")
    async def bulk(who: Who, body: Bulk) -> dict[str, str]:
        """Acknowledge or resolve many incidents; each answers for itself."""
        if who.role not in ACK:
            raise HTTPException(403, f"the {who.role} role may not do this")
        outcomes = await move_many(
            lifecycle, body.ids, body.action, who.name, body.classification, body.note
        )
        verb = "acknowledged" if body.action == "ack" else "resolved"
        for incident_id, outcome in outcomes.items():
            if outcome in (Status.ACKNOWLEDGED, Status.RESOLVED):
                await parts.users.audit(who, verb, incident_id)
        return outcomes

    @api.get("/incidents.{kind}")
    async def export(request: Request, who: Who, kind: Literal["csv", "json"]) -> Response:
        """Every incident the filters select (not one page), for internal control."""
        if who.role not in EXPORTS:
            raise HTTPException(403, f"the {who.role} role may not export incidents")
        chosen = filters_of(request)
        await parts.users.audit(who, "exported incidents", str(request.url.query)[:200])
        rows = selected(parts.store, chosen.selection, who.role, parts.staff)
        return export_response(as_csv(rows) if kind == "csv" else as_json(rows), kind)

    return api


def export_response(body: Any, kind: str) -> StreamingResponse:
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/json"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="incidents-{stamp}.{kind}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
