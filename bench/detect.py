"""Detect CPU alone: what a detect worker and Valkey spend per line, batch by batch, without the
stream or the other processes (their CPU-seconds hold on a busy machine; wall time does not).

    python -m bench.detect [--lines N] [--batch N] [--log FILE] [--flood | --mixed]

Parses bench.ingest's sshd log (or FILE, or with --flood bench.latency's scanner flood at
10,000 lines a second: 2,000 scanners, their windows full, or with --mixed bench.ingest's
access, audit and sshd logs, their events in time order) once, then runs the detectors
over its events in batches of `--batch` (20,000: a worker behind; a few hundred: one that
keeps up live) and stores their findings, against a fresh embedded Valkey. Prints the
process's CPU-seconds and Valkey's, per 1M lines, and the incidents stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis as sync_redis

from bench.ingest import build_log, build_mixed, server_cpu
from bench.latency import TICK, Load
from bench.parse import batches, cpu_seconds
from detectors import build_detectors
from detectors.engine import Detection
from monitor.events import Event
from monitor.incidents import IncidentStore
from monitor.service import tune_garbage_collector
from monitor.settings import Settings, load_settings
from monitor.store.keys import Keys


def build_flood(path: Path, lines: int) -> None:
    """bench.latency's --ssh-only load at 10,000 lines a second, written at once."""
    load, moment = Load(10_000, ssh_only=True), datetime(2026, 3, 1, 9, tzinfo=UTC)
    with path.open("w") as handle:
        for _ in range(lines // load.per_tick):
            handle.writelines(load.tick(moment)["auth.log"])
            moment += timedelta(seconds=TICK)


def parse(settings: Settings) -> tuple[int, list[Event]]:
    """Lines read and the events they make, as ingest would send them, in time order."""
    lines, events = 0, list[Event]()
    for source in settings.sources:
        for read, made in batches(source, settings):
            lines, events = lines + read, events + made
    events.sort(key=lambda event: event.epoch_ms)  # stable: each file keeps its order
    return lines, events


async def detect(settings: Settings, url: str, events: list[Event], batch: int) -> int:
    """Every batch's findings stored, as a worker does; the incidents stored."""
    from monitor.store.connection import open_client

    redis = await open_client(url)
    keys = Keys("bench")
    try:
        window = settings.incidents.suppression_window
        detection = Detection(redis, keys, build_detectors(settings), suppression=window)
        store = IncidentStore(redis, keys, settings.incidents)
        for start in range(0, len(events), batch):
            findings = await detection.process(events[start : start + batch])
            await store.record(findings)
        return int(await redis.zcard(keys.incident_index("all")))
    finally:
        await redis.aclose()


def write_config(folder: Path, args: argparse.Namespace) -> Path:
    """The benchmark's sources, its logs built unless given."""
    if args.mixed:
        logs = build_mixed(folder, args.lines)
    else:
        log = args.log or folder / "auth.log"
        if args.log is None:
            (build_flood if args.flood else build_log)(log, args.lines)
        logs = {log: "sshd"}
    config = folder / "vigil.yaml"
    sources = [
        {"path": str(log), "format": form, "start_at": "beginning"} for log, form in logs.items()
    ]
    config.write_text(json.dumps({"sources": sources}))
    return config


def main() -> None:
    from monitor.store import embedded

    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=20_000, help="events a batch")
    parser.add_argument("--log", type=Path, help="an already built log (else one is built)")
    parser.add_argument("--flood", action="store_true", help="a scanner flood's log")
    parser.add_argument("--mixed", action="store_true", help="access, audit and sshd logs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-detect-") as name:
        folder = Path(name)
        settings = load_settings(write_config(folder, args), {})
        lines, events = parse(settings)
        tune_garbage_collector()  # as `vigil run` does
        url = embedded.ensure_server(folder / "redis")
        server = sync_redis.Redis.from_url(url)
        try:
            valkey, started = server_cpu(server), cpu_seconds()
            incidents = asyncio.run(detect(settings, url, events, args.batch))
            spent, valkey = cpu_seconds() - started, server_cpu(server) - valkey
        finally:
            server.close()
            embedded.release_server(folder / "redis")
    scale = 1_000_000 / max(lines, 1)
    print(
        f"{lines:,} lines, {len(events):,} events in batches of {args.batch:,}: "
        f"detect {spent * scale:.1f}, Valkey {valkey * scale:.1f} CPU-s per 1M lines; "
        f"{incidents:,} incidents"
    )


if __name__ == "__main__":
    main()
