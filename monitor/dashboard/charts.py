"""The incidents-over-time chart: stacked bars per day and family, drawn as SVG on the server.

The counts come from Redis for the whole selection (monitor.incidents.query), not from the
rows a page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.findings import FAMILIES
from monitor.incidents.query import Chart

COLOURS = {
    "account_takeover": "#cf222e",
    "impersonation": "#8250df",
    "bulk_access": "#bf8700",
    "integrity": "#0969da",
    "intrusion": "#57606a",
}
DAYS, WIDTH, HEIGHT = 14, 620, 100
DAY_MS = 86_400_000


def chart_request(now: datetime) -> Chart:
    """The last DAYS days, today included, per family."""
    first = datetime.combine((now - timedelta(days=DAYS - 1)).date(), datetime.min.time(), UTC)
    return Chart(int(first.timestamp() * 1000), DAY_MS, DAYS, FAMILIES)


def chart(counts: Sequence[Sequence[int]], request: Chart) -> dict[str, Any]:
    first = datetime.fromtimestamp(request.start_ms / 1000, UTC).date()
    totals = [sum(series[day] for series in counts) for day in range(DAYS)] if counts else []
    scale = HEIGHT / max(max(totals, default=0), 1)
    slot = WIDTH // DAYS
    bars: list[dict[str, Any]] = []
    for day in range(DAYS if counts else 0):
        stacked = 0.0
        for family, series in zip(request.series, counts, strict=True):
            if not series[day]:
                continue
            height = series[day] * scale
            stacked += height
            bars.append(
                {
                    "x": day * slot + 2,
                    "y": HEIGHT - stacked,
                    "width": slot - 4,
                    "height": round(height, 1),
                    "colour": COLOURS.get(family, "#8c959f"),
                    "label": f"{first + timedelta(days=day)}: {series[day]} {family}",
                }
            )
    ticks = [
        {"x": day * slot + 2, "label": f"{first + timedelta(days=day):%d/%m}"}
        for day in range(0, DAYS, 2)
    ]
    return {"bars": bars, "ticks": ticks, "legend": list(COLOURS.items())}
