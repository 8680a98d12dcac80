"""Follow every file of a source by its identity, across renames, rotation, truncation and
deletion, with a bounded number of files open."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from monitor.settings import SourceSettings, StartAt
from monitor.sources.copies import origin
from monitor.sources.follower import HEAD_BYTES, Checkpoint, Follower, Line, same_file
from monitor.sources.rotation import Sighting, last_commit, look

log = logging.getLogger(__name__)

# mtime is kept at the kernel's tick, not to the nanosecond: a file written just after a
# commit may show an mtime a little before it.
MTIME_SLACK = 1.0


@dataclass(slots=True)
class Read:
    """Lines read from one file but not yet committed, and the offset committing them sets."""

    follower: Follower
    lines: list[Line]
    end: int


@dataclass(slots=True)
class Book:
    """The checkpoints in Redis: by file identity, and which identity each path last had."""

    files: dict[str, Checkpoint] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_redis(cls, raw: Mapping[bytes, bytes]) -> Book:
        book = cls()
        for name, value in raw.items():
            kind, _, rest = name.decode().partition(":")
            if kind == "file":
                book.files[rest] = Checkpoint.from_json(value)
            elif kind == "path":
                book.paths[rest] = value.decode()
        return book


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a rotated file is kept after its last write, and how many files stay open."""

    max_line_bytes: int
    close_inactive: float = 5.0
    max_open: int = 1024


