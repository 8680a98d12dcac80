"""The detect path finds today's incidents on a scanner's log, field for field: speed work
changes how they are found, never which (the golden file was written before it began)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bench.ingest import build_log
from detectors import build_detectors
from detectors.engine import Detection
from monitor.incidents import IncidentStore
from monitor.scan import Reading, ScanReport, read_file
from monitor.settings import Settings, load_settings
from monitor.store import scripts
from monitor.store.keys import Keys

GOLDEN = Path(__file__).parent / "samples" / "golden" / "sshd-20000.json"
LINES = 20_000
BATCH = 5_000
# Syslog lines carry no year: the file's modification time gives it, so it is pinned to
# when the golden file was written, or the expected times would move with the calendar.
WRITTEN = datetime(2026, 11, 30, tzinfo=UTC).timestamp()


def scanner_log(path: Path) -> Path:
    build_log(path, LINES)
    os.utime(path, (WRITTEN, WRITTEN))
    return path


async def incidents_of(log: Path, redis: aioredis.Redis, settings: Settings) -> list[list[object]]:
    """Every incident the log raises, as detector, entities, severity, count, first and last
    seen and affected customers, sorted."""
    keys = Keys("golden")
    store = IncidentStore(redis, keys, settings.incidents)
    window = settings.incidents.suppression_window  # extensions gathered as the service does
    detection = Detection(redis, keys, build_detectors(settings), False, window)
    events = list(read_file(str(log), Reading(settings, "sshd"), ScanReport(), [0]))
    touched: set[str] = set()
    for start in range(0, len(events), BATCH):
        findings = await detection.process(events[start : start + BATCH])
        touched.update(change.incident_id for change in await store.record(findings))
    found = await store.get_many(sorted(touched))
    rows = [
        [
            i.detector,
            sorted(i.entities.items()),
            i.severity.value,
            i.event_count,
            i.first_seen,
            i.last_seen,
            i.title,
        ]
        for i in found
    ]
    return sorted(json.loads(json.dumps(rows)))


# Arguments a window pipeline carries: the default, and dozens of pipelines a batch, whose
# replies must still meet their keys in order (monitor.store.scripts.run_many).
@pytest.mark.parametrize("pipeline_arguments", [scripts.PIPELINE_ARGUMENTS, 200])
async def test_a_scanner_log_raises_the_incidents_it_always_raised(
    tmp_path: Path,
    redis: aioredis.Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    pipeline_arguments: int,
) -> None:
    monkeypatch.setattr(scripts, "PIPELINE_ARGUMENTS", pipeline_arguments)
    found = await incidents_of(scanner_log(tmp_path / "auth.log"), redis, settings)
    expected = json.loads(GOLDEN.read_text())
    assert len(found) == len(expected)
    assert found == expected


async def write_golden(redis_url: str) -> None:
    """By hand, before the detect path changes: `python -m tests.test_same_incidents URL`."""
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    log = scanner_log(GOLDEN.with_suffix(".log.tmp"))
    rows = await incidents_of(log, client, load_settings(None, {"REDIS_URL": redis_url}))
    log.unlink()
    GOLDEN.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n")
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(write_golden(sys.argv[1]))
