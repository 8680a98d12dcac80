"""Copies of the window keys a detect process wrote last, so its next batch need not read them.

Under a flood every batch touches the same groups, and reading each group's whole window
back from Redis (up to its cap, 120 members for a scanner) cost more than the batch's own
events. The window script tells, per shard, whether anybody else wrote since this process
did, and per key how many members it holds: when both agree with the copy, it sends no
members and the batch reads the copy. Anything else (another worker's batch, a key
expired or deleted, a Redis that lost its data) makes the script read the key as before.
"""

from __future__ import annotations

import bisect
import itertools
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

# Bytes the copies hold at most (members and their list slots, estimated), the least
# recently written go first. A scanner flood's windows (2,000 addresses at their cap of 120
# members of about 130 bytes) fit.
BYTE_BUDGET = 64 * 2**20
# What a member costs besides its text: the bytes object's header, its score, two slots.
MEMBER_OVERHEAD = 33 + 32 + 16
# And a copy's own: its object, two lists, its place in the ordered dict.
COPY_OVERHEAD = 300


@dataclass(frozen=True, slots=True)
class Copy:
    """Everything a window key holds, ordered as Redis orders it: by score, then member."""

    scores: list[int]
    members: list[bytes]
    # When this process last set the key's TTL (time.monotonic()); 0: not known to have.
    refreshed: float = 0.0

    def written(
        self, own: Own, keep: int, settled: int, cap: int
    ) -> tuple[list[int], list[bytes], int]:
        """The key as the window script leaves it if this copy holds: the batch's members
        added, then the oldest removed (those older than `keep`, then those past `cap` up
        to `settled`); and how many of them it removes. It trims only where it adds."""
        scores, members = joined(self, own)
        if not own.scores:
            return scores, members, 0
        below = bisect.bisect_left(scores, keep)
        drop = below + max(0, bisect.bisect_right(scores, settled) - below - cap)
        return scores[drop:], members[drop:], drop


class Held:
    """The copies of one process, and the mark it left on each shard it wrote."""

    def __init__(self, budget: int = BYTE_BUDGET) -> None:
        self.budget = budget
        self.copies: OrderedDict[str, Copy] = OrderedDict()
        # The keys copied of each shard (by its mark's key), and each key's shard.
        self.shards: dict[str, set[str]] = {}
        self.shard_mark_of: dict[str, str] = {}
        self.size = 0
        self.marks: dict[str, str] = {}
        self.origin = uuid.uuid4().hex
        self.serial = itertools.count()

    def mark(self) -> str:
        """A mark no other call leaves: this process's id and a serial number."""
        return f"{self.origin}:{next(self.serial)}"

    def claim(self, shard_mark: str) -> str:
        return self.marks.get(shard_mark, "")

    def copy(self, key: str) -> Copy | None:
        return self.copies.get(key)

    def keep(self, key: str, copy: Copy | None, shard_mark: str) -> None:
        """Note what the key (of the shard whose mark is `shard_mark`) holds now (None:
        unknown); the oldest copies go past the budget."""
        self.drop(key)
        if copy is None:
            return
        self.copies[key] = copy
        self.size += weight(copy)
        self.shards.setdefault(shard_mark, set()).add(key)
        self.shard_mark_of[key] = shard_mark
        while self.size > self.budget:
            self.drop(next(iter(self.copies)))

    def forget(self, shard_mark: str, but: Sequence[str]) -> None:
        """Drop the copies of a shard's keys, but those of `but`."""
        for key in self.shards.get(shard_mark, set()).difference(but):
            self.drop(key)

    def drop(self, key: str) -> None:
        known = self.copies.pop(key, None)
        if known is None:
            return
        self.size -= weight(known)
        shard_mark = self.shard_mark_of.pop(key)
        keys = self.shards[shard_mark]
        keys.discard(key)
        if not keys:
            del self.shards[shard_mark]

    def left(self, shard_mark: str, mark: str) -> None:
        self.marks[shard_mark] = mark


