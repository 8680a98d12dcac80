"""Window state in Redis, loaded for a whole batch of events in one round trip."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from detectors.base import Window
from detectors.counted import CountedOnly
from detectors.held import Held
from detectors.windows import Series, load_series
from monitor.events import REFERENCE_ATTRIBUTES, SEPARATOR, Event, count_mark, reference_from_key
from monitor.store.keys import Keys

# Members a detector gets back as evidence at most (the newest ones).
EVIDENCE_MEMBERS = 50


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
        high = bisect_left(series.scores, score)
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


class RedisHistory:
    """Answers History queries from what `load` fetched; events of the batch included."""

    def __init__(self, series: dict[tuple[str, str], Series]) -> None:
        self.series = series
        # Per group, the last event asked about and where it stands in the series.
        self.last: dict[str, tuple[Event, str, Series, int]] = {}
        # Per window span, group and attribute, the tally distinct() keeps sliding; those of
        # the batch before are carried over when their run is still there.
        self.tallies: dict[tuple[str, int, str, str], Tally] = {}
        self.carried: Mapping[tuple[str, int, str, str], Tally] = {}

    @classmethod
    async def load(
        cls,
        redis: Redis,
        keys: Keys,
        windows: Mapping[str, Sequence[Window]],
        events: Sequence[Event],
        settled: int | None = None,
        held: Held | None = None,
    ) -> RedisHistory:
        """The batch's windows (see load_series), ready for its events' questions; the
        tallies it carries on are handed to it when it evaluates (engine.Detection.process)."""
        return cls(await load_series(redis, keys, windows, events, settled, held))

    def count(self, window: Window, group: str, at: Event) -> int:
        found, high = self.place(window.name, group, at)
        return high - bisect_right(found.scores, at.epoch_ms - window.span_ms, 0, high)

    def counts(self, windows: Sequence[Window], group: str, at: Event) -> list[int]:
        found, high = self.place(windows[0].name, group, at)
        scores, at_ms = found.scores, at.epoch_ms
        counted = []  # a loop: in Python 3.11 a comprehension is a call, and this runs per line
        for window in windows:
            counted.append(high - bisect_right(scores, at_ms - window.span_ms, 0, high))
        return counted

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
        low = bisect_right(found.scores, at.epoch_ms - window.span_ms, 0, high)
        start, end = found.blank
        if low < end and start < high:
            raise CountedOnly(
                f"{window.name}: members asked below counted_below, where Redis sends only "
                "counts (a detector's declaration is wrong: this event's finding is lost)"
            )
        return found, low, high

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
    high = bisect_right(scores, at_ms)
    if high and scores[high - 1] == at_ms:
        # Members of one millisecond sort by key: a flood logs thousands in one second, so
        # they are searched, not walked back one by one (quadratic in the batch).
        low = bisect_left(scores, at_ms, 0, high)
        high = bisect_right(found.members, at.reference_key().encode(), low, high)
    return high
