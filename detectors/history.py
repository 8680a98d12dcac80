"""Window state in Redis, loaded for a whole batch of events in one round trip."""

from __future__ import annotations

import bisect
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from redis.asyncio import Redis

from detectors.base import Window
from monitor.events import Event, reference_from_key
from monitor.store.keys import Keys

WINDOW_SCRIPT = resources.files("detectors").joinpath("window.lua").read_text()
# Members a detector gets back as evidence at most (the newest ones).
EVIDENCE_MEMBERS = 50
# Window keys are spread over this many hash tags; one script call serves a whole shard.
WINDOW_SHARDS = 64
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

        One script call per shard of window keys, not five commands per group: the
        client's per-command cost would otherwise dominate the whole pipeline.
        """
        by_name = {window.name: window for window in windows}
        touched = touch(by_name.values(), events)
        shards: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for name_group in touched:
            shards[shard_of(name_group[1])].append(name_group)
        script = redis.register_script(WINDOW_SCRIPT)
        async with redis.pipeline(transaction=False) as pipe:
            for shard, groups in shards.items():
                args = [pack(by_name[name], touched[(name, group)]) for name, group in groups]
                window_keys = [keys.window(shard, name, group) for name, group in groups]
                await script(keys=window_keys, args=args, client=pipe)
            replies = await pipe.execute()
        series: dict[tuple[str, str], Series] = {}
        for groups, reply in zip(shards.values(), replies, strict=True):
            for name_group, pairs in zip(groups, reply, strict=True):
                series[name_group] = Series([int(s) for s in pairs[1::2]], list(pairs[0::2]))
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
        return [reference_from_key(m) for m in found.members[max(low, high - newest) : high]]

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


def pack(window: Window, seen: Touch) -> str:
    """One script argument for one group: since, cap, ttl, then score/member pairs."""
    span_ms = int(window.span.total_seconds() * 1000)
    head = [str(seen.earliest - span_ms), str(window.cap), str(span_ms + TTL_SLACK_MS)]
    pairs = [f"{score}\x1e{member}" for member, score in seen.added.items()]
    return "\x1e".join(head + pairs)


def shard_of(group: str) -> int:
    return zlib.crc32(group.encode()) % WINDOW_SHARDS


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
                    references[index] = event.reference_key()
                seen.added[references[index]] = moment
    return touched
