"""Follow every file a configured path or glob matches, across rotation, truncation, deletion."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from monitor.settings import SourceSettings, StartAt
from monitor.sources.follower import Checkpoint, Follower, Line, same_file

log = logging.getLogger(__name__)

# Compressed rotations match globs like access.log*; their lines were read before rotation.
SKIPPED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")


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


class Tailer:
    """All files of one source; each path keeps a queue: rotated-away files first, current last."""

    def __init__(self, source: SourceSettings, book: Book, max_line_bytes: int) -> None:
        self.source = source
        self.book = book
        self.max_line_bytes = max_line_bytes
        self.queues: dict[str, list[Follower]] = {}
        self.released: list[Checkpoint] = []

    def followers(self) -> Iterator[Follower]:
        for queue in self.queues.values():
            yield from queue

    def discover(self) -> None:
        """Start following paths that match now; notice rotation, truncation and deletion."""
        for path in sorted(glob.glob(self.source.path)):
            if path.endswith(SKIPPED_SUFFIXES) or not os.path.isfile(path):
                continue
            if path in self.queues:
                self.refresh(path)
            elif not self.already_followed(path):
                self.start(path)

    def already_followed(self, path: str) -> bool:
        """A rotated file (access.log.1) that is still being drained as access.log."""
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return False
        key = f"{status.st_dev}:{status.st_ino}"
        return any(follower.identity.key == key for follower in self.followers())

    def start(self, path: str) -> None:
        queue: list[Follower] = []
        last = self.book.paths.get(path)
        known = self.book.files.get(last) if last else None
        current = Follower.open(path, 0, self.max_line_bytes)
        if current is None:
            return
        if known is not None and same_file(known.identity, current.fd):
            current.offset = min(known.offset, current.size)
        elif last is not None:
            # The path held another file before (rotated, possibly while Vigil was down):
            # drain that one if it is still around, and read this successor whole.
            rotated = find_rotated(path, known, self.max_line_bytes) if known else None
            if rotated is not None:
                queue.append(rotated)
        elif (mine := self.book.files.get(current.identity.key)) is not None and same_file(
            mine.identity, current.fd
        ):
            current.offset = min(mine.offset, current.size)  # a file seen under another name
        elif self.source.start_at is StartAt.END:
            current.offset = current.size
        queue.append(current)
        self.queues[path] = queue
        log.info("following %s from offset %d", path, queue[0].offset)

    def refresh(self, path: str) -> None:
        queue = self.queues[path]
        current = queue[-1]
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return  # renamed away or deleted: drained, then let go, in read()
        if (status.st_dev, status.st_ino) != (current.identity.device, current.identity.inode):
            fresh = Follower.open(path, 0, self.max_line_bytes)
            if fresh is not None:
                queue.append(fresh)
                log.info("%s was rotated; draining the old file", path)
        elif current.check_truncation():
            log.info("%s was truncated; reading it again from the start", path)

    def read(self, budget: int) -> list[Read]:
        """Up to `budget` lines; each path's oldest undrained file first."""
        reads: list[Read] = []
        for path in list(self.queues):
            while budget > 0 and path in self.queues:
                queue = self.queues[path]
                head = queue[0]
                final = len(queue) > 1 or not os.path.exists(path) or head.unlinked
                lines, end = head.read(budget, final=final)
                if lines:
                    reads.append(Read(head, lines, end))
                    budget -= len(lines)
                    break  # the next file of this path waits until these lines are committed
                if not final:
                    break
                self.let_go(path)
        return reads

    def commit(self, read: Read) -> Checkpoint:
        """Redis has the lines of `read`: move the offset and the book past them."""
        read.follower.offset = read.end
        checkpoint = read.follower.checkpoint()
        self.book.files[checkpoint.identity.key] = checkpoint
        self.book.paths[checkpoint.path] = checkpoint.identity.key
        return checkpoint

    def let_go(self, path: str) -> None:
        """The oldest file of `path` is drained and gone from its place: stop following it.

        A deleted file's checkpoint is forgotten; a renamed one's is kept, so that a
        glob matching the new name (access.log.1) does not read it again.
        """
        queue = self.queues[path]
        head = queue.pop(0)
        if head.unlinked:
            self.released.append(head.checkpoint())
            self.book.files.pop(head.identity.key, None)
        head.close()
        if not queue:
            del self.queues[path]


def find_rotated(path: str, known: Checkpoint, max_line_bytes: int) -> Follower | None:
    """The file that used to be `path` (same inode and first bytes), renamed in its folder."""
    folder = os.path.dirname(path) or "."
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.inode() != known.identity.inode or not entry.is_file():
                continue
            follower = Follower.open(entry.path, known.offset, max_line_bytes)
            if follower is not None and same_file(known.identity, follower.fd):
                follower.path = path
                log.info("%s was rotated while Vigil was down; draining %s", path, entry.path)
                return follower
            if follower is not None:
                follower.close()
    return None


def still_on_disk(checkpoint: Checkpoint) -> bool:
    """Whether the file a checkpoint describes is still in its folder, under any name."""
    folder = os.path.dirname(checkpoint.path) or "."
    try:
        with os.scandir(folder) as entries:
            return any(entry.inode() == checkpoint.identity.inode for entry in entries)
    except OSError:
        return False
