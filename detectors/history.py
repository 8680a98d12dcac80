"""Window state in Redis, loaded for a whole batch of events in one round trip."""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from detectors.base import Window
from monitor.events import Event
from monitor.store.keys import Keys

# Windows outlive their span by this much in Redis: late events still find their company.
TTL_SLACK_MS = 3_600_000


@dataclass(slots=True)
class Series:
    """One group's window members, ordered by event time."""

    scores: list[int] = field(default_factory=list)
    members: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class Touch:
    earliest: int
    latest: int
    added: dict[str, int] = field(default_factory=dict)


class RedisHistory:
    """Answers History queries from what `load` fetched; events of the batch included."""

    def __init__(self, series: dict[tuple[str, str], Series]) -> None:
        self.series = series

    @classmethod
    async def load(
        cls, redis: Redis, keys: Keys, windows: Iterable[Window], events: Sequence[Event]
    ) -> RedisHistory:
        """Add the batch's admitted events to their windows, trim, and read the windows back."""
        by_name = {window.name: window for window in windows}
        touched = touch(by_name.values(), events)
        async with redis.pipeline(transaction=False) as pipe:
            for (name, group), seen in touched.items():
                window = by_name[name]
                key = keys.window(name, group)
                span_ms = int(window.span.total_seconds() * 1000)
                if seen.added:
                    pipe.zadd(key, seen.added)
                    pipe.zremrangebyscore(key, "-inf", f"({seen.earliest - span_ms}")
                    pipe.zremrangebyrank(key, 0, -window.cap - 1)
                    pipe.pexpire(key, span_ms + TTL_SLACK_MS)
                pipe.zrangebyscore(key, f"({seen.earliest - span_ms}", seen.latest, withscores=True)
            replies = await pipe.execute()
        series: dict[tuple[str, str], Series] = {}
        position = 0
        for name_group, seen in touched.items():
            position += 4 if seen.added else 0
            pairs = replies[position]
            position += 1
            series[name_group] = Series([int(s) for _, s in pairs], [m for m, _ in pairs])
        return cls(series)

    def count(self, window: Window, group: str, at: datetime) -> int:
        low, high = self.bounds(window, group, at)
        return high - low

    def members(self, window: Window, group: str, at: datetime) -> Sequence[Mapping[str, Any]]:
        low, high = self.bounds(window, group, at)
        found = self.series.get((window.name, group))
        return [] if found is None else [json.loads(m) for m in found.members[low:high]]

    def bounds(self, window: Window, group: str, at: datetime) -> tuple[int, int]:
        """Index range of members with time in (at - span, at]."""
        found = self.series.get((window.name, group))
        if found is None:
            return 0, 0
        at_ms = int(at.timestamp() * 1000)
        span_ms = int(window.span.total_seconds() * 1000)
        return (
            bisect.bisect_right(found.scores, at_ms - span_ms),
            bisect.bisect_right(found.scores, at_ms),
        )


def touch(windows: Iterable[Window], events: Sequence[Event]) -> dict[tuple[str, str], Touch]:
    """Per (window name, group) the batch touches: its time range and the members to add."""
    touched: dict[tuple[str, str], Touch] = {}
    unique = tuple(windows)
    references: dict[int, str] = defaultdict(str)
    for index, event in enumerate(events):
        moment = event.epoch_ms
        for window in unique:
            group = getattr(event, window.group_by)
            if group is None:
                continue
            seen = touched.get((window.name, group))
            if seen is None:
                seen = touched[(window.name, group)] = Touch(moment, moment)
            else:
                seen.earliest = min(seen.earliest, moment)
                seen.latest = max(seen.latest, moment)
            if window.admits(event):
                if not references[index]:
                    references[index] = json.dumps(event.reference(), separators=(",", ":"))
                seen.added[references[index]] = moment
    return touched
