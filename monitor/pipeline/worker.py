"""Detect: a consumer-group worker that turns stream events into incidents, then acknowledges."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections import deque
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from detectors.engine import Detection
from monitor.events import Event
from monitor.incidents import Change, IncidentStore
from monitor.pipeline import turns
from monitor.pipeline.flights import IN_FLIGHT, Flight
from monitor.pipeline.turns import StreamTurn, order
from monitor.settings import WorkerSettings
from monitor.store.keys import Keys
from monitor.store.streams import ensure_group, keep_going
from monitor.wire import decode_entry, entry_events

log = logging.getLogger(__name__)

GROUP = turns.GROUP
RETRY_SECONDS = 1.0
# The longest sleep a test's jitter puts between a batch's steps.
JITTER_SECONDS = 0.05
# A worker that is never idle still trims the stream this often (else at each idle pause):
# at 10,000 lines a second, ten seconds of acknowledged entries held about 57 MB that every
# rewrite of Valkey's append-only file wrote out again.
TRIM_SECONDS = 1.0
Entry = tuple[bytes, dict[bytes, bytes]]


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """Reads new entries (and those a dead worker left pending) and acknowledges after storing."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        settings: WorkerSettings,
        detection: Detection,
        store: IncidentStore,
        name: str | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.detection = detection
        self.store = store
        self.name = name or consumer_name()
        seed = os.environ.get("VIGIL_TEST_JITTER")
        self.jitter = random.Random(f"{seed}-{self.name}") if seed else None
        # Events per stream entry lately (None until one is read): how many entries make a
        # batch of about settings.batch_events.
        self.per_entry: float | None = None

    async def ensure_group(self) -> None:
        await ensure_group(self.redis, self.keys.events, GROUP)

    async def run(self, stop: asyncio.Event) -> None:
        await self.ensure_group()

        async def cycle() -> None:
            await self.resume()
            await self.reclaim()
            await self.flow(stop)
            await self.trim()

        await keep_going(stop, cycle, "the detector worker")

    async def flow(self, stop: asyncio.Event) -> None:
        """Batch after batch until the stream has nothing new, IN_FLIGHT at most at once: the
        detectors evaluate one while Redis writes the windows of the next ones and the
        findings of the one before. An error in any stops them all; the cycle then starts
        again, and resume() processes what they left."""
        loop = asyncio.get_running_loop()
        flights: deque[tuple[Flight, asyncio.Task[list[Change]]]] = deque()
        trimmed = loop.time()
        try:
            while not stop.is_set():
                asked = self.entries_per_batch()
                entries = await self.read(count=asked)
                if not entries:
                    break
                for run in self.runs(entries):
                    earlier = flights[-1][0] if flights else None
                    flight = self.flight(run, earlier)
                    flights.append((flight, asyncio.create_task(self.process(run, flight))))
                    while len(flights) >= IN_FLIGHT:
                        await flights.popleft()[1]
                while len(entries) < asked and flights:
                    # Caught up: one batch at a time, as what comes in meanwhile makes one
                    # batch (several small ones cost more, and live lines waited longer).
                    await flights.popleft()[1]
                if loop.time() - trimmed > TRIM_SECONDS:
                    await self.trim()
                    trimmed = loop.time()
            while flights:
                await flights.popleft()[1]
        finally:
            for _, task in flights:
                task.cancel()
            await asyncio.gather(*(task for _, task in flights), return_exceptions=True)

    async def resume(self) -> None:
        """Process again this worker's own entries left unacknowledged (Redis went away in
        the middle of a batch): at once, not after claim_idle as another worker would."""
        while True:
            reply = await self.redis.xreadgroup(
                GROUP, self.name, {self.keys.events: "0"}, count=self.settings.batch_entries
            )
            entries = [entry for entry in (reply[0][1] if reply else []) if entry[1]]
            if not entries:
                return
            await self.process_each(entries)

    async def step(self, block: bool = True) -> list[Change] | None:
        """Read one batch of new entries and process it; None when the stream had nothing new."""
        entries = await self.read(block)
        if not entries:
            return None
        changes: list[Change] = []
        for run in self.runs(entries):
            changes += await self.process(run)
        return changes

    async def read(self, block: bool = True, count: int | None = None) -> Sequence[Entry]:
        """New entries: a worker that keeps up reads each entry as it comes; one that runs
        behind reads several at once, about batch_events events, so that a batch's fixed
        costs (its round trips, its windows and incidents read and written once per batch)
        are shared by more events, and it catches up."""
        wait_ms = int(self.settings.block.total_seconds() * 1000) if block else None
        reply = await self.redis.xreadgroup(
            GROUP,
            self.name,
            {self.keys.events: ">"},
            count=count or self.entries_per_batch(),
            block=wait_ms,
        )
        return reply[0][1] if reply else []

    def runs(self, entries: Sequence[Entry]) -> list[Sequence[Entry]]:
        """The entries read, cut into runs of about batch_events events (whole entries, in
        stream order): entries grown larger than the last ones still make batches of the
        usual size."""
        sizes = [entry_events(fields) for _, fields in entries]
        self.observe(len(entries), sum(sizes))
        runs, start, events = [], 0, 0
        for index, size in enumerate(sizes):
            events += size
            if events >= self.settings.batch_events or index == len(sizes) - 1:
                runs.append(entries[start : index + 1])
                start, events = index + 1, 0
        return runs

    def entries_per_batch(self) -> int:
        if self.per_entry is None:
            return 1
        wanted = int(self.settings.batch_events / max(self.per_entry, 1.0))
        return max(1, min(wanted, self.settings.batch_entries))

    def observe(self, entries: int, events: int) -> None:
        """Note a read's size: the next read's count follows the entries' recent sizes."""
        latest = events / entries
        self.per_entry = latest if self.per_entry is None else (self.per_entry + latest) / 2

    async def reclaim(self, before: bytes | None = None) -> list[Change]:
        """Take over entries another consumer read but never acknowledged (it died).

        With `before`, only entries older than it are processed: a batch waiting for a
        silent worker's entry rescues those, while its own (claimed back too, being as
        idle) stay for the batch itself to finish.
        """
        idle_ms = int(self.settings.claim_idle.total_seconds() * 1000)
        changes: list[Change] = []
        cursor = "0-0"
        while True:
            cursor_raw, entries, *_ = await self.redis.xautoclaim(
                self.keys.events,
                GROUP,
                self.name,
                idle_ms,
                cursor,
                count=self.settings.batch_entries,
            )
            entries = [entry for entry in entries if entry[1]]  # trimmed entries come back empty
            if before is not None:
                entries = [entry for entry in entries if order(entry[0]) < order(before)]
            if entries:
                log.info("claimed %d pending entries from a silent worker", len(entries))
                changes += await self.process_each(entries)
            cursor = cursor_raw.decode() if isinstance(cursor_raw, bytes) else str(cursor_raw)
            if cursor == "0-0":
                return changes

    async def process_each(self, entries: Sequence[Entry]) -> list[Change]:
        """Entries taken over or left pending, one at a time: they need not follow each
        other in the stream (others hold the ones between), and a batch must, or it would
        write its windows and store its findings before the ones between."""
        changes = []
        for entry in entries:
            changes += await self.process([entry])
        return changes

    async def process(self, entries: Sequence[Entry], flight: Flight | None = None) -> list[Change]:
        """Windows, then incidents, each in stream order; a batch replayed after a crash
        (or taken over) reads the windows its first run read, so it finds what that found,
        and the incidents take each finding once. In the run loop, `flight` ties the batch
        to the one before it in this worker."""
        flight = flight or self.flight(entries)
        try:
            events = self.decode(entries)
            await self.pause()
            ids = [entry_id.decode() for entry_id, _ in entries]
            settled = None
            if events:  # an entry without events touches no window
                earliest = min(event.epoch_ms for event in events)
                settled = await flight.windows.register(GROUP, ids, earliest)
            findings = await self.detection.process(events, flight.windows, settled, flight.after)
            flight.evaluated.set_result(None)
            await self.pause()
            if not await flight.findings.renew(self.name, ids):
                # Another worker took the entries over (this one was silent too long): it stores.
                log.warning("%d entries were taken over; their findings are left to it", len(ids))
                return []
            changes = await self.store.record(findings)
            await self.pause()
            await flight.findings.finish(ids)
            return changes
        finally:
            flight.end()

    def flight(self, entries: Sequence[Entry], earlier: Flight | None = None) -> Flight:
        windows = self.turn(entries, "windows", earlier)
        findings = self.turn(entries, "findings", earlier)
        evaluated = asyncio.get_running_loop().create_future()
        return Flight(windows, findings, evaluated, earlier.evaluated if earlier else None)

    def turn(self, entries: Sequence[Entry], stage: str, earlier: Flight | None) -> StreamTurn:
        mark = self.keys.windows_applied if stage == "windows" else self.keys.findings_stored
        first = entries[0][0]
        after = ended = None
        if earlier is not None:
            after = (earlier.windows if stage == "windows" else earlier.findings).over
            ended = earlier.findings.over
        return StreamTurn(
            self.redis,
            self.keys,
            mark,
            (first, entries[-1][0]),
            self.settings.claim_idle.total_seconds(),
            lambda: self.rescue(first, ended),
            after,
        )

    async def rescue(self, first: bytes, ended: asyncio.Event | None) -> list[Change]:
        """Take over the entries before `first` that a silent worker holds; this worker's
        own batch in flight before it (`ended` once over) is not silent, only slow."""
        if ended is not None:
            await ended.wait()
        return await self.reclaim(before=first)

    async def pause(self) -> None:
        """Where tests put random sleeps between a batch's steps (VIGIL_TEST_JITTER=seed):
        reading, windows, storing, acknowledging. The result must not depend on how the
        workers' steps interleave."""
        if self.jitter is not None:
            await asyncio.sleep(self.jitter.random() * JITTER_SECONDS)

    def decode(self, entries: Sequence[Entry]) -> list[Event]:
        events = []
        for entry_id, fields in entries:
            try:
                events += decode_entry(fields, self.detection.by_action)
            except (KeyError, ValueError, TypeError):
                log.error("stream entry %s holds no events; skipped", entry_id.decode())
        return events

    async def trim(self) -> None:
        """Drop stream entries every group has read and acknowledged: the stream stays short."""
        groups: list[dict[str, Any]] = await self.redis.xinfo_groups(self.keys.events)
        floors = []
        for group in groups:
            pending = await self.redis.xpending(self.keys.events, group["name"])
            floors.append(pending["min"] if pending["pending"] else group["last-delivered-id"])
        if floors:
            lowest = min(floors, key=order)
            await self.redis.xtrim(self.keys.events, minid=lowest, approximate=True)
