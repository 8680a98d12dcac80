"""One open file read line by line from a committed offset; its identity survives renames."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import NamedTuple

HEAD_BYTES = 1024
ONE = 1
READ_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Identity:
    """Device and inode, plus a hash of the first bytes so a reused inode is not mistaken."""

    device: int
    inode: int
    head: str
    head_len: int

    @property
    def key(self) -> str:
        return f"{self.device}:{self.inode}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far one file has been read: every line before `offset` is in Redis."""

    path: str
    identity: Identity
    offset: int
    at: float = 0.0  # when it was committed (epoch seconds): files newer than this are new
    real: str = ""  # where the file was when first followed, symlinks resolved

    def to_json(self) -> str:
        i = self.identity
        return json.dumps(
            {
                "path": self.path,
                "device": i.device,
                "inode": i.inode,
                "head": i.head,
                "head_len": i.head_len,
                "offset": self.offset,
                "at": self.at,
                "real": self.real,
            }
        )

    @staticmethod
    def from_json(text: str | bytes) -> Checkpoint:
        data = json.loads(text)
        identity = Identity(data["device"], data["inode"], data["head"], data["head_len"])
        at, real = data.get("at", 0.0), data.get("real", "")
        return Checkpoint(data["path"], identity, data["offset"], at, real)


class Line(NamedTuple):
    """One line read, where it starts, and whether it was cut to max_line_bytes.

    A named tuple, not a dataclass: a million of these are made per million lines read.
    """

    offset: int
    text: str
    truncated: bool = False


def head_hash(fd: int, length: int) -> str:
    return hashlib.blake2b(os.pread(fd, length, 0), digest_size=8).hexdigest()


def identify(fd: int) -> Identity:
    status = os.fstat(fd)
    length = min(status.st_size, HEAD_BYTES)
    return Identity(status.st_dev, status.st_ino, head_hash(fd, length), length)


def same_file(identity: Identity, fd: int) -> bool:
    """The open file is the one `identity` describes (same inode, same first bytes)."""
    status = os.fstat(fd)
    if (status.st_dev, status.st_ino) != (identity.device, identity.inode):
        return False
    return status.st_size >= identity.head_len and head_hash(fd, identity.head_len) == identity.head


class Follower:
    """Reads whole lines of one open file; `offset` moves only when a read is committed.

    `path` is the name the file was first followed under (its counters and checkpoint keep
    it across renames); `start` is where reading began, where a lost checkpoint sends it back.
    """

    def __init__(self, path: str, fd: int, offset: int, max_line_bytes: int) -> None:
        self.path = path
        self.fd = fd
        self.identity = identify(fd)
        self.offset = self.start = offset
        self.max_line_bytes = max_line_bytes
        self.active = 0.0  # the last moment (monotonic) it grew or was seen rotated
        self.seen_size = -1
        self.written = 0.0  # its mtime, and the name it has, when last looked at
        self.name = path
        self.real = os.path.realpath(path)  # a symlink's target, where a restart looks for it
        # A copy (copytruncate) waits while the file it was copied from is still being read.
        self.twin: Follower | None = None

    @classmethod
    def open(cls, path: str, offset: int, max_line_bytes: int) -> Follower | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return None
        return cls(path, fd, offset, max_line_bytes)

    @property
    def size(self) -> int:
        return os.fstat(self.fd).st_size

    @property
    def unlinked(self) -> bool:
        return os.fstat(self.fd).st_nlink == 0

    def checkpoint(self, offset: int | None = None, at: float = 0.0) -> Checkpoint:
        offset = self.offset if offset is None else offset
        return Checkpoint(self.path, self.identity, offset, at, self.real)

    def check_truncation(self) -> bool:
        """copytruncate (size below the offset, or new first bytes): start again at 0."""
        size = self.size
        if size < self.offset or (
            self.identity.head_len
            and head_hash(self.fd, self.identity.head_len) != self.identity.head
        ):
            self.offset = 0
            self.identity = identify(self.fd)
            return True
        if self.identity.head_len < HEAD_BYTES and size > self.identity.head_len:
            self.identity = identify(self.fd)  # the head grows until it is HEAD_BYTES long
        return False

    def read(self, max_lines: int, final: bool = False) -> tuple[list[Line], int]:
        """Up to `max_lines` complete lines from the committed offset, and the offset after them.

        `final` (the file was rotated away or deleted and is drained) also returns
        a last line that has no newline, since nothing will complete it.
        """
        lines: list[Line] = []
        position = self.offset
        while len(lines) < max_lines:
            data = os.pread(self.fd, READ_BYTES, position)
            if not data:
                break
            end = data.rfind(b"\n")
            if end < 0:
                if len(data) >= self.max_line_bytes:  # an endless line: cut it, skip to its end
                    skipped = self.skip_long_line(position, lines, final)
                    if skipped is None:
                        break
                    position = skipped
                    continue
                if final:
                    lines.append(self.make_line(position, data))
                    position += len(data)
                break
            position = self.split(data[: end + 1], position, lines, max_lines)
        return lines, position

    def split(self, block: bytes, position: int, lines: list[Line], max_lines: int) -> int:
        """Up to `max_lines` lines from whole lines `block` (it ends in a newline); the offset
        after the last one taken."""
        room = max_lines - len(lines)
        if block.isascii() and b"\r" not in block:
            # The common case at C speed: a character is a byte, so offsets are lengths.
            texts = block.decode("ascii").split("\n", room)
            texts.pop()  # the rest past `room` lines, or the empty text after the last newline
            if max(map(len, texts)) <= self.max_line_bytes:
                starts = list(accumulate(map(ONE.__add__, map(len, texts)), initial=position))
                lines.extend(map(tuple.__new__, repeat(Line), zip(starts, texts, repeat(False))))
                return starts[-1]
        pieces = block.split(b"\n", room)
        pieces.pop()
        for raw in pieces:
            lines.append(self.make_line(position, raw))
            position += len(raw) + 1
        return position

    def skip_long_line(self, position: int, lines: list[Line], final: bool) -> int | None:
        """Keep the head of an overlong line and move past it; None while it has not ended."""
        start = position
        head = os.pread(self.fd, self.max_line_bytes, position)
        while True:
            data = os.pread(self.fd, READ_BYTES, position)
            if not data:
                if not final:
                    return None
                lines.append(Line(start, decode(head), truncated=True))
                return position
            end = data.find(b"\n")
            if end >= 0:
                lines.append(Line(start, decode(head), truncated=True))
                return position + end + 1
            position += len(data)

    def make_line(self, offset: int, raw: bytes) -> Line:
        if len(raw) > self.max_line_bytes:
            return Line(offset, decode(raw[: self.max_line_bytes]), truncated=True)
        return Line(offset, decode(raw))

    def close(self) -> None:
        os.close(self.fd)


def decode(raw: bytes) -> str:
    return raw.rstrip(b"\r").decode("utf-8", "replace")
