"""Redis memory per tracked entity and per incident.

    python -m bench.memory [--entities N] [--incidents N]

Against a fresh embedded Valkey: N scanner addresses each failing five times against `root`
(their login windows, as the detectors keep them), then N incidents with evidence, each step
measured as the growth of `used_memory`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.account_takeover.logins import failures
from detectors.engine import Detection
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from monitor.settings import load_settings
from monitor.store import embedded
from monitor.store.keys import Keys

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


async def used(redis: aioredis.Redis) -> int:
    return int((await redis.info("memory"))["used_memory"])


async def measure(entities: int, incidents: int, folder: Path) -> tuple[float, float]:
    redis = aioredis.Redis.from_url(embedded.ensure_server(folder))
    settings = load_settings(None, {})
    keys = Keys("memory")
    try:
        detection = Detection(redis, keys, build_detectors(settings))
        before = await used(redis)
        for start in range(0, entities, 1000):
            batch: list[Event] = []
            for n in range(start, min(entities, start + 1000)):
                ip = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                batch += failures(ip, 4, user="root", start=T0 + timedelta(seconds=n % 600))
            await detection.process(batch)
        per_entity = (await used(redis) - before) / entities
        store = IncidentStore(redis, keys, settings.incidents)
        before = await used(redis)
        for start in range(0, incidents, 500):
            findings = [finding(n) for n in range(start, min(incidents, start + 500))]
            await store.record(findings)
        per_incident = (await used(redis) - before) / incidents
        return per_entity, per_incident
    finally:
        await redis.flushdb()
        await redis.aclose()
        embedded.release_server(folder, force=True)


def finding(n: int) -> Finding:
    ip = f"198.18.{n // 256 % 256}.{n % 256}"
    evidence = tuple(event.reference() for event in failures(ip, 5, start=T0))
    return Finding(
        detector="account_takeover.brute_force",
        family="account_takeover",
        severity=Severity.LOW,
        title=f"Brute force from {ip}",
        key=f"ip={ip}",
        entities={"ip": ip},
        first_seen=T0,
        last_seen=T0 + timedelta(seconds=40),
        evidence=evidence,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--incidents", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-memory-") as folder:
        entity, incident = asyncio.run(measure(args.entities, args.incidents, Path(folder)))
    print(f"per tracked entity (an address with 4 failures in its windows): {entity:,.0f} bytes")
    print(f"per incident (5 evidence references, indexes, change entry): {incident:,.0f} bytes")


if __name__ == "__main__":
    main()
