"""Selecting incidents in Redis: filters over the indexes, cursor pages, exact totals, a chart.

Every filter is a group of index names (status:open, family:integrity, entity:203.0.113.7,
word:brute ...); an incident is selected when it is in one name of every group and its first
sighting lies in the time range. One script call answers a page, its total and its chart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from monitor.incidents.indexing import PACKAGE, clean, pack, words
from monitor.store.keys import Keys
from monitor.store.scripts import lua_script

CURSOR = re.compile(r"(\d{1,16}(?:\.\d+)?):([0-9a-f]{1,20}-\d{1,12})")
MAX_PAGE = 500


class Order(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    SEVERITY = "severity"


class BadSelection(ValueError):
    """A filter value the indexes cannot answer (a malformed cursor, a reversed range)."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which incidents, in which order: each tuple is ORed, the fields ANDed."""

    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    detectors: tuple[str, ...] = ()
    entity: str = ""
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    order: Order = Order.NEWEST

    def groups(self) -> list[list[str]]:
        named = [
            ("detector", self.detectors),
            ("family", self.families),
            ("severity", self.severities),
        ]
        found = [[f"{kind}:{clean(v)}" for v in values] for kind, values in named if values]
        if self.statuses and found:
            # The status goes into the first other filter through its per-status twins.
            found[0] = [f"{name}@{clean(s)}" for name in found[0] for s in self.statuses]
        elif self.statuses:
            found.append([f"status:{clean(s)}" for s in self.statuses])
        if self.entity.strip():
            found.append([f"entity:{clean(self.entity.strip())}"])
        found += [[f"word:{word}"] for word in words(self.text)]
        return found


@dataclass(frozen=True, slots=True)
class Chart:
    """Which counts to take: per series (a family) and time bucket, oldest bucket first."""

    start_ms: int
    bucket_ms: int
    buckets: int
    series: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Found:
    """One page of a selection: ids in order, the exact total, where the next page starts."""

    ids: tuple[str, ...]
    total: int
    next_cursor: str = ""
    chart: tuple[tuple[int, ...], ...] = ()
    groups: tuple[tuple[str, int], ...] = field(default=())


class IncidentQuery:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._query = redis.register_script(lua_script(PACKAGE, "query.lua"))

    async def page(
        self, selection: Selection, cursor: str = "", limit: int = 50, chart: Chart | None = None
    ) -> Found:
        """One page after `cursor` ('' for the first), with the chart of the whole selection."""
        after = CURSOR.fullmatch(cursor) if cursor else None
        if cursor and after is None:
            raise BadSelection("the cursor is not one this server gave")
        limit = max(1, min(limit, MAX_PAGE))
        reply = await self.run(selection, str(selection.order), after, limit, chart)
        total, rows, counts = int(reply[0]), reply[1], reply[2]
        pairs = [(rows[i].decode(), rows[i + 1].decode()) for i in range(0, len(rows), 2)]
        more = len(pairs) > limit
        pairs = pairs[:limit]
        next_cursor = f"{pairs[-1][1]}:{pairs[-1][0]}" if more and pairs else ""
        return Found(
            tuple(i for i, _ in pairs), total, next_cursor, self.series(counts, chart, selection)
        )

    async def groups(self, selection: Selection, chart: Chart | None = None) -> Found:
        """How many selected incidents each detector raised, most first."""
        reply = await self.run(selection, "groups", None, 1, chart)
        flat = reply[3]
        groups = sorted(
            ((flat[i].decode(), int(flat[i + 1])) for i in range(0, len(flat), 2)),
            key=lambda group: (-group[1], group[0]),
        )
        return Found((), int(reply[0]), "", self.series(reply[2], chart, selection), tuple(groups))

    async def run(
        self,
        selection: Selection,
        order: str,
        after: re.Match[str] | None,
        limit: int,
        chart: Chart | None,
    ) -> list[Any]:
        low, high = bound(selection.since, "-inf"), bound(selection.until, "+inf")
        if selection.since and selection.until and selection.since > selection.until:
            raise BadSelection("the time range ends before it starts")
        plot = chart or Chart(0, 1, 0, ())
        args = [
            self.keys.incident_index(""),
            order,
            low,
            high,
            after[2] if after else "",
            after[1] if after else "",
            limit,
            plot.start_ms,
            plot.bucket_ms,
            plot.buckets,
            pack([f"family:{name}" for name in plot.series if shown(name, selection)]),
            *(pack(group) for group in selection.groups()),
        ]
        reply: list[Any] = await self._query(keys=[self.keys.incident_index("all")], args=args)
        return reply

    @staticmethod
    def series(
        counts: Sequence[int], chart: Chart | None, selection: Selection
    ) -> tuple[tuple[int, ...], ...]:
        """Counts per series; a family the filter leaves out was not asked for: all zero."""
        if chart is None or not chart.series:
            return ()
        width = chart.buckets
        rows = iter(counts[i : i + width] for i in range(0, len(counts), width))
        return tuple(
            tuple(int(c) for c in next(rows)) if shown(family, selection) else (0,) * width
            for family in chart.series
        )


def shown(family: str, selection: Selection) -> bool:
    """A chart series worth counting: every family, or those the filter names."""
    return not selection.families or family in selection.families


def bound(moment: datetime | None, open_end: str) -> str:
    return str(int(moment.timestamp() * 1000)) if moment else open_end
