"""A batch's window groups in Redis: its members added, old ones trimmed, the rest read back."""

from __future__ import annotations

import bisect
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any

from redis.asyncio import Redis

from detectors.base import Window
from detectors.counted import COUNTED, Counted, counted_args, with_blanks
from detectors.held import Copy, Held, Own, after_all, after_write, merged, read_copy
from monitor.events import Event
from monitor.store.keys import Keys
from monitor.store.scripts import lua_script, run_many

WINDOW_SCRIPT = lua_script("detectors", "window.lua", packed=False)
# A key's reply holds what the script read at this index, unless the copy stood in for it.
FRESH = 3
# Window keys are spread over this many hash tags; one script call serves a whole shard.
WINDOW_SHARDS = 64
# Windows outlive their span by this much in Redis: late events still find their company.
TTL_SLACK_MS = 3_600_000
# Keys holding fewer members (but some) are not copied: they cost less to read than to copy
# and keep. Windows not marked `copied` never are (a website's thousands of visitors).
SMALLEST_COPIED = 8
# Tells the script a key is never copied: it reads, writes and replies as before copies.
NOT_COPIED = -2
# A process sets the TTL of the keys it holds again this often (far inside the slack).
REFRESH_SECONDS = 600.0


@dataclass(slots=True)
class Series:
    """One group's window members, ordered by event time."""

    scores: list[int] = field(default_factory=list)
    members: list[bytes] = field(default_factory=list)
    # Where the batch's own members stand, by reference key (when the batch only appended):
    # an event asking about its own group finds itself without a search.
    places: dict[str, int] = field(default_factory=dict)
    # Where the members a counted window left out stand (detectors/counted.py).
    blank: tuple[int, int] = (0, 0)


@dataclass(slots=True)
class Touch:
    earliest: int
    latest: int
    # The batch's members as Redis holds them, shared by every group: an event meeting four
    # windows is encoded once, not once per window (tens of megabytes on web traffic).
    encoded: dict[str, bytes]
    added: dict[str, int] = field(default_factory=dict)