class Tailer:
    """All files of one source, by identity; rotated-away files are read before current ones."""

    def __init__(
        self,
        source: SourceSettings,
        book: Book,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.book = book
        self.limits = limits
        self.clock = clock
        self.followers: dict[str, Follower] = {}
        self.current: set[str] = set()  # the identities the path or glob matched at the last look
        self.passed: dict[str, Checkpoint] = {}  # files seen but not open: where they stood
        self.released: list[Checkpoint] = []
        self.truncated: deque[Checkpoint] = deque(maxlen=16)  # files just before truncation
        self.looked = False
        self.since = last_commit(book.files.values(), source.path)
        self.crowded = False  # the bound was met once (and said so)
        self.full = False  # every open file has lines to read: the others wait a step

    def discover(self) -> None:
        """Open what appeared or grew; notice rotation (a file no longer matched) and truncation."""
        now = self.clock()
        seen = look(self.source.path)
        self.full = False
        for key, sighting in seen.items():
            if (follower := self.followers.get(key)) is not None:
                self.observe(follower, sighting, now)  # truncations first: copies match them
        fresh = [sighting for key, sighting in seen.items() if key not in self.followers]
        fresh.sort(key=lambda s: s.key not in self.book.files and s.key not in self.passed)
        for sighting in fresh:
            if (follower := self.begin(sighting)) is not None:
                self.observe(follower, sighting, now)
        for key, follower in self.followers.items():
            if key in self.current and not (key in seen and seen[key].current):
                follower.active = now  # rotated away just now: close_inactive counts from here
                gone = "rotated" if key in seen else "moved or deleted"
                log.info("%s was %s; reading the old file until it is quiet", follower.path, gone)
        self.current = {key for key, sighting in seen.items() if sighting.current}
        self.passed = {key: mark for key, mark in self.passed.items() if key in seen}
        self.looked = True

    def observe(self, follower: Follower, sighting: Sighting, now: float) -> None:
        follower.written, follower.name = sighting.mtime, sighting.name
        if sighting.size != follower.seen_size:
            follower.seen_size, follower.active = sighting.size, now
        if not sighting.current:
            return
        identity, offset = follower.identity, follower.offset
        if follower.check_truncation():
            log.info("%s was truncated; reading it again from the start", sighting.name)
            self.truncated.append(Checkpoint(follower.path, identity, offset))
            self.settle_copies(follower, offset)

    def begin(self, sighting: Sighting) -> Follower | None:
        """Start following a file not open now: from its checkpoint, or as a file new to us."""
        prior = self.book.files.get(sighting.key) or self.passed.get(sighting.key)
        if prior is not None and sighting.size == prior.offset:
            return None  # read to its end and unchanged: opened again when it grows
        if not self.make_room():
            return None
        follower = Follower.open(sighting.name, 0, self.limits.max_line_bytes)
        if follower is None:
            return None
        offset = self.start_of(sighting, follower, prior)
        if offset is None:  # an old rotation, there before this source was ever read
            self.passed[sighting.key] = follower.checkpoint(sighting.size)
            follower.close()
            return None
        follower.offset = follower.start = offset
        self.followers[sighting.key] = follower
        log.info("following %s from offset %d", sighting.name, offset)
        return follower

    def start_of(
        self, sighting: Sighting, follower: Follower, prior: Checkpoint | None
    ) -> int | None:
        """Where to read a file from: its checkpoint, where the file it is a copy of had got
        to, or as a file new to us; None for not at all."""
        if prior is not None:
            if same_file(prior.identity, follower.fd):
                follower.path = prior.path
                return min(prior.offset, sighting.size)
            self.truncated.append(prior)  # its inode holds new bytes: truncated while away
        copied = origin(follower.fd, self.candidates())
        if copied is None:
            return self.first_offset(sighting)
        twin = self.followers.get(copied.identity.key)
        follower.twin = twin if twin is not None and twin.identity == copied.identity else None
        log.info("%s is a copy of %s (copytruncate)", sighting.name, copied.path)
        return min(copied.offset, sighting.size)

    def candidates(self) -> Iterator[Checkpoint]:
        """What a new file may be a copy of: a file just truncated, or one open now whose
        first KiB it repeats (files that merely start with the same short line are not)."""
        yield from self.truncated
        for follower in self.followers.values():
            if follower.identity.head_len == HEAD_BYTES:
                yield follower.checkpoint()

    def settle_copies(self, original: Follower, offset: int) -> None:
        """The original was truncated or let go at `offset`: its copies go on from there."""
        for follower in self.followers.values():
            if follower.twin is original:
                follower.offset = follower.start = max(follower.offset, offset)
                follower.twin = None

    def first_offset(self, sighting: Sighting) -> int | None:
        """Where a file without a checkpoint starts; None for one not to read at all."""
        arrived = self.looked or (
            self.since is not None and sighting.mtime > self.since - MTIME_SLACK
        )
        if arrived:
            return 0  # it appeared since the last look (a rotation successor, a new file)
        if not sighting.current:
            return None
        return sighting.size if self.source.start_at is StartAt.END else 0

    def make_room(self) -> bool:
        """Below the open-file bound, or a file read to its end closed to make room."""
        if len(self.followers) < self.limits.max_open:
            return True
        if self.full:
            return False
        if not self.crowded:
            self.crowded = True
            log.warning(
                "%s matches more files than ingest.max_open_files lets one source keep open "
                "(%d): the least recently active are closed and opened again when they grow",
                self.source.path,
                self.limits.max_open,
            )
        idle = [f for f in self.followers.values() if f.offset >= f.seen_size]
        if not idle:
            self.full = True
            return False
        self.park(min(idle, key=lambda f: f.active))
        return True

    def park(self, follower: Follower) -> None:
        """Close a file read to its end; its checkpoint finds it again under any name."""
        self.settle_copies(follower, follower.offset)
        del self.followers[follower.identity.key]
        self.passed[follower.identity.key] = follower.checkpoint()
        follower.close()

    def read(self, budget: int) -> list[Read]:
        """Up to `budget` lines: rotated-away files first, each set in the order it was written."""
        reads: list[Read] = []
        now = self.clock()
        for follower in self.in_order():
            if budget <= 0:
                break
            if follower.twin is not None:
                continue  # a copy waits until its original is truncated or let go
            unlinked = follower.unlinked
            rotated = follower.identity.key not in self.current
            final = unlinked or (rotated and now - follower.active >= self.limits.close_inactive)
            lines, end = follower.read(budget, final=final)
            if lines:
                reads.append(Read(follower, lines, end))
                budget -= len(lines)
            elif final:
                self.let_go(follower)
        return reads

    def in_order(self) -> list[Follower]:
        """Current files last; the others by their last write, then auth.log.2 before .1."""
        by_name = sorted(self.followers.values(), key=lambda f: f.name, reverse=True)
        return sorted(by_name, key=lambda f: (f.identity.key in self.current, f.written))

    def commit(self, read: Read, at: float = 0.0) -> Checkpoint:
        """Redis has the lines of `read`: move the offset and the book past them."""
        read.follower.offset = read.end
        checkpoint = read.follower.checkpoint(at=at)
        self.book.files[checkpoint.identity.key] = checkpoint
        self.book.paths[checkpoint.path] = checkpoint.identity.key
        return checkpoint

    def let_go(self, follower: Follower) -> None:
        """A drained file that was deleted, or rotated away and quiet since: stop following it.

        A deleted file's checkpoint is forgotten; a renamed one's is kept, so that a glob
        matching its new name (access.log.1) does not read it again.
        """
        if follower.unlinked:
            self.settle_copies(follower, follower.offset)
            del self.followers[follower.identity.key]
            self.released.append(follower.checkpoint())
            self.book.files.pop(follower.identity.key, None)
            follower.close()
        else:
            self.park(follower)

    def rewind(self, book: Book) -> None:
        """Redis lost checkpoints it had acknowledged: go back to the ones it has."""
        self.book = book
        for key, follower in self.followers.items():
            kept = book.files.get(key)
            follower.offset = min(kept.offset if kept else follower.start, follower.size)
        for key, mark in list(self.passed.items()):
            kept = book.files.get(key)
            if kept is not None and kept.offset < mark.offset:
                self.passed[key] = kept
