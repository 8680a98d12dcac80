"""Ingest: tail the sources, parse, and write events with their checkpoints in one transaction."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import resource
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import RedisError

from monitor.events import Event
from monitor.parsers import FORMATS, LineContext, detect_format
from monitor.parsers.batch import FileParser, Parsed, sift_unencodable
from monitor.parsers.routes import RouteMap
from monitor.pipeline.journals import Journals
from monitor.pipeline.staging import stage_parsed
from monitor.pipeline.stream_cap import StreamCap, trim
from monitor.settings import Settings, SourceSettings, SourceType
from monitor.sources.follower import Checkpoint, Follower
from monitor.sources.journald import JournalRead
from monitor.sources.rotation import gone_from_disk
from monitor.sources.tailer import Book, Limits, Read, Tailer
from monitor.store.keys import Keys
from monitor.wire import UNENCODABLE, encode_entry

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# Descriptors kept for Redis connections, journalctl pipes, watchdog and the directories.
RESERVED_FILES = 64


class Ingest:
    """Reads every configured source and commits what it read, exactly once, to Redis."""

    def __init__(self, redis: Redis, keys: Keys, settings: Settings) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.tailers: list[Tailer] = []
        self.parsers: dict[str, FileParser] = {}
        self.routes = RouteMap.from_settings(settings.routes)
        self.journals = Journals([])
        self.health: dict[str, str] = {}  # each file source's problem now ("" for none)
        self.reported: dict[str, str] = {}  # ... and what Redis was last told of it
        self.cap = StreamCap(settings.ingest.stream_maxlen)

    async def start(self) -> None:
        checkpoints = await self.redis.hgetall(self.keys.checkpoints)
        self.journals = Journals.from_checkpoints(self.settings.sources, checkpoints)
        book = Book.from_redis(checkpoints)
        current = set(book.paths.values())
        stale = gone_from_disk({k: c for k, c in book.files.items() if k not in current})
        if stale:  # rotated files that logrotate has since deleted
            await self.redis.hdel(self.keys.checkpoints, *[f"file:{key}" for key in stale])
            for key in stale:
                del book.files[key]
        files = [source for source in self.settings.sources if source.type is SourceType.FILE]
        ingest = self.settings.ingest
        limits = Limits(
            ingest.max_line_bytes,
            ingest.close_inactive.total_seconds(),
            max(4, open_files_allowed(ingest.max_open_files) // max(1, len(files))),
        )
        self.tailers = [Tailer(source, book, limits) for source in files]

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Until `stop`: read all that is there, then wait for a watchdog notice or the poll."""
        await self.start()
        async with self.journals.reading(wake):
            await self.loop(stop, wake)

    async def loop(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        poll = self.settings.ingest.poll_interval.total_seconds()
        linger = self.settings.ingest.linger.total_seconds()
        while not stop.is_set():
            try:
                while await self.step() and not stop.is_set():
                    pass
            except RedisError as error:
                log.warning("ingest paused, Redis unavailable: %s", type(error).__name__)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            except OSError as error:  # not Redis's doing: say what it is
                log.error("ingest paused: %s", describe(error))
                await asyncio.sleep(RETRY_SECONDS)
                continue
            wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waiters, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            if wake.is_set() and not stop.is_set():
                await asyncio.sleep(linger)  # let the writes of a flood gather into one entry

    async def step(self) -> int:
        """One batch: discover files, read up to batch_lines, commit. Returns the lines read."""
        budget = self.settings.ingest.batch_lines
        reads: list[tuple[Tailer, Read]] = []
        for tailer in self.tailers:
            for read in self.read_source(tailer, budget):
                reads.append((tailer, read))
                budget -= len(read.lines)
        released = [(t, c) for t in self.tailers for c in t.released]
        await self.report_health()
        await self.journals.report(self.redis, self.keys)
        journal_reads = self.journals.take(budget)
        if not reads and not released and not journal_reads:
            return 0
        if reads and await self.checkpoints_lost(reads):
            return 1  # read again from what Redis has, next step
        await self.commit(reads, journal_reads)
        lines = sum(len(read.lines) for _, read in reads)
        return lines + sum(len(read.records) for read in journal_reads)

    async def commit(
        self, reads: list[tuple[Tailer, Read]], journal_reads: list[JournalRead] | None = None
    ) -> None:
        """Events, dead letters, counters and checkpoints: all of them or none (MULTI/EXEC)."""
        keys, ingest = self.keys, self.settings.ingest
        now = time.time()
        parsed = [self.parse(tailer.source, read) for tailer, read in reads]
        async with self.redis.pipeline(transaction=True) as tx:
            journal_events = self.journals.stage(tx, keys, ingest, journal_reads or [])
            fields, count = encodable(parsed, [read for _, read in reads], journal_events)
            for (_, read), result in zip(reads, parsed, strict=True):
                stage_parsed(tx, keys, ingest, read.follower.path, len(read.lines), result)
                checkpoint = read.follower.checkpoint(read.end, now)
                tx.hset(
                    keys.checkpoints,
                    mapping={
                        f"file:{checkpoint.identity.key}": checkpoint.to_json(),
                        f"path:{checkpoint.path}": checkpoint.identity.key,
                    },
                )
            added = len(tx)
            if fields is not None:
                # One entry per batch, not per event: the client's per-command cost dominates.
                tx.xadd(keys.events, fields)
                tx.xlen(keys.events)
            for tailer in self.tailers:
                for gone in tailer.released:
                    tx.hdel(keys.checkpoints, f"file:{gone.identity.key}")
            results = await tx.execute()
        if fields is not None:
            cut = self.cap.added(results[added], count, results[added + 1])
            if cut:
                await trim(self.redis, keys, cut, ingest.stream_maxlen)
        self.journals.commit(journal_reads or [])
        for tailer, read in reads:
            tailer.commit(read, now)
            self.parsers[read.follower.identity.key].commit()
        for tailer in self.tailers:
            for gone in tailer.released:
                self.parsers.pop(gone.identity.key, None)
            tailer.released.clear()

    def read_source(self, tailer: Tailer, budget: int) -> list[Read]:
        """One source's lines; a source that cannot be read is reported, the others go on."""
        try:
            tailer.discover()
            reads = tailer.read(budget)
        except OSError as error:
            self.health[tailer.source.path] = describe(error)
            return []
        self.health[tailer.source.path] = ""
        return reads

    async def report_health(self) -> None:
        """Write each file source's state where `vigil status` and /metrics read it, on change."""
        changed = {
            path: json.dumps({"state": "stalled" if problem else "reading", "detail": problem})
            for path, problem in self.health.items()
            if self.reported.get(path) != problem
        }
        if changed:
            await self.redis.hset(self.keys.source_health, mapping=changed)
            self.reported.update({path: self.health[path] for path in changed})

    async def checkpoints_lost(self, reads: list[tuple[Tailer, Read]]) -> bool:
        """Whether Redis forgot checkpoints it had acknowledged (restarted from an older
        append-only file, a replica promoted); if so, every file goes back to what it has."""
        names = [f"file:{read.follower.identity.key}" for _, read in reads]
        stored = await self.redis.hmget(self.keys.checkpoints, names)
        pairs = zip(reads, stored, strict=True)
        if not any(forgotten(tailer, read, raw) for (tailer, read), raw in pairs):
            return False
        log.warning(
            "Redis lost checkpoints it had acknowledged (an older append-only file, a replica "
            "promoted): reading again from the checkpoints it has"
        )
        book = Book.from_redis(await self.redis.hgetall(self.keys.checkpoints))
        for tailer in self.tailers:
            tailer.rewind(book)
        self.parsers.clear()  # what they learnt of connections came from lines read again
        return True

    def parse(self, source: SourceSettings, read: Read) -> Parsed:
        context = line_context(source, read.follower, self.settings.ingest.timezone)
        return self.parser_of(source, read.follower).parse(context, read.lines)

    def parser_of(self, source: SourceSettings, follower: Follower) -> FileParser:
        """The file's parser: the configured format, or the one its first lines show."""
        key = follower.identity.key
        parser = self.parsers.get(key)
        if parser is None:
            form = FORMATS.get(source.format)
            if form is None:  # auto
                head = os.pread(follower.fd, 16384, 0).decode("utf-8", "replace").splitlines()
                form = detect_format(head)
            parser = self.parsers[key] = FileParser(form, self.routes)
        return parser


def line_context(source: SourceSettings, follower: Follower, default_zone: str) -> LineContext:
    mtime = datetime.fromtimestamp(os.fstat(follower.fd).st_mtime, UTC)
    zone = ZoneInfo(source.timezone or default_zone)
    return LineContext(follower.path, zone, mtime, source.proxy_networks())


def forgotten(tailer: Tailer, read: Read, raw: bytes | None) -> bool:
    """Redis no longer has the checkpoint this process last wrote for the file, but none or
    an older one. A newer one is another writer's (two hosts whose files share device and
    inode numbers): not a loss to read again for."""
    expected = tailer.book.files.get(read.follower.identity.key)
    if expected is None:
        return False  # nothing committed yet
    return raw is None or Checkpoint.from_json(raw).at < expected.at


def encodable(
    parsed: list[Parsed], reads: list[Read], journal_events: list[Event]
) -> tuple[dict[str, bytes] | None, int]:
    """The batch's stream entry (see monitor.wire), and its number of events; events it
    cannot carry become dead letters first."""
    batch = [event for result in parsed for event in result.events] + journal_events
    if not batch:
        return None, 0
    try:
        return encode_entry(batch), len(batch)
    except UNENCODABLE:
        for result, read in zip(parsed, reads, strict=True):
            sift_unencodable(result, read.lines)
        batch = [event for result in parsed for event in result.events] + journal_events
        return (encode_entry(batch) if batch else None), len(batch)


def open_files_allowed(configured: int) -> int:
    """ingest.max_open_files, or less when the process may not open that many."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    allowed = max(8, soft - RESERVED_FILES) if soft != resource.RLIM_INFINITY else configured
    if configured <= allowed:
        return configured
    log.warning(
        "ingest.max_open_files is %d but this process may open %d files (ulimit -n, "
        "LimitNOFILE): at most %d log files are kept open at once",
        configured,
        soft,
        allowed,
    )
    return allowed


def describe(error: OSError) -> str:
    """An OS error as an operator acts on it; the open-file limit named with its value."""
    if error.errno in (errno.EMFILE, errno.ENFILE):
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        return (
            f"too many open files (the process may open {soft}; lower ingest.max_open_files "
            "or raise LimitNOFILE / ulimit -n)"
        )
    return f"{error.strerror or type(error).__name__}: {error.filename or ''}".rstrip(": ")
