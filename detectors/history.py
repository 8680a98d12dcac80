"""Window state in Redis, loaded for a whole batch of events in one round trip."""

from __future__ import annotations

import bisect
import json
from importlib import resources
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from detectors.base import Window
from monitor.events import Event
from monitor.store.keys import Keys

WINDOW_SCRIPT = resources.files("detectors").joinpath("window.lua").read_text()
# Members a detector gets back as evidence at most (the newest ones).
EVIDENCE_MEMBERS = 50
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
        """Add the batch's admitted events to their windows, trim, and read them back.

        One script call per touched group (not five commands): the round trip and the
        client's per-command cost dominate otherwise.
        """
        by_name = {window.name: window for window in windows}
        touched = touch(by_name.values(), events)
        script = redis.register_script(WINDOW_SCRIPT)
        async with redis.pipeline(transaction=False) as pipe:
            for (name, group), seen in touched.items():
                window = by_name[name]
                span_ms = int(window.span.total_seconds() * 1000)
                args: list[str | int] = [
                    seen.earliest - span_ms,
                    window.cap,
                    span_ms + TTL_SLACK_MS,
                ]
                for member, score in seen.added.items():
                    args += [score, member]
                await script(keys=[keys.window(name, group)], args=args, client=pipe)
            replies = await pipe.execute()
        series: dict[tuple[str, str], Series] = {}
        for name_group, reply in zip(touched, replies, strict=True):
            series[name_group] = Series([int(float(s)) for s in reply[1::2]], list(reply[0::2]))
        return cls(series)

    def count(self, window: Window, group: str, at: datetime) -> int:
        low, high = self.bounds(window, group, at)
        return high - low

    def members(
        self, window: Window, group: str, at: datetime, newest: int = EVIDENCE_MEMBERS
    ) -> Sequence[Mapping[str, Any]]:
        low, high = self.bounds(window, group, at)
        found = self.series.get((window.name, group))
        if found is None:
            return []
        return [json.loads(m) for m in found.members[max(low, high - newest) : high]]

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
