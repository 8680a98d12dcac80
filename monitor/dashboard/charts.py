"""The incidents-over-time chart: stacked bars per day and family, drawn as SVG on the server."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

COLOURS = {
    "account_takeover": "#cf222e",
    "impersonation": "#8250df",
    "bulk_access": "#bf8700",
    "integrity": "#0969da",
    "intrusion": "#57606a",
}
DAYS, WIDTH, HEIGHT = 14, 620, 100


def chart(incidents: Sequence[dict[str, Any]], now: datetime) -> dict[str, Any]:
    first = (now - timedelta(days=DAYS - 1)).date()
    counts: Counter[tuple[int, str]] = Counter()
    for incident in incidents:
        day = (
            datetime.fromisoformat(incident["first_seen"].replace("Z", "+00:00")).date() - first
        ).days
        if 0 <= day < DAYS:
            counts[(day, incident["family"])] += 1
    totals = Counter({day: 0 for day in range(DAYS)})
    for (day, _), count in counts.items():
        totals[day] += count
    scale = HEIGHT / max(max(totals.values()), 1)
    slot = WIDTH // DAYS
    bars: list[dict[str, Any]] = []
    stacked: dict[int, float] = {}
    for (day, family), count in sorted(counts.items()):
        height = count * scale
        stacked[day] = stacked.get(day, 0.0) + height
        bars.append(
            {
                "x": day * slot + 2,
                "y": HEIGHT - stacked[day],
                "width": slot - 4,
                "height": round(height, 1),
                "colour": COLOURS.get(family, "#8c959f"),
                "label": f"{first + timedelta(days=day)}: {count} {family}",
            }
        )
    ticks = [
        {"x": day * slot + 2, "label": f"{first + timedelta(days=day):%d/%m}"}
        for day in range(0, DAYS, 2)
    ]
    return {"bars": bars, "ticks": ticks, "legend": list(COLOURS.items())}
