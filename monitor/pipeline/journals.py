"""The journald part of ingest: readers beside the file tailers, committed in the same MULTI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from monitor.events import Event
from monitor.parsers import Malformed
from monitor.parsers.attempts import Attempts
from monitor.parsers.batch import DeadLetter, Parsed
from monitor.parsers.journald import Place, entry_event, sequence_number
from monitor.pipeline.staging import stage_parsed
from monitor.settings import IngestSettings, SourceSettings, SourceType
from monitor.sources.journald import Health, JournalRead, JournalReader, Record, stop_reading
from monitor.store.keys import Keys


def checkpoint_key(name: str) -> str:
    """The field of the checkpoints hash that holds a journald source's cursor."""
    return f"journald:{name}"


class Journals:
    """Every journald source of the settings, each read by its own journalctl process."""

    def __init__(self, readers: Sequence[JournalReader]) -> None:
        self.readers = list(readers)
        self.reported: dict[str, Health] = {}
        # Per journal, the sshd connections whose attempts span entries (see FileParser).
        self.attempts = {reader.name: Attempts() for reader in self.readers}

    @classmethod
    def from_checkpoints(
        cls, sources: Sequence[SourceSettings], checkpoints: Mapping[bytes, bytes]
    ) -> Journals:
        """Readers that resume after the cursor each source last committed."""
        readers = []
        for source in sources:
            if source.type is SourceType.JOURNALD:
                cursor = checkpoints.get(checkpoint_key(source.journal).encode())
                readers.append(JournalReader(source, cursor.decode() if cursor else None))
        return cls(readers)

    @asynccontextmanager
    async def reading(self, wake: asyncio.Event) -> AsyncIterator[None]:
        """Run every reader (and pass their wake-ups on to `wake`) for the block's duration."""
        tasks = [asyncio.create_task(reader.run()) for reader in self.readers]
        tasks += [asyncio.create_task(relay(reader, wake)) for reader in self.readers]
        try:
            yield
        finally:
            await stop_reading(tasks)

    def take(self, budget: int) -> list[JournalRead]:
        reads = []
        for reader in self.readers:
            read = reader.take(budget)
            if read is not None:
                reads.append(read)
                budget -= len(read.records)
        return reads

    def stage(
        self, tx: Redis, keys: Keys, ingest: IngestSettings, reads: list[JournalRead]
    ) -> list[Event]:
        """Queue the dead letters, counts and cursors of `reads` on `tx`; return their events."""
        events: list[Event] = []
        for read in reads:
            name = checkpoint_key(read.reader.name)
            attempts = self.attempts[read.reader.name]
            attempts.begin()  # undoes the read staged last if it was never committed
            parsed = parse_records(read.records, name, attempts)
            events += parsed.events
            stage_parsed(tx, keys, ingest, name, len(read.records), parsed)
            if read.cursor is not None:
                tx.hset(keys.checkpoints, name, read.cursor)
        return events

    def commit(self, reads: list[JournalRead]) -> None:
        """EXEC succeeded: the readers forget what they handed over and move their cursors."""
        for read in reads:
            read.reader.commit(read)
            self.attempts[read.reader.name].stored()

    async def report(self, redis: Redis, keys: Keys) -> None:
        """Write each reader's health to Redis when it changed (for `vigil status`)."""
        for reader in self.readers:
            health = reader.health  # as it is now: it may change while Redis answers
            if self.reported.get(reader.name) != health:
                state = {"state": health.state, "detail": health.detail}
                await redis.hset(keys.source_health, reader.name, json.dumps(state))
                self.reported[reader.name] = health


async def relay(reader: JournalReader, wake: asyncio.Event) -> None:
    """The ingest loop wakes when a journal has new entries, as it does for a file's change."""
    while True:
        await reader.wake.wait()
        reader.wake.clear()
        wake.set()


def parse_records(records: Sequence[Record], path: str, attempts: Attempts) -> Parsed:
    """Events of sshd's entries; others ignored; lines that are no entry, dead letters."""
    parsed = Parsed()
    for record in records:
        offset = (sequence_number(record.entry) if record.entry else None) or 0
        if record.entry is None:
            parsed.dead.append(DeadLetter(path, offset, "not a JSON object", record.text))
            continue
        try:
            event = entry_event(record.entry, Place(path))
        except Malformed as error:
            parsed.dead.append(DeadLetter(path, offset, str(error), record.text))
            continue
        except Exception as error:  # a parser's flaw costs this entry, never the journal
            reason = f"parser failed: {type(error).__name__}"
            parsed.dead.append(DeadLetter(path, offset, reason, record.text))
            continue
        if event is None:
            parsed.ignored += 1
        else:
            attempts.mark(event, parsed.events)
    return parsed
