"""Window state in Redis, loaded for a whole batch of events in one round trip."""

from __future__ import annotations

import bisect
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from redis.asyncio import Redis

from detectors.base import Window
from monitor.events import REFERENCE_ATTRIBUTES, SEPARATOR, Event, count_mark, reference_from_key
from monitor.store.keys import Keys
from monitor.store.scripts import lua_script, run_many

WINDOW_SCRIPT = lua_script("detectors", "window.lua")
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
    # Where the batch's own members stand, by reference key (when the batch only appended):
    # an event asking about its own group finds itself without a search.
    places: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Tally:
    """One attribute's values over a run of a series' members, kept as the run slides on."""

    series: Series
    index: int  # of the attribute in a member
    low: int = 0
    high: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def slide(self, low: int, high: int) -> None:
        """Count the members in [low, high): only those that entered or left since last time."""
        if low < self.low or high < self.high or low >= self.high:
            self.counts.clear()  # moved back, or past all it held: start again from `low`
            self.low = self.high = low
        members, counts = self.series.members, self.counts
        for member in members[self.high : high]:
            value = self.value(member)
            if value:
                counts[value] += 1
        for member in members[self.low : low]:
            self.drop(member)
        self.low, self.high = low, high

    def drop(self, member: bytes) -> None:
        value, counts = self.value(member), self.counts
        if value:
            counts[value] -= 1
            if not counts[value]:
                del counts[value]

    def rebase(self, series: Series) -> bool:
        """Carry the tally over to the next batch's copy of its series, if that holds the
        same run (older members may be gone, newer ones added); else False: start again.

        Members are only trimmed from the old end, so the run is the same when its newest
        member and its oldest one still read sit the same distance apart.
        """
        old = self.series
        if self.high <= self.low:
            return False
        last, score = old.members[self.high - 1], old.scores[self.high - 1]
        high = bisect.bisect_left(series.scores, score)
        while high < len(series.members) and series.members[high] != last:
            if series.scores[high] != score:
                return False
            high += 1
        if high == len(series.members):
            return False
        shift = self.high - 1 - high  # a member's index in the old series, less its new one
        low = max(self.low - shift, 0)
        if series.members[low] != old.members[low + shift]:
            return False
        for member in old.members[self.low : low + shift]:
            self.drop(member)  # older than the new copy reads
        self.series, self.low, self.high = series, low, high + 1
        return True

    def value(self, member: bytes) -> str:
        parts = member.split(SEPARATOR_BYTES, self.index + 1)
        return parts[self.index].decode() if len(parts) > self.index else ""


@dataclass(slots=True)
class Touch:
    earliest: int
    latest: int
    added: dict[str, int] = field(default_factory=dict)