class Shard:
    """One script call: a shard's keys, the copies held of them, the marks claimed and left."""

    def __init__(
        self,
        keys: Keys,
        held: Held,
        shard: int,
        groups: list[tuple[str, str]],
        windows: list[Window],
    ) -> None:
        self.groups, self.windows = groups, windows
        self.keys = [keys.window(shard, name, group) for name, group in groups]
        # Taken now: a copy replaced while the call is out is not the one the script checks.
        self.copies = {
            index: held.copy(key)
            for index, (key, window) in enumerate(zip(self.keys, windows, strict=True))
            if window.copied
        }
        self.mark_key = keys.window_mark(shard)
        self.claim, self.mark = held.claim(self.mark_key), held.mark()
        # Per copied group: the batch's members, whether the call sets the TTL again, and
        # what the key holds after it if the copy holds.
        self.owns: dict[int, Own] = {}
        self.refresh: dict[int, bool] = {}
        # Per counted group: the oldest score of the newer members the script reads whole.
        self.recent: dict[int, int] = {}
        self.written: dict[int, tuple[list[int], list[bytes]]] = {}

    def call(
        self, touched: Mapping[tuple[str, str], Touch], settled: int | None, now: float
    ) -> tuple[list[str], list[str | int]]:
        args: list[str | int] = [self.claim, self.mark]
        for index, (group, window) in enumerate(zip(self.groups, self.windows, strict=True)):
            seen = touched[group]
            done = seen.latest if settled is None else min(seen.latest, settled)
            if not window.copied:  # a website's thousands of visitors: not copied
                counted = counted_args(window, seen.earliest, seen.latest)
                if counted is None:
                    args += pack(window, seen, done, NOT_COPIED, True, -1)
                else:
                    self.recent[index] = counted.recent
                    args += pack(window, seen, done, COUNTED, True, -1, counted)
                continue
            copy, own = self.copies[index], own_of(seen)
            drop, count = -1, -1 if copy is None else len(copy.members)
            if copy is not None:
                scores, members, drop = copy.written(own, done - window.span_ms, done, window.cap)
                self.written[index] = (scores, members)
            refresh = copy is None or now - copy.refreshed >= REFRESH_SECONDS
            self.owns[index] = own
            self.refresh[index] = refresh
            args += pack(window, seen, done, count, refresh, drop)
        return [self.mark_key, *self.keys], args

    def read(
        self,
        reply: list[Any],
        touched: Mapping[tuple[str, str], Touch],
        held: Held,
        now: float,
        series: dict[tuple[str, str], Series],
    ) -> None:
        """Each key's series for the batch into `series`; the copies kept up to date."""
        *answers, own_shard = reply
        if not own_shard:
            # Another process wrote the shard since this one did: its copies of keys not in
            # this call may be stale, and the mark it leaves now would vouch for them.
            held.forget(self.mark_key, self.keys)
        for index, (group, answer) in enumerate(zip(self.groups, answers, strict=True)):
            if index in self.copies:
                series[group] = self.read_back(index, answer, touched[group], held, now)
            elif index in self.recent:
                scores, members, blank = with_blanks(answer, self.recent[index])
                series[group] = combine(scores, members, touched[group])
                series[group].blank = blank
            else:  # the script replied with what it read, nothing else
                series[group] = combine(answer[1::2], answer[0::2], touched[group])
        # Last: should a key's reading fail, the mark stays unknown and the next call reads
        # every key again, rather than trust copies this call left behind.
        held.left(self.mark_key, self.mark)

    def read_back(
        self, index: int, answer: list[Any], seen: Touch, held: Held, now: float
    ) -> Series:
        """A copied key's series for the batch, from what the script read or the copy it
        stood in for; the copy replaced by what the key holds now."""
        copy, own, window = self.copies[index], self.owns[index], self.windows[index]
        # The script sets the TTL where it adds members, unless the copy held and it was told
        # not to; when the copy did not hold, no TTL is known but the one it sets.
        refreshed = now if own.scores and (self.refresh[index] or answer) else 0.0
        if not refreshed and not answer and copy is not None:
            refreshed = copy.refreshed
        after: Copy | None = None
        if answer:  # no copy, or it did not hold: the script read the key
            scores, members = answer[FRESH][1::2], answer[FRESH][0::2]
            if worth_copying(answer[0]):
                oldest = (int(answer[2]), bytes(answer[1]))
                known = Copy(scores, members)
                after = after_write(known, own, int(answer[0]), oldest, refreshed)
        else:
            assert copy is not None  # the script answers nothing only where the copy held
            since, upper = seen.earliest - window.span_ms, seen.latest
            scores, members = read_copy(copy, window.cap, since, upper, own)
            written = self.written[index]
            if worth_copying(len(written[1])):
                after = Copy(*written, refreshed)
        held.keep(self.keys[index], after, self.mark_key)
        return combine(scores, members, seen, own)


async def load_series(
    redis: Redis,
    keys: Keys,
    windows: Mapping[str, Sequence[Window]],
    events: Sequence[Event],
    settled: int | None = None,
    held: Held | None = None,
) -> dict[tuple[str, str], Series]:
    """Add the batch's admitted events to their windows, trim, and read them back.
    `events` come in the engine's order: by time, then reference key. With `held`, the
    copies of keys this process wrote last stand in for reading them (detectors/held.py).

    One script call per shard of window keys, not five commands per group: the
    client's per-command cost would otherwise dominate the whole pipeline.
    """
    held = held or Held()
    by_name = {window.name: window for group in windows.values() for window in group}
    touched = touch(windows, events)
    shards: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for name_group in touched:
        shards[shard_of(name_group[1])].append(name_group)
    script = redis.register_script(WINDOW_SCRIPT)
    plans = [
        Shard(keys, held, shard, groups, [by_name[name] for name, _ in groups])
        for shard, groups in shards.items()
    ]
    now = time.monotonic()
    # Built as they go out, a pipeline at a time (monitor.store.scripts.run_many).
    calls = (plan.call(touched, settled, now) for plan in plans)
    replies = await run_many(redis, script, calls)
    series: dict[tuple[str, str], Series] = {}
    for plan, reply in zip(plans, replies, strict=True):
        plan.read(reply, touched, held, now, series)
    return series


def own_of(seen: Touch) -> Own:
    """The batch's members of one group, as the window script is given them."""
    encoded, added = seen.encoded, seen.added
    return Own([encoded[key] for key in added], list(added.values()))


def worth_copying(size: int) -> bool:
    """An empty key (most success windows under a flood) or one of SMALLEST_COPIED or more."""
    return size == 0 or size >= SMALLEST_COPIED


