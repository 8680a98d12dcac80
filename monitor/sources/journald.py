"""Read one journal through `journalctl -o json`, from a cursor on, and keep following it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from monitor.settings import SourceSettings, StartAt

log = logging.getLogger(__name__)

JOURNALCTL = "journalctl"
MAX_ENTRY_BYTES = 1 << 24  # one JSON line; journald itself caps an entry well below this
HIGH_WATER = 20_000  # entries read ahead of what Redis has; then journalctl waits on the pipe
BACKOFF = (1.0, 2.0, 5.0, 15.0, 60.0)  # seconds before each retry after journalctl failed
STDERR_CHARS = 500


class JournalError(Exception):
    """journalctl could not start, or stopped; the message says why, for the log and status."""


@dataclass(frozen=True, slots=True)
class Record:
    """One line journalctl wrote: the entry, or the text when it was no JSON object."""

    entry: dict[str, Any] | None
    line: str = ""  # kept only without an entry: thousands of these wait for Redis

    @property
    def text(self) -> str:
        return self.line if self.entry is None else json.dumps(self.entry, ensure_ascii=False)

    @property
    def cursor(self) -> str | None:
        value = self.entry.get("__CURSOR") if self.entry else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class JournalRead:
    """Entries read but not yet committed, and the cursor that committing them checkpoints."""

    reader: JournalReader
    records: list[Record]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class Health:
    """What a reader is doing, for `vigil status`: reading, following, or failed and why."""

    state: str
    detail: str = ""


def record_of(raw: bytes) -> Record:
    line = raw.decode("utf-8", "replace").rstrip("\n")
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        return Record(None, line)
    return Record(entry) if isinstance(entry, dict) else Record(None, line)


class JournalReader:
    """One journald source: a journalctl process whose entries wait here until committed."""

    def __init__(
        self, source: SourceSettings, cursor: str | None, *, command: str = JOURNALCTL
    ) -> None:
        self.source = source
        self.command = command
        self.committed = cursor  # every entry up to this one is in Redis
        self.position = cursor  # the last entry read; journalctl restarts after it
        self.pending: deque[Record] = deque()
        self.health = Health("starting")
        self.wake = asyncio.Event()  # set when entries arrive (the ingest loop waits on it)
        self.room = asyncio.Event()  # set when commits made room below HIGH_WATER
        self.looked_for_end = source.start_at is StartAt.BEGINNING or cursor is not None

    @property
    def name(self) -> str:
        return self.source.journal

    def take(self, budget: int) -> JournalRead | None:
        """Up to `budget` of the waiting entries, oldest first; they stay until commit()."""
        records = [self.pending[i] for i in range(min(budget, len(self.pending)))]
        if not records:
            return None
        cursors = [r.cursor for r in records if r.cursor is not None]
        return JournalRead(self, records, cursors[-1] if cursors else self.committed)

    def commit(self, read: JournalRead) -> None:
        """Redis has the entries of `read`: forget them and move the committed cursor."""
        for _ in read.records:
            self.pending.popleft()
        self.committed = read.cursor
        if len(self.pending) < HIGH_WATER:
            self.room.set()

    async def run(self) -> None:
        """Read until cancelled; journalctl missing or stopping is logged and retried."""
        failures = 0
        while True:
            try:
                await self.session()
            except JournalError as error:
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                self.health = Health("failed", f"{error}; retry in {delay:g}s")
                log.warning("journald source %s: %s; retrying in %gs", self.name, error, delay)
                await asyncio.sleep(delay)
            else:
                failures = 0

    async def session(self) -> None:
        """Catch up without --follow (which reads only the last boot), then follow."""
        if not self.looked_for_end:
            self.position = await self.last_cursor()
            self.looked_for_end = True
        self.health = Health("reading")
        await self.read(self.arguments(follow=False))
        self.health = Health("following")
        await self.read(self.arguments(follow=True))
        raise JournalError("journalctl --follow stopped")

    async def last_cursor(self) -> str | None:
        """start_at: end: the newest matching entry, read after; None when there is none."""
        last = None
        async with journalctl(self.command, [*self.arguments(follow=False), "--lines=1"]) as out:
            async for raw in out:
                last = record_of(raw).cursor or last
        return last

    async def read(self, arguments: list[str]) -> None:
        """Queue every line journalctl writes until it exits (0 is only expected without -f)."""
        async with journalctl(self.command, arguments) as out:
            async for raw in out:
                record = record_of(raw)
                self.pending.append(record)
                self.position = record.cursor or self.position
                self.wake.set()
                while len(self.pending) >= HIGH_WATER:
                    self.room.clear()
                    await self.room.wait()

    def arguments(self, *, follow: bool) -> list[str]:
        """journalctl's arguments: JSON with every field, which journal, from where, matches."""
        source = self.source
        arguments = ["--output=json", "--all", "--quiet", "--no-pager"]
        if source.directory:
            arguments.append(f"--directory={source.directory}")
        if source.file:
            arguments.append(f"--file={source.file}")
        if follow:
            arguments.append("--follow")
            if source.directory or source.file:
                # --follow alone keeps to the journal's last boot; --merge lifts that.
                arguments.append("--merge")
        if self.position is not None:
            arguments.append(f"--after-cursor={self.position}")
        elif follow:
            arguments.append("--no-tail")
        if source.unit is not None:
            return [*arguments, f"--unit={source.unit}"]
        return [*arguments, *source.matches]


@contextlib.asynccontextmanager
async def journalctl(command: str, arguments: list[str]) -> AsyncIterator[asyncio.StreamReader]:
    """journalctl's output; raises JournalError when it cannot start or exits with an error."""
    try:
        process = await asyncio.create_subprocess_exec(
            command,
            *arguments,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=MAX_ENTRY_BYTES,
        )
    except OSError as error:
        raise JournalError(f"cannot run {command}: {error.strerror}") from None
    if process.stdout is None or process.stderr is None:
        raise JournalError("journalctl started without pipes")
    errors = asyncio.create_task(process.stderr.read())  # drained, so journalctl never blocks
    try:
        yield process.stdout
    except BaseException as error:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        await errors  # the pipe closed with the process
        if isinstance(error, ValueError):  # a line beyond MAX_ENTRY_BYTES
            raise JournalError(f"journalctl wrote a line too long to read: {error}") from None
        raise
    code = await process.wait()
    said = (await errors).decode("utf-8", "replace").strip()[-STDERR_CHARS:]
    if code != 0:
        raise JournalError(f"journalctl exited with status {code}: {said or 'no message'}")


async def stop_reading(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the readers' tasks and wait for them (their journalctl processes are killed)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
