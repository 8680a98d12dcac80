"""A worker behind reads several small entries at once; a batch's turns take few round trips."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.engine import Detection
from monitor.incidents import Change, IncidentStore
from monitor.pipeline.flights import Flight
from monitor.pipeline.turns import GROUP, StreamTurn
from monitor.pipeline.worker import Entry, Worker
from monitor.scan import Reading, ScanReport, read_file
from monitor.settings import Settings
from monitor.store.keys import Keys
from monitor.store.streams import ensure_group
from monitor.wire import encode_events

KEYS = Keys("batch-reads")


def failures(path: Path, count: int) -> None:
    """Failed passwords only: every line an event the detectors read."""
    path.write_text(
        "".join(
            f"Mar  1 09:{i // 60 % 60:02d}:{i % 60:02d} web-01 sshd[9]: Failed password for "
            f"root from 203.0.113.{i % 200 + 1} port {10000 + i} ssh2\n"
            for i in range(count)
        )
    )


async def filled(redis: aioredis.Redis, settings: Settings, log: Path, sizes: list[int]) -> None:
    """The stream holds entries of `sizes` events, cut from the log in order."""
    events = list(read_file(str(log), Reading(settings, "sshd"), ScanReport(), [0]))
    start = 0
    for size in sizes:
        await redis.xadd(KEYS.events, {"events": encode_events(events[start : start + size])})
        start += size


async def delivered(redis: aioredis.Redis) -> int:
    """Entries the detect group has read so far."""
    groups = await redis.xinfo_groups(KEYS.events)
    return int(groups[0]["entries-read"] or 0)


class Counting(Worker):
    """A worker that notes how many entries each batch it processes holds."""

    batches: list[int]

    async def process(self, entries: Sequence[Entry], flight: Flight | None = None) -> list[Change]:
        self.batches.append(len(entries))
        return await super().process(entries, flight)


def worker(redis: aioredis.Redis, settings: Settings, **batch: int) -> Counting:
    detection = Detection(redis, KEYS, build_detectors(settings), isolate=False)
    store = IncidentStore(redis, KEYS, settings.incidents)
    tuned = settings.worker.model_copy(update=batch)
    reader = Counting(redis, KEYS, tuned, detection, store, name="reader")
    reader.batches = []
    return reader


async def test_a_worker_behind_reads_about_batch_events_at_once(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    log = tmp_path / "auth.log"
    failures(log, 400)
    await filled(redis, settings, log, [10] * 40)
    reader = worker(redis, settings, batch_events=30, batch_entries=100)
    await reader.ensure_group()
    steps = []
    while await reader.step(block=False) is not None:
        steps.append(await delivered(redis))
    # The first entry's size unknown, one alone; then three entries of ten events a batch.
    assert steps[:4] == [1, 4, 7, 10]
    assert steps[-1] == 40
    assert not (await redis.xpending(KEYS.events, GROUP))["pending"]


async def test_large_entries_are_read_one_at_a_time_and_batch_entries_caps_small_ones(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    log = tmp_path / "auth.log"
    failures(log, 640)
    await filled(redis, settings, log, [200] * 3 + [2] * 20)
    reader = worker(redis, settings, batch_events=100, batch_entries=5)
    await reader.ensure_group()
    steps = []
    while await reader.step(block=False) is not None:
        steps.append(await delivered(redis))
    assert steps[:3] == [1, 2, 3]  # each past batch_events alone
    sizes = [after - before for before, after in zip(steps[2:], steps[3:], strict=False)]
    assert sizes[0] == 1  # the estimate still says 200 events an entry
    assert max(sizes) == 5  # then it follows the small ones, up to batch_entries
    assert steps[-1] == 23


async def test_entries_larger_than_the_last_ones_read_at_once_make_batches_of_their_own(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    """Three entries of ten events make one batch of thirty; the next read takes three
    entries again, of fifty events each now: three batches, not one of 150."""
    log = tmp_path / "auth.log"
    failures(log, 190)
    await filled(redis, settings, log, [10] * 4 + [50] * 3)
    reader = worker(redis, settings, batch_events=30, batch_entries=100)
    await reader.ensure_group()
    while await reader.step(block=False) is not None:
        pass
    assert reader.batches == [1, 3, 1, 1, 1]
    assert not (await redis.xpending(KEYS.events, GROUP))["pending"]


async def test_a_turn_known_to_have_come_asks_nothing_more_and_finishing_acknowledges(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    """A batch behind another worker's entry learns, noting itself in flight, that its turn
    has not come; once the watermark passes that entry it goes on. Finishing moves the
    watermark and acknowledges the entries, at once; a batch taken over is not renewed."""
    log = tmp_path / "auth.log"
    failures(log, 10)
    await filled(redis, settings, log, [5, 5])
    await ensure_group(redis, KEYS.events, GROUP)
    earlier = await redis.xreadgroup(GROUP, "a", {KEYS.events: ">"}, count=1)
    later = await redis.xreadgroup(GROUP, "b", {KEYS.events: ">"}, count=1)
    first, second = earlier[0][1][0][0], later[0][1][0][0]

    def turn(entry: bytes, mark: str) -> StreamTurn:
        return StreamTurn(redis, KEYS, mark, (entry, entry), 60.0)

    ahead, behind = turn(first, KEYS.windows_applied), turn(second, KEYS.windows_applied)
    await ahead.register(GROUP, [first.decode()], 0)
    await behind.register(GROUP, [second.decode()], 0)
    assert ahead.ready and not behind.ready
    assert await behind.waiting() == first
    await ahead.done()
    await behind.wait()
    assert behind.ready

    assert await turn(first, KEYS.findings_stored).renew("a", [first.decode()])
    await turn(first, KEYS.findings_stored).finish([first.decode()])
    stored = turn(second, KEYS.findings_stored)
    assert not await stored.renew("a", [second.decode()])  # b holds it, not a
    assert await stored.renew("b", [second.decode()])
    await stored.finish([second.decode()])
    assert await redis.get(KEYS.findings_stored) == second
    assert not (await redis.xpending(KEYS.events, GROUP))["pending"]
    assert not await redis.hlen(KEYS.in_flight)
