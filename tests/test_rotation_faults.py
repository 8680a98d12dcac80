"""Rotation and Redis faults through ingest, with real Valkey and real processes: each line
of the files reaches the stream once."""

from __future__ import annotations

import asyncio
import resource
import shutil
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import redis as sync_redis
import redis.asyncio as aioredis

from monitor.pipeline.ingest import Ingest
from monitor.settings import Settings
from monitor.store import embedded
from monitor.store.keys import Keys
from tests.processes import vigil_command, wait_for, with_env, write_config
from tests.test_faults import numbered, step_as_the_service_does
from tests.test_pipeline import stream_events, with_source
from tests.test_rotation import rotate

LINES = 20_000


async def test_a_glob_source_with_delaycompress_and_a_late_writer_reads_each_line_once(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    """`access.log*` (the shipped default's shape), logrotate renaming access.log.1 to .2 and
    gzipping .2 (delaycompress), and the writer going on in the renamed file for a while
    before it reopens, as nginx does until its USR1: nothing read twice, nothing lost."""
    log = tmp_path / "access.log"
    log.touch()
    configured = with_source(settings, tmp_path / "access.log*", batch_lines=500)
    configured = configured.model_copy(
        update={
            "ingest": configured.ingest.model_copy(update={"close_inactive": timedelta(seconds=1)})
        }
    )
    ingest = Ingest(redis, keys, configured)
    await ingest.start()
    written = asyncio.Event()

    async def write() -> None:
        handle = log.open("a")
        for chunk in range(LINES // 100):
            handle.write(numbered(chunk * 100, 100))
            handle.flush()
            if chunk % 20 == 5:
                rotate(tmp_path, "access.log", keep=4, compress_from=2)
            if chunk % 20 == 8:  # the reopen signal, three chunks after the rotation
                handle.close()
                handle = log.open("a")
            await asyncio.sleep(0.005)
        handle.close()
        written.set()

    async def read() -> None:
        while not written.is_set() or await count(redis, keys) < LINES:
            await ingest.step()
            await asyncio.sleep(0.002)

    await asyncio.wait_for(asyncio.gather(write(), read()), timeout=120)
    for _ in range(20):  # nothing more arrives: no file is read a second time
        await ingest.step()
    ports = [event.source_port for event in await stream_events(redis, keys)]
    assert len(ports) == LINES
    assert set(ports) == set(range(LINES))


async def count(redis: aioredis.Redis, keys: Keys) -> int:
    return len(await stream_events(redis, keys))


@pytest.mark.slow
async def test_redis_restarted_from_an_older_append_only_file_loses_no_line(
    settings: Settings, tmp_path: Path
) -> None:
    """Valkey acknowledged 2,000 lines, then came back from an append-only file that held
    only the first 1,000: ingest reads its checkpoints back and reads the rest again."""
    data, older, log = tmp_path / "redis", tmp_path / "redis-older", tmp_path / "auth.log"
    log.write_text(numbered(0, 4000))
    redis = aioredis.Redis.from_url(embedded.ensure_server(data))
    keys = Keys("older-aof")
    ingest = Ingest(redis, keys, with_source(settings, log, batch_lines=1000))
    await ingest.start()
    assert await ingest.step() == 1000
    embedded.release_server(data, force=True)
    shutil.copytree(data, older, ignore=shutil.ignore_patterns("*.sock", "*.pid", "*.lock"))
    embedded.ensure_server(data)
    assert await step_as_the_service_does(ingest) == 1000  # acknowledged ...
    embedded.release_server(data, force=True)
    shutil.rmtree(data / "appendonlydir")
    shutil.copytree(older / "appendonlydir", data / "appendonlydir")  # ... and lost
    embedded.ensure_server(data)
    while await step_as_the_service_does(ingest):
        pass
    events = await stream_events(redis, keys)
    await redis.aclose()
    embedded.release_server(data, force=True)
    assert sorted(event.source_port or 0 for event in events) == list(range(4000))


def low_file_limit() -> None:
    """In the child: the process may open 256 files, as on a host with a small ulimit -n."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


@pytest.mark.slow
def test_a_glob_matching_ten_thousand_files_stops_no_source(redis_url: str, tmp_path: Path) -> None:
    """`vigil run --role ingest` with ulimit -n 256: a glob matching 10,000 files and an
    auth.log; every line of both is read, and the log names the limit, not Redis."""
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    for n in range(10_000):
        (sessions / f"s-{n:05d}.log").write_text(numbered(0, 1))  # alike, not copies
    auth = tmp_path / "auth.log"
    auth.write_text(numbered(10_000, 500))
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [{"path": str(sessions / "s-*.log")}, {"path": str(auth)}],
            "ingest": {"poll_interval": "100ms"},
        },
    )
    keys = Keys("many-files")
    client = sync_redis.Redis.from_url(redis_url)
    for key in client.scan_iter("many-files:*"):
        client.delete(key)
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "many-files", "VIGIL_SECRET_KEY": "k"}
    process = subprocess.Popen(
        vigil_command(config, "run", "--role", "ingest"),
        env=with_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=low_file_limit,
    )
    try:
        assert wait_for(lambda: lines_read(client, keys) == 10_500, limit=300)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    client.close()
    log = errors.decode()
    assert "this process may open 256 files" in log
    assert "Redis unavailable" not in log and "Too many open files" not in log


def lines_read(client: sync_redis.Redis, keys: Keys) -> int:
    stats = client.hgetall(keys.source_stats)
    return sum(int(v) for k, v in stats.items() if k.endswith(b"|lines"))


async def test_a_symlink_swapped_back_after_a_restart_reads_only_what_is_new(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    """Blue/green deploys: logs/app.log points into releases/; after a restart the link goes
    back to blue, whose checkpoint (its file is not in logs/) must have been kept."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "releases").mkdir()
    blue, green = tmp_path / "releases" / "blue.log", tmp_path / "releases" / "green.log"
    link = tmp_path / "logs" / "app.log"
    blue.write_text(numbered(0, 100))
    green.write_text(numbered(100, 100))
    link.symlink_to(blue)
    configured = with_source(settings, link)
    first = Ingest(redis, keys, configured)
    await first.start()
    assert await first.step() == 100
    link.unlink()
    link.symlink_to(green)
    assert await first.step() == 100
    restarted = Ingest(redis, keys, configured)
    await restarted.start()
    link.unlink()
    link.symlink_to(blue)
    with blue.open("a") as handle:
        handle.write(numbered(200, 10))
    while await restarted.step():
        pass
    ports = sorted(event.source_port or 0 for event in await stream_events(redis, keys))
    assert ports == list(range(210))
