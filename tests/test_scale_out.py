"""Several detect workers give the incidents one worker gives, on one simulated week."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import redis.asyncio as aioredis
import yaml

from monitor.incidents import IncidentStore
from monitor.pipeline.ingest import Ingest
from monitor.settings import Settings, load_settings
from monitor.store.keys import Keys

LOGS = ("audit.json", "access.log", "auth.log", "files.json")
Summary = set[tuple[str, str, tuple[str, ...]]]


def simulated_week(folder: Path, redis_url: str) -> tuple[Path, Settings]:
    """A small simulated week, and the config and settings that read its logs."""
    world = folder / "world"
    simulate = ["simulate", "--out", str(world), "--customers", "300", "--days", "6"]
    subprocess.run(
        [sys.executable, "-m", "monitor.cli", *simulate, "--seed", "11"],
        check=True,
        capture_output=True,
    )
    config = world_config(world)
    return config, load_settings(config, {"REDIS_URL": redis_url})


def world_config(world: Path) -> Path:
    """The world's config with its logs as sources, in many small stream entries read one at
    a time: the workers interleave."""
    config = yaml.safe_load((world / "vigil.yaml").read_text())
    config["sources"] = [{"path": str(world / name), "start_at": "beginning"} for name in LOGS]
    config["ingest"] = {"batch_lines": 400}
    config["worker"] = {"batch_entries": 1, "claim_idle": "2s"}
    path = world / "scale-out.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


async def incidents_with(
    workers: int,
    redis: aioredis.Redis,
    settings: Settings,
    config: Path,
    redis_url: str,
    kill_one: bool = False,
) -> tuple[Summary, int]:
    """Ingest the world, drain the stream with `workers` detect processes, summarize.

    With `kill_one`, the first process is killed (SIGKILL) while it holds entries.
    """
    await redis.flushdb()
    keys = Keys("vigil")
    ingest = Ingest(redis, keys, settings)
    await ingest.start()
    while await ingest.step():
        pass
    command = [sys.executable, "-m", "monitor.cli", "--config", str(config)]
    crew = [
        subprocess.Popen(
            [*command, "run", "--role", "detect"],
            env=os.environ | {"REDIS_URL": redis_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        if kill_one:
            while not await holds_entries(redis, keys):
                await asyncio.sleep(0.01)
            crew[0].send_signal(signal.SIGKILL)
        while not await drained(redis, keys):
            await asyncio.sleep(0.1)
    finally:
        for worker in crew:
            worker.terminate()
            worker.wait(timeout=30)
    found = await IncidentStore(redis, keys, settings.incidents).list(limit=10_000)
    summary = {(i.detector, fingerprint_key(i.entities), i.affected_customers) for i in found}
    return summary, len(found)


async def holds_entries(redis: aioredis.Redis, keys: Keys) -> bool:
    """Some worker has entries read and not yet acknowledged, well into the stream."""
    groups = await redis.xinfo_groups(keys.events)
    return bool(groups) and groups[0]["pending"] > 0 and groups[0]["entries-read"] > 20


async def drained(redis: aioredis.Redis, keys: Keys) -> bool:
    groups = await redis.xinfo_groups(keys.events)
    return bool(groups) and groups[0]["lag"] == 0 and groups[0]["pending"] == 0


def fingerprint_key(entities: object) -> str:
    return str(sorted(dict(entities).items()))  # type: ignore[call-overload]


async def test_three_workers_raise_what_one_raises(
    redis: aioredis.Redis, redis_url: str, tmp_path: Path
) -> None:
    config, settings = simulated_week(tmp_path, redis_url)
    alone, alone_count = await incidents_with(1, redis, settings, config, redis_url)
    together, together_count = await incidents_with(3, redis, settings, config, redis_url)
    assert alone, "the world's attacks raise incidents"
    assert together == alone
    assert together_count == alone_count  # no duplicates


async def test_a_worker_killed_mid_stream_leaves_its_entries_to_the_others(
    redis: aioredis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """kill -9 of one of two detect processes: its pending entries are taken over (after
    worker.claim_idle) in stream order, and the incidents are the single worker's."""
    config, settings = simulated_week(tmp_path, redis_url)
    alone, alone_count = await incidents_with(1, redis, settings, config, redis_url)
    survived, survived_count = await incidents_with(
        2, redis, settings, config, redis_url, kill_one=True
    )
    assert survived == alone  # nothing lost, nothing raised differently
    assert survived_count == alone_count  # nothing doubled
