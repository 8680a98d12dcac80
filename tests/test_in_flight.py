"""Window trims never take what a batch in flight will read again, whichever worker notes its
batch first: a batch read later but noted sooner must not trim what an earlier one needs."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from bench.ingest import build_log
from detectors import build_detectors
from detectors.engine import Detection
from monitor.events import Event
from monitor.pipeline.turns import GROUP, register, settle
from monitor.scan import Reading, ScanReport, read_file
from monitor.settings import Settings
from monitor.store.keys import Keys
from monitor.store.streams import ensure_group
from monitor.wire import encode_events

KEYS = Keys("in-flight")


async def read(redis: aioredis.Redis, consumer: str) -> str:
    """One new entry of the stream, read by `consumer` (as a worker's XREADGROUP would)."""
    reply = await redis.xreadgroup(GROUP, consumer, {KEYS.events: ">"}, count=1)
    return str(reply[0][1][0][0].decode())


async def note(redis: aioredis.Redis, entry: str, batch: list[Event]) -> int:
    """What the worker does first with an entry it read: note it in flight."""
    return await register(redis, KEYS, GROUP, [entry], min(e.epoch_ms for e in batch))


async def test_a_batch_noted_after_the_next_one_is_replayed_as_it_first_ran(
    tmp_path: Path, redis: aioredis.Redis, settings: Settings
) -> None:
    """Worker a reads an entry, worker b the next one and notes it in flight before a notes
    its own (a was slower to decode); a writes its windows and dies before storing, b writes
    the next windows, then a's entry is taken over and replayed. The replay must find what
    the first run found: b's trims left what a's entry reads (else the crossings of `root`
    and of scanning addresses move to later failures, and the incidents' times with them)."""
    log = tmp_path / "auth.log"
    build_log(log, 10_000, seed=3)
    events = list(read_file(str(log), Reading(settings, "sshd"), ScanReport(), [0]))
    batches = [events[start : start + 500] for start in range(0, len(events), 500)]
    await ensure_group(redis, KEYS.events, GROUP)
    for batch in batches:
        await redis.xadd(KEYS.events, {"events": encode_events(batch)})
    detection = Detection(redis, KEYS, build_detectors(settings), isolate=False)
    first: list[list[str]] = []
    replayed: list[list[str]] = []
    for n in range(0, len(batches) - 1, 2):
        mine, following = batches[n], batches[n + 1]
        entry, later = await read(redis, "a"), await read(redis, "b")
        settled_later = await note(redis, later, following)  # b notes its entry first
        settled = await note(redis, entry, mine)
        first.append([f.id for f in await detection.process(mine, settled=settled)])
        await detection.process(following, settled=settled_later)
        again = await detection.process(mine, settled=await note(redis, entry, mine))
        replayed.append([f.id for f in again])
        await settle(redis, KEYS, GROUP, [entry, later])
    assert replayed == first
    assert sum(len(ids) for ids in first) > 1000  # crossings and the failures after them