@dataclass(frozen=True, slots=True)
class Own:
    """A batch's members of one key, ordered as Redis orders them."""

    members: list[bytes]
    scores: list[int]


def weight(copy: Copy) -> int:
    """About how many bytes a copy holds: its members are of one window, alike in length."""
    members = copy.members
    each = (len(members[0]) + len(members[-1])) // 2 + MEMBER_OVERHEAD if members else 0
    return COPY_OVERHEAD + len(members) * each


def read_copy(
    copy: Copy, cap: int, since: int, upper: int, own: Own
) -> tuple[list[int], list[bytes]]:
    """What the window script would have read from the key: members in (since, upper]
    that are not the batch's own, the newest `cap` of them, oldest first."""
    scores, members = copy.scores, copy.members
    low, high = bisect.bisect_right(scores, since), bisect.bisect_right(scores, upper)
    picked_scores, picked = scores[low:high], members[low:high]
    if own.scores and not after_all(picked_scores, picked, own):
        # A replay's, or ties: as the script, leave them out; only from the batch's oldest
        # score on can they be (a bulk window holds thousands before it).
        mine, start = set(own.members), bisect.bisect_left(picked_scores, own.scores[0])
        kept = [i for i in range(start, len(picked)) if picked[i] not in mine]
        picked_scores = picked_scores[:start] + [picked_scores[i] for i in kept]
        picked = picked[:start] + [picked[i] for i in kept]
    if len(picked) > cap:
        picked_scores, picked = picked_scores[-cap:], picked[-cap:]
    return picked_scores, picked


def after_write(
    known: Copy, own: Own, size: int, oldest: tuple[int, bytes], refreshed: float
) -> Copy | None:
    """The key's content after the call, from what was known of it before (all of it, or
    what was read) and the batch's members: the script only trims the oldest, so the key
    holds those from `oldest` on. None when that is not all of its `size` members (some
    were never read): the next batch reads the key again."""
    if not size:
        return Copy([], [], refreshed)
    scores, members = joined(known, own)
    score, member = oldest
    start = bisect.bisect_left(scores, score)
    end = bisect.bisect_right(scores, score, start)
    start = bisect.bisect_left(members, member, start, end)
    if len(scores) - start != size:
        return None
    return Copy(scores[start:], members[start:], refreshed)


def joined(known: Copy, own: Own) -> tuple[list[int], list[bytes]]:
    """A copy with the batch's members added (the script added them, and trimmed nothing)."""
    scores, members = known.scores, known.members
    if not own.scores:
        return scores, members
    if after_all(scores, members, own):
        return scores + own.scores, members + own.members
    return merged(scores, members, own)


def after_all(scores: list[int], members: list[bytes], own: Own) -> bool:
    """Whether the batch's members all come after the key's, as Redis orders them (by score,
    then member): they are then appended. Syslog times are whole seconds, so a batch often
    shares its first second with the members before it; its members still come after them,
    as they start with their place in the file. The batch's own come sorted (the engine's
    order: time, then reference key), and a member fixes its score, so a replayed member is
    equal to one held, never after it."""
    if not scores:
        return True
    first, last = own.scores[0], scores[-1]
    return first > last or (first == last and own.members[0] > members[-1])


def merged(scores: list[int], members: list[bytes], own: Own) -> tuple[list[int], list[bytes]]:
    """Members and a batch's own, once each, ordered by score then member. Only those from
    the batch's oldest score on are sorted: a batch that shares its first second with the
    one before (syslog times are whole seconds) would otherwise sort the whole window. A
    member written twice (a replay) has one score: the pairs are the same."""
    start = bisect.bisect_left(scores, own.scores[0])
    tail = set(zip(scores[start:], members[start:], strict=True))
    tail.update(zip(own.scores, own.members, strict=True))
    ordered = sorted(tail)
    return (
        scores[:start] + [score for score, _ in ordered],
        members[:start] + [member for _, member in ordered],
    )
