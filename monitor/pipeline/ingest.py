"""Ingest: tail the sources, parse, and write events with their checkpoints in one transaction."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import RedisError

from monitor.events import Event, encode_events
from monitor.parsers import FORMATS, LineContext, detect_format
from monitor.parsers.batch import FileParser, Parsed
from monitor.parsers.routes import RouteMap
from monitor.pipeline.journals import Journals
from monitor.pipeline.staging import stage_parsed
from monitor.settings import Settings, SourceSettings, SourceType
from monitor.sources.follower import Follower
from monitor.sources.journald import JournalRead
from monitor.sources.tailer import Book, Read, Tailer, still_on_disk
from monitor.store.keys import Keys

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


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

    async def start(self) -> None:
        checkpoints = await self.redis.hgetall(self.keys.checkpoints)
        self.journals = Journals.from_checkpoints(self.settings.sources, checkpoints)
        book = Book.from_redis(checkpoints)
        current = set(book.paths.values())
        stale = [
            key
            for key, checkpoint in book.files.items()
            if key not in current and not still_on_disk(checkpoint)
        ]
        if stale:  # rotated files that logrotate has since deleted
            await self.redis.hdel(self.keys.checkpoints, *[f"file:{key}" for key in stale])
            for key in stale:
                del book.files[key]
        limit = self.settings.ingest.max_line_bytes
        self.tailers = [
            Tailer(source, book, limit)
            for source in self.settings.sources
            if source.type is SourceType.FILE
        ]

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Until `stop`: read all that is there, then wait for a watchdog notice or the poll."""
        await self.start()
        async with self.journals.reading(wake):
            await self.loop(stop, wake)

    async def loop(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        poll = self.settings.ingest.poll_interval.total_seconds()
        while not stop.is_set():
            try:
                while await self.step() and not stop.is_set():
                    pass
            except (RedisError, OSError) as error:
                log.warning("ingest paused, Redis unavailable: %s", type(error).__name__)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waiters, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def step(self) -> int:
        """One batch: discover files, read up to batch_lines, commit. Returns the lines read."""
        budget = self.settings.ingest.batch_lines
        reads: list[tuple[Tailer, Read]] = []
        for tailer in self.tailers:
            tailer.discover()
            for read in tailer.read(budget):
                reads.append((tailer, read))
                budget -= len(read.lines)
        released = [(t, c) for t in self.tailers for c in t.released]
        await self.journals.report(self.redis, self.keys)
        journal_reads = self.journals.take(budget)
        if not reads and not released and not journal_reads:
            return 0
        await self.commit(reads, journal_reads)
        lines = sum(len(read.lines) for _, read in reads)
        return lines + sum(len(read.records) for read in journal_reads)

    async def commit(
        self, reads: list[tuple[Tailer, Read]], journal_reads: list[JournalRead] | None = None
    ) -> None:
        """Events, dead letters, counters and checkpoints: all of them or none (MULTI/EXEC)."""
        keys, ingest = self.keys, self.settings.ingest
        async with self.redis.pipeline(transaction=True) as tx:
            batch: list[Event] = []
            for tailer, read in reads:
                parsed = self.parse(tailer.source, read)
                batch += parsed.events
                stage_parsed(tx, keys, ingest, read.follower.path, len(read.lines), parsed)
                checkpoint = read.follower.checkpoint(read.end)
                tx.hset(
                    keys.checkpoints,
                    mapping={
                        f"file:{checkpoint.identity.key}": checkpoint.to_json(),
                        f"path:{checkpoint.path}": checkpoint.identity.key,
                    },
                )
            batch += self.journals.stage(tx, keys, ingest, journal_reads or [])
            if batch:
                # One entry per batch, not per event: the client's per-command cost dominates.
                tx.xadd(
                    keys.events,
                    {"events": encode_events(batch)},
                    maxlen=ingest.stream_maxlen,
                    approximate=True,
                )
            for tailer in self.tailers:
                for gone in tailer.released:
                    tx.hdel(keys.checkpoints, f"file:{gone.identity.key}")
            await tx.execute()
        self.journals.commit(journal_reads or [])
        for tailer, read in reads:
            tailer.commit(read)
            self.parsers[read.follower.identity.key].commit()
        for tailer in self.tailers:
            for gone in tailer.released:
                self.parsers.pop(gone.identity.key, None)
            tailer.released.clear()

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
    return LineContext(follower.path, ZoneInfo(source.timezone or default_zone), mtime)
