"""A worker's run keeps batches in flight (one evaluates while the next ones' windows load);
the incidents are those of one batch at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bench.ingest import build_log
from detectors import build_detectors
from detectors.engine import Detection
from monitor.incidents import Change, IncidentStore
from monitor.pipeline.flights import IN_FLIGHT, Flight
from monitor.pipeline.worker import Entry, Worker
from monitor.scan import Reading, ScanReport, read_file
from monitor.settings import Settings, WorkerSettings
from monitor.store.keys import Keys
from monitor.wire import encode_events

Row = tuple[str, tuple[tuple[str, str], ...], int, str, str]


class Counting(Worker):
    """Counts the batches in process at once."""

    now = most = 0

    async def process(self, entries: Sequence[Entry], flight: Flight | None = None) -> list[Change]:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await super().process(entries, flight)
        finally:
            self.now -= 1


async def worker_over(
    log: Path, prefix: str, redis: aioredis.Redis, settings: Settings
) -> tuple[Counting, IncidentStore]:
    """A worker over a stream of the log's events, 250 to an entry."""
    keys = Keys(prefix)
    events = list(read_file(str(log), Reading(settings, "sshd"), ScanReport(), [0]))
    for start in range(0, len(events), 250):
        await redis.xadd(keys.events, {"events": encode_events(events[start : start + 250])})
    store = IncidentStore(redis, keys, settings.incidents)
    detection = Detection(redis, keys, build_detectors(settings), isolate=False)
    batches = WorkerSettings(batch_events=1000, batch_entries=4, block=timedelta(milliseconds=10))
    worker = Counting(redis, keys, batches, detection, store, name=prefix)
    await worker.ensure_group()
    return worker, store


async def rows(store: IncidentStore) -> list[Row]:
    found = await store.list(limit=100_000)
    return sorted(
        (i.detector, tuple(sorted(i.entities.items())), i.event_count, i.first_seen, i.last_seen)
        for i in found
    )


async def test_batches_in_flight_raise_what_one_at_a_time_raises(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scanners' distinct user names are tallied across batches (the evaluating batch takes
    the tallies for itself); random pauses between the steps vary how the two interleave."""
    log = tmp_path / "auth.log"
    build_log(log, 8_000)
    single, single_store = await worker_over(log, "one-at-a-time", redis, settings)
    while await single.step(block=False) is not None:
        pass
    monkeypatch.setenv("VIGIL_TEST_JITTER", "5")
    flying, flying_store = await worker_over(log, "in-flight", redis, settings)
    await flying.flow(asyncio.Event())
    assert single.most == 1 and flying.most == IN_FLIGHT
    expected = await rows(single_store)
    assert await rows(flying_store) == expected
    assert any(count > 20 for _, _, count, _, _ in expected)  # incidents that kept counting
    assert await redis.xpending(Keys("in-flight").events, "detect") == {
        "pending": 0,
        "min": None,
        "max": None,
        "consumers": [],
    }