class RedisHistory:
    """Answers History queries from what `load` fetched; events of the batch included."""

    def __init__(
        self,
        series: dict[tuple[str, str], Series],
        carried: Mapping[tuple[str, int, str, str], Tally] | None = None,
    ) -> None:
        self.series = series
        # Per group, the last event asked about and where it stands in the series.
        self.last: dict[str, tuple[Event, str, Series, int]] = {}
        # Per window span, group and attribute, the tally distinct() keeps sliding; those of
        # the batch before are carried over when their run is still there.
        self.tallies: dict[tuple[str, int, str, str], Tally] = {}
        self.carried = carried or {}

    @classmethod
    async def load(
        cls,
        redis: Redis,
        keys: Keys,
        windows: Mapping[str, Sequence[Window]],
        events: Sequence[Event],
        carried: Mapping[tuple[str, int, str, str], Tally] | None = None,
        settled: int | None = None,
    ) -> RedisHistory:
        """Add the batch's admitted events to their windows, trim, and read them back.
        `events` come in the engine's order: by time, then reference key.

        One script call per shard of window keys, not five commands per group: the
        client's per-command cost would otherwise dominate the whole pipeline.
        """
        by_name = {window.name: window for group in windows.values() for window in group}
        touched = touch(windows, events)
        shards: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for name_group in touched:
            shards[shard_of(name_group[1])].append(name_group)
        script = redis.register_script(WINDOW_SCRIPT)
        calls = [
            (
                [keys.window(shard, name, group) for name, group in groups],
                [pack(by_name[name], touched[(name, group)], settled) for name, group in groups],
            )
            for shard, groups in shards.items()
        ]
        replies = await run_many(redis, script, calls)
        series: dict[tuple[str, str], Series] = {}
        for groups, reply in zip(shards.values(), replies, strict=True):
            for name_group, pairs in zip(groups, reply, strict=True):
                series[name_group] = combine(pairs, touched[name_group].added)
        return cls(series, carried)

    def count(self, window: Window, group: str, at: Event) -> int:
        found, high = self.place(window.name, group, at)
        return high - bisect.bisect_right(found.scores, at.epoch_ms - window.span_ms, 0, high)

    def counts(self, windows: Sequence[Window], group: str, at: Event) -> list[int]:
        found, high = self.place(windows[0].name, group, at)
        scores, at_ms = found.scores, at.epoch_ms
        return [high - bisect.bisect_right(scores, at_ms - w.span_ms, 0, high) for w in windows]

    def members(
        self, window: Window, group: str, at: Event, newest: int = EVIDENCE_MEMBERS
    ) -> Sequence[Mapping[str, Any]]:
        found, low, high = self.bounds(window, group, at)
        return [reference_from_key(m) for m in found.members[max(low, high - newest) : high]]

    def values(
        self,
        window: Window,
        group: str,
        at: Event,
        attribute: str,
        newest: int = EVIDENCE_MEMBERS,
    ) -> Sequence[str]:
        found, low, high = self.bounds(window, group, at)
        index = REFERENCE_ATTRIBUTES.index(attribute) + 3  # after the order, id and time
        picked = []
        for member in found.members[max(low, high - newest) : high]:
            parts = member.split(SEPARATOR_BYTES)
            picked.append(parts[index].decode() if len(parts) > index else "")
        return picked

    def distinct(self, window: Window, group: str, at: Event, attribute: str) -> Mapping[str, int]:
        found, low, high = self.bounds(window, group, at)
        place = (window.name, window.span_ms, group, attribute)
        tally = self.tallies.get(place) or self.carried.get(place)
        if tally is None or not (tally.series is found or tally.rebase(found)):
            index = REFERENCE_ATTRIBUTES.index(attribute) + 3  # after the order, id and time
            tally = Tally(found, index)
        self.tallies[place] = tally
        tally.slide(low, high)
        return tally.counts

    def marks(
        self, window: Window, group: str, at: Event, newest: int = EVIDENCE_MEMBERS
    ) -> Sequence[str]:
        found, low, high = self.bounds(window, group, at)
        start = max(low, high - newest)
        marks = []
        for score, member in zip(found.scores[start:high], found.members[start:high], strict=True):
            order, event_id, _ = member.split(SEPARATOR_BYTES, 2)
            marks.append(count_mark(score, order.decode(), event_id.decode()))
        return marks

    def times(
        self, window: Window, group: str, at: Event, newest: int = EVIDENCE_MEMBERS
    ) -> Sequence[int]:
        found, low, high = self.bounds(window, group, at)
        return found.scores[max(low, high - newest) : high]

    def bounds(self, window: Window, group: str, at: Event) -> tuple[Series, int, int]:
        """The group's series and the index range of its members in (at - span, at]."""
        found, high = self.place(window.name, group, at)
        return found, bisect.bisect_right(found.scores, at.epoch_ms - window.span_ms, 0, high), high

    def place(self, name: str, group: str, at: Event) -> tuple[Series, int]:
        """The group's series and how many of its members come up to `at`, itself included.

        Members of the same millisecond are ordered by their key, as Redis orders them and
        as the engine orders events, so the answer does not depend on batch boundaries.
        """
        last = self.last.get(group)
        if last is not None and last[0] is at and last[1] == name:
            return last[2], last[3]  # several detectors ask about one group at one event
        found = self.series.get((name, group), EMPTY)
        index = found.places.get(at.reference_key())
        high = upto(found, at) if index is None else index + 1
        self.last[group] = (at, name, found, high)
        return found, high


EMPTY = Series()
SEPARATOR_BYTES = SEPARATOR.encode()


