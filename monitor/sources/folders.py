"""Watched folders: file changes (integrity) and new export files, turned into events."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.events import Event
from monitor.settings import FolderSettings

EMAIL = re.compile(rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
# Vietnamese mobile and landline numbers, with or without +84, spaces or dots.
PHONE = re.compile(rb"(?<![\d])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?![\d])")
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Seen:
    """What Vigil last knew of a file: enough to tell a change without hashing again."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def from_json(cls, text: str | bytes) -> Seen:
        return cls(**json.loads(text))

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True, slots=True)
class Scan:
    """One look at the folders: events to send and the new state of each file."""

    events: tuple[Event, ...]
    seen: Mapping[str, Seen]
    gone: tuple[str, ...]


def matching(patterns: Iterable[str]) -> set[str]:
    """Regular files named by the patterns (a folder means everything under it)."""
    found: set[str] = set()
    for pattern in patterns:
        for path in glob.glob(pattern, recursive=True):
            if os.path.isdir(path):
                found.update(str(p) for p in Path(path).rglob("*") if p.is_file())
            elif os.path.isfile(path):
                found.add(os.path.abspath(path))
    return {os.path.abspath(p) for p in found}


def look(settings: FolderSettings, known: Mapping[str, Seen], first: bool) -> Scan:
    """Compare the folders with what was known; the first look only records a baseline."""
    integrity, exports = matching(settings.integrity), matching(settings.exports)
    seen: dict[str, Seen] = {}
    events: list[Event] = []
    for path in sorted(integrity | exports):
        try:
            stat = os.stat(path)
        except OSError:
            continue  # gone between listing and looking: the next look says so
        before = known.get(path)
        if before and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            seen[path] = before
            continue
        digest, counts = read(path, settings.max_scan_bytes, scan=path in exports)
        seen[path] = now = Seen(stat.st_size, stat.st_mtime_ns, digest)
        if first or (before is not None and before.sha256 == now.sha256):
            continue
        if path in exports and before is None:
            events.append(export_event(path, stat, digest, counts))
        if path in integrity:
            events.append(change_event(path, stat.st_mtime_ns, before, now))
    gone = tuple(path for path in known if path not in seen)
    if not first:
        stamp = time.time_ns()
        events += [change_event(p, stamp, known[p], None) for p in gone if p not in exports]
    return Scan(tuple(events), seen, gone)


def read(path: str, limit: int, scan: bool) -> tuple[str, tuple[int, int]]:
    """SHA-256 of the whole file, and distinct emails and phones in its first `limit` bytes."""
    digest = hashlib.sha256()
    emails: set[bytes] = set()
    phones: set[bytes] = set()
    read_bytes, tail = 0, b""
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            if scan and read_bytes < limit:
                # Keep a short tail so a match split across chunks is still found.
                text = tail + chunk
                emails.update(m.lower() for m in EMAIL.findall(text))
                phones.update(re.sub(rb"\D", b"", m)[-9:] for m in PHONE.findall(text))
                tail, read_bytes = text[-256:], read_bytes + len(chunk)
    return digest.hexdigest(), (len(emails), len(phones))


def change_event(path: str, moment_ns: int, before: Seen | None, after: Seen | None) -> Event:
    action = (
        "file-created" if before is None else "file-deleted" if after is None else "file-changed"
    )
    extra = {"file.path": path}
    if before is not None:
        extra["file.previous_hash"] = before.sha256
    if after is not None:
        extra["file.hash.sha256"] = after.sha256
    return Event(
        timestamp=datetime.fromtimestamp(moment_ns / 1e9, UTC),
        action=action,
        category="file",
        dataset="integrity",
        file_path=path,
        offset=moment_ns,
        extra=extra,
    )


def export_event(path: str, stat: os.stat_result, digest: str, counts: tuple[int, int]) -> Event:
    return Event(
        timestamp=datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC),
        action="export-file-created",
        category="file",
        dataset="exports",
        file_path=path,
        offset=stat.st_mtime_ns,
        extra={
            "file.path": path,
            "file.size": stat.st_size,
            "file.hash.sha256": digest,
            "labels.email_count": counts[0],
            "labels.phone_count": counts[1],
        },
    )


def folders(settings: FolderSettings) -> Iterator[str]:
    """The patterns watchdog should watch."""
    yield from settings.integrity
    yield from (os.path.join(folder, "*") for folder in settings.exports)
