"""The current view as a file for internal control: every selected incident, CSV or JSON.

Streamed page by page (500 at a time), so an export of 100,000 incidents never sits in memory.
Cells are attacker-written log text: a cell a spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from monitor.dashboard.users import Role
from monitor.dashboard.views import incident_view
from monitor.incidents import IncidentStore
from monitor.incidents.query import MAX_PAGE, Selection

COLUMNS: tuple[str, ...] = ("id", "severity", "status", "family", "detector", "title", "entities")
COLUMNS += ("first_seen", "last_seen", "event_count", "affected_customers_count")
COLUMNS += ("affected_customers", "owner", "classification")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


async def selected(
    store: IncidentStore, selection: Selection, role: Role, staff: frozenset[str]
) -> AsyncIterator[dict[str, Any]]:
    """Every incident of the selection, in its order, as the role may see it."""
    cursor = ""
    while True:
        found = await store.query.page(selection, cursor, MAX_PAGE)
        for incident in await store.get_many(found.ids):
            yield incident_view(incident, role, staff)
        cursor = found.next_cursor
        if not cursor:
            return


def cell(value: Any) -> str:
    if isinstance(value, dict):
        text = "; ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list):
        text = "; ".join(str(item) for item in value)
    else:
        text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


async def as_csv(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    async for row in rows:
        writer.writerow([cell(row.get(column)) for column in COLUMNS])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def as_json(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    """One JSON array, written an incident at a time."""
    yield "["
    first = True
    async for row in rows:
        yield ("" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]\n"
