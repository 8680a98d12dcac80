"""Lines on disk become events in the stream, then incidents; nothing lost, nothing twice."""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path

import redis as sync_redis
import redis.asyncio as aioredis

from monitor.events import Event
from monitor.incidents import IncidentStore
from monitor.pipeline.ingest import Ingest
from monitor.pipeline.worker import GROUP, Worker
from monitor.service import Vigil
from monitor.settings import Settings, SourceSettings, WorkerSettings
from monitor.store.keys import Keys
from monitor.wire import decode_events
from tests.processes import start_vigil, wait_for, write_config


def sshd_lines(count: int, ip: str = "203.0.113.7", start_second: int = 0) -> str:
    return "".join(
        f"Mar  1 09:{(start_second + i) // 60 % 60:02d}:{(start_second + i) % 60:02d} web-01 "
        f"sshd[9]: Failed password for root from {ip} port {10000 + i} ssh2\n"
        for i in range(count)
    )


async def stream_events(redis: aioredis.Redis, keys: Keys) -> list[Event]:
    entries = await redis.xrange(keys.events)
    return [event for _, fields in entries for event in decode_events(fields[b"events"])]


def read_offsets(client: sync_redis.Redis, keys: Keys) -> list[int | None]:
    """log.offset of every event in the stream, in stream order."""
    entries = client.xrange(keys.events)
    return [e.offset for _, fields in entries for e in decode_events(fields[b"events"])]


def with_source(settings: Settings, path: Path, **ingest: object) -> Settings:
    return settings.model_copy(
        update={
            "sources": (SourceSettings(path=str(path)),),
            "ingest": settings.ingest.model_copy(update=ingest),
        }
    )


async def test_lines_flow_to_incidents(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, tmp_path: Path
) -> None:
    log = tmp_path / "auth.log"
    log.write_text(sshd_lines(6) + "not a log line\n")
    settings = with_source(settings, log)
    ingest = Ingest(redis, keys, settings)
    await ingest.start()
    assert await ingest.step() == 7
    assert await ingest.step() == 0
    assert len(await stream_events(redis, keys)) == 6
    (dead,) = await redis.xrange(keys.dead_letters)
    assert dead[1][b"offset"] == str(log.stat().st_size - len("not a log line\n")).encode()
    assert dead[1][b"line"] == b"not a log line"

    vigil = Vigil(settings, redis, keys, store, "")
    worker = vigil.worker()
    await worker.ensure_group()
    changes = await worker.step(block=False)
    assert changes is not None and [change.state for change in changes] == ["created"]
    assert await worker.step(block=False) is None  # nothing new
    (incident,) = await store.list()
    assert incident.event_count == 6  # every failure: five crossed the threshold, one more
    assert (await redis.xpending(keys.events, GROUP))["pending"] == 0


async def test_a_dead_workers_entries_are_claimed(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, tmp_path: Path
) -> None:
    log = tmp_path / "auth.log"
    log.write_text(sshd_lines(5))
    settings = with_source(settings, log)
    ingest = Ingest(redis, keys, settings)
    await ingest.start()
    await ingest.step()
    vigil = Vigil(settings, redis, keys, store, "")
    await vigil.worker().ensure_group()
    # A worker reads the batch and dies before acknowledging it.
    await redis.xreadgroup(GROUP, "dead-worker", {keys.events: ">"}, count=100)
    assert await store.list() == []
    survivor = Worker(
        redis,
        keys,
        WorkerSettings(claim_idle=timedelta(0)),
        vigil.detection(),
        store,
        name="survivor",
    )
    changes = await survivor.reclaim()
    assert [change.state for change in changes] == ["created"]
    assert (await redis.xpending(keys.events, GROUP))["pending"] == 0


async def test_a_batch_waiting_on_a_dead_workers_entry_takes_it_over_first(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, tmp_path: Path
) -> None:
    """Three failures in the entry a dead worker holds, two in the next: the survivor's
    batch waits, takes the dead worker's entry over and applies it first, so the fifth
    failure still crosses the threshold as it would with one worker."""
    log = tmp_path / "auth.log"
    log.write_text(sshd_lines(5))
    settings = with_source(settings, log, batch_lines=3)
    ingest = Ingest(redis, keys, settings)
    await ingest.start()
    while await ingest.step():
        pass
    assert await redis.xlen(keys.events) == 2
    vigil = Vigil(settings, redis, keys, store, "")
    await vigil.worker().ensure_group()
    await redis.xreadgroup(GROUP, "dead-worker", {keys.events: ">"}, count=1)
    survivor = Worker(
        redis,
        keys,
        WorkerSettings(claim_idle=timedelta(milliseconds=200)),
        vigil.detection(),
        store,
        name="survivor",
    )
    changes = await survivor.step(block=False)
    assert changes is not None and [change.state for change in changes] == ["created"]
    assert (await redis.xpending(keys.events, GROUP))["pending"] == 0
    (incident,) = await store.list()
    assert incident.detector == "account_takeover.brute_force"


def test_kill_9_mid_file_loses_and_duplicates_no_line(tmp_path: Path, redis_url: str) -> None:
    lines = 30_000
    log = tmp_path / "auth.log"
    log.write_text(sshd_lines(lines))
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [{"path": str(log), "format": "sshd", "start_at": "beginning"}],
            "ingest": {"batch_lines": 100},
        },
    )
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "kill-test"}
    client = sync_redis.Redis.from_url(redis_url)
    keys = Keys("kill-test")
    client.delete(keys.events, keys.checkpoints, keys.source_stats)

    first = start_vigil(config, "ingest", env)
    assert wait_for(lambda: len(read_offsets(client, keys)) >= lines // 3), "ingest is stuck"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert len(read_offsets(client, keys)) < lines

    second = start_vigil(config, "ingest", env)
    try:
        wait_for(lambda: len(read_offsets(client, keys)) >= lines, limit=120)
        time.sleep(0.5)  # anything extra (a duplicate) would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    offsets = read_offsets(client, keys)
    assert len(offsets) == lines
    assert len(set(offsets)) == lines
    client.close()
