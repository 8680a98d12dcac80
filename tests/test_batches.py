"""The same log raises the same incidents, counts and times however it is cut into batches."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from bench.ingest import build_log
from detectors import build_detectors
from detectors.engine import Detection
from monitor.incidents import IncidentStore
from monitor.scan import Reading, ScanReport, read_file
from monitor.settings import Settings
from monitor.store.keys import Keys

Row = tuple[str, tuple[tuple[str, str], ...], int, str, str]


async def incidents_in_batches_of(
    size: int, log: Path, redis: aioredis.Redis, settings: Settings
) -> list[Row]:
    keys = Keys(f"batches-{size}")
    store = IncidentStore(redis, keys, settings.incidents)
    detection = Detection(redis, keys, build_detectors(settings), isolate=False)
    events = list(read_file(str(log), Reading(settings, "sshd"), ScanReport(), [0]))
    touched: set[str] = set()
    for start in range(0, len(events), size):
        findings = await detection.process(events[start : start + size])
        touched.update(change.incident_id for change in await store.record(findings))
    found = await store.get_many(sorted(touched))
    return sorted(
        (i.detector, tuple(sorted(i.entities.items())), i.event_count, i.first_seen, i.last_seen)
        for i in found
    )


async def test_batches_of_97_and_of_2000_raise_the_same(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    log = tmp_path / "auth.log"
    build_log(log, 8_000)  # 3,000 scanners failing, staff logins, probes: counts past thresholds
    small = await incidents_in_batches_of(97, log, redis, settings)
    large = await incidents_in_batches_of(2_000, log, redis, settings)
    assert small == large
    assert any(count > 20 for _, _, count, _, _ in large)  # incidents that kept counting


async def test_a_batch_replayed_after_the_next_one_finds_what_it_found(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    """A worker dies after writing a batch's windows, another goes on with the next batch,
    then the first batch is replayed: it reads the windows as its first run did (the next
    batch's members left out, nothing it read trimmed away), so its findings are the same
    ones, and the incidents take them once."""
    log = tmp_path / "auth.log"
    build_log(log, 8_000)
    detection = Detection(redis, Keys("replayed"), build_detectors(settings), isolate=False)
    events = list(read_file(str(log), Reading(settings, "sshd"), ScanReport(), [0]))
    batches = [events[start : start + 500] for start in range(0, len(events), 500)]
    earliest = [min(event.epoch_ms for event in batch) for batch in batches]
    first: list[list[str]] = []
    replayed: list[list[str]] = []
    for n, batch in enumerate(batches):
        in_flight = earliest[max(n - 1, 0)]  # the batch before is not stored yet
        first.append([f.id for f in await detection.process(batch, settled=in_flight)])
        if n:
            again = await detection.process(batches[n - 1], settled=in_flight)
            replayed.append([f.id for f in again])
    assert replayed == first[:-1]
    assert sum(len(ids) for ids in first) > 1000  # crossings and the failures after them