def combine(scores: list[int], members: list[bytes], seen: Touch, own: Own | None = None) -> Series:
    """What Redis held before this batch, plus the batch's own members (`seen.added`, and
    `own` if already built), ordered as Redis would.

    Redis returns only what it held before (the batch's members are known here already,
    and it leaves them out if a first run of the batch added them), which keeps the reply
    small; a member replayed after a crash is counted once. The
    script returns scores as integers, in order: the usual batch only appends to them.
    """
    added = seen.added
    if not added:
        return Series(scores, members)
    own = own or own_of(seen)
    # `touch` adds the members in the engine's event order, time then reference key: the
    # order Redis keeps (UTF-8 bytes sort as their text does), so they need no sorting.
    if after_all(scores, members, own):
        places = dict(zip(added, range(len(scores), len(scores) + len(added)), strict=True))
        return Series(scores + own.scores, members + own.members, places)
    scores, members = merged(scores, members, own)
    # The batch's own members stand from its oldest score on: only those places are looked up.
    start = bisect.bisect_left(scores, own.scores[0])
    at = {member: start + index for index, member in enumerate(members[start:])}
    places = {key: at[member] for key, member in zip(added, own.members, strict=True)}
    return Series(scores, members, places)


def pack(
    window: Window,
    seen: Touch,
    done: int,
    count: int,
    refresh: bool,
    drop: int,
    counted: Counted | None = None,
) -> list[str | int]:
    """The script's arguments for one group: since, upper, keep, settled (`done`: trims stop
    at the earliest event of a batch in flight, see window.lua, or at this batch's latest),
    cap, ttl (negative: not to be set again if the copy holds), oldest member, how many
    members the copy holds (-1: none; NOT_COPIED: a window never copied; COUNTED: nor
    copied, and counted), how many of the oldest to drop if it holds, how many members the
    batch adds, a counted key's four arguments (detectors/counted.py), then score and
    member of each. Arguments of their own, not one string the script splits: the client packs them
    in C (monitor.store.connection), and splitting was a fifth of the script's own time."""
    span_ms = window.span_ms
    ttl = span_ms + TTL_SLACK_MS
    added = seen.added
    args: list[str | int] = [
        seen.earliest - span_ms,
        seen.latest,
        done - span_ms,
        done,
        window.cap,
        ttl if refresh else -ttl,
        next(iter(added.values()), seen.latest),
        count,
        drop,
        len(added),
    ]
    if counted is not None:
        args += counted
    args += chain.from_iterable(zip(added.values(), added, strict=True))
    return args


def shard_of(group: str) -> int:
    return zlib.crc32(group.encode()) % WINDOW_SHARDS


def touch(
    windows: Mapping[str, Sequence[Window]], events: Sequence[Event]
) -> dict[tuple[str, str], Touch]:
    """Per (window name, group) the batch touches: its time range and the members to add.

    An event meets only the windows of the detectors that evaluate its action.
    """
    touched: dict[tuple[str, str], Touch] = {}
    encoded: dict[str, bytes] = {}
    plans = {action: plan(group) for action, group in windows.items()}
    for event in events:
        found = plans.get(event.action)
        if found is None:
            continue
        tests, places = found
        admitted = [admits(event) for admits in tests]
        moment, key = event.epoch_ms, None
        for name, group_of, test, only_admitted in places:
            if only_admitted and not admitted[test]:
                continue  # nobody asks this window about this event
            group = group_of(event)
            if group is None:
                continue
            seen = touched.get((name, group))
            if seen is None:
                seen = touched[(name, group)] = Touch(moment, moment, encoded)
            elif moment > seen.latest:
                seen.latest = moment
            elif moment < seen.earliest:
                seen.earliest = moment
            if admitted[test]:
                if key is None:
                    key = event.reference_key()
                    encoded[key] = key.encode()
                seen.added[key] = moment
    return touched


Place = tuple[str, Callable[[Event], str | None], int, bool]
Plan = tuple[list[Callable[[Event], bool]], list[Place]]


def plan(windows: Sequence[Window]) -> Plan:
    """The windows an action meets: their distinct admission tests (windows of one kind
    share theirs, login failures by IP and by user: each runs once per event), and per
    window its name, how to find its group, which test admits to it, and whether only the
    events it admits touch it."""
    tests = list(dict.fromkeys(window.admits for window in windows))
    return tests, [
        (w.name, w.key or attrgetter(w.group_by), tests.index(w.admits), w.asked_when_admitted)
        for w in windows
    ]