def upto(found: Series, at: Event) -> int:
    """How many members of `found` come up to `at` in time, then key order."""
    at_ms, scores = at.epoch_ms, found.scores
    high = bisect.bisect_right(scores, at_ms)
    if high and scores[high - 1] == at_ms:
        # Members of one millisecond sort by key: a flood logs thousands in one second, so
        # they are searched, not walked back one by one (quadratic in the batch).
        low = bisect.bisect_left(scores, at_ms, 0, high)
        high = bisect.bisect_right(found.members, at.reference_key().encode(), low, high)
    return high


def combine(stored: list[Any], added: dict[str, int]) -> Series:
    """What Redis held before this batch, plus the batch's own members, ordered as Redis would.

    Redis returns only what it held before (the batch's members are known here already,
    and it leaves them out if a first run of the batch added them), which keeps the reply
    small; a member replayed after a crash is counted once. The
    script returns scores as integers, in order: the usual batch only appends to them.
    """
    scores, members = stored[1::2], stored[0::2]
    if not added:
        return Series(scores, members)
    # `touch` adds the members in the engine's event order, time then reference key: the
    # order Redis keeps (UTF-8 bytes sort as their text does), so they need no sorting.
    new_scores, new_members = list(added.values()), list(map(str.encode, added))
    if not scores or new_scores[0] > scores[-1]:
        places = dict(zip(added, range(len(scores), len(scores) + len(added)), strict=True))
        scores.extend(new_scores)
        members.extend(new_members)
        return Series(scores, members, places)
    merged = dict(zip(members, scores, strict=True))
    merged.update(zip(new_members, new_scores, strict=True))
    ordered = sorted(merged.items(), key=lambda pair: (pair[1], pair[0]))
    return Series([score for _, score in ordered], [member for member, _ in ordered])


def pack(window: Window, seen: Touch, settled: int | None) -> str:
    """One script argument for one group: since, upper, keep, settled, cap, ttl, oldest
    member, then score/member pairs. Trims stop at `settled`, the earliest event of a batch
    in flight (see window.lua); without one (`vigil scan`), at this batch's latest."""
    span_ms = window.span_ms
    done = seen.latest if settled is None else min(seen.latest, settled)
    head = [
        str(seen.earliest - span_ms),
        str(seen.latest),
        str(done - span_ms),
        str(done),
        str(window.cap),
        str(span_ms + TTL_SLACK_MS),
        str(min(seen.added.values(), default=seen.latest)),
    ]
    pairs = [f"{score}\x1e{member}" for member, score in seen.added.items()]
    return "\x1e".join(head + pairs)


def shard_of(group: str) -> int:
    return zlib.crc32(group.encode()) % WINDOW_SHARDS


def touch(
    windows: Mapping[str, Sequence[Window]], events: Sequence[Event]
) -> dict[tuple[str, str], Touch]:
    """Per (window name, group) the batch touches: its time range and the members to add.

    An event meets only the windows of the detectors that evaluate its action.
    """
    touched: dict[tuple[str, str], Touch] = {}
    plans = {action: plan(group) for action, group in windows.items()}
    for event in events:
        found = plans.get(event.action)
        if found is None:
            continue
        tests, places = found
        admitted = [admits(event) for admits in tests]
        moment, key = event.epoch_ms, None
        for name, group_of, test in places:
            group = group_of(event)
            if group is None:
                continue
            seen = touched.get((name, group))
            if seen is None:
                seen = touched[(name, group)] = Touch(moment, moment)
            elif moment > seen.latest:
                seen.latest = moment
            elif moment < seen.earliest:
                seen.earliest = moment
            if admitted[test]:
                if key is None:
                    key = event.reference_key()
                seen.added[key] = moment
    return touched


Plan = tuple[list[Callable[[Event], bool]], list[tuple[str, Callable[[Event], str | None], int]]]


def plan(windows: Sequence[Window]) -> Plan:
    """The windows an action meets: their distinct admission tests (windows of one kind
    share theirs, login failures by IP and by user: each runs once per event), and per
    window its name, how to find its group, and which test admits to it."""
    tests = list(dict.fromkeys(window.admits for window in windows))
    return tests, [
        (w.name, w.key or attrgetter(w.group_by), tests.index(w.admits)) for w in windows
    ]
