"""The detect role reloads the directories when their files change, and keeps the last good."""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.bulk_access import record
from detectors.engine import Detection
from monitor.pipeline.directory_job import keep_directories
from monitor.settings import Settings, load_settings
from monitor.store.keys import Keys

CONFIG = Path(__file__).parents[1] / "config"
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
NEWCOMER = "quynh.dang,Dang Thuy Quynh,Warehouse,quynh.dang@als.com.vn,0912000199,no\n"


@dataclass
class Worker:
    detection: Detection


def settings_in(tmp_path: Path) -> Settings:
    for name in ("staff.csv", "customers.csv"):
        shutil.copy(CONFIG / name, tmp_path / name)
    config = tmp_path / "vigil.yaml"
    config.write_text(
        f"directories:\n  staff: {tmp_path / 'staff.csv'}\n"
        f"  customers: {tmp_path / 'customers.csv'}\n"
    )
    return load_settings(config)


async def rebuilt_after(worker: Worker, change: Path, text: str) -> bool:
    """Write `text` at the end of `change` and wait (at most 30 s) for new detectors."""
    before = worker.detection
    with change.open("a", encoding="utf-8") as file:
        file.write(text)
    for _ in range(300):
        if worker.detection is not before:
            return True
        await asyncio.sleep(0.1)
    return False


async def unauthorized(detection: Detection, user: str) -> list[str]:
    view = record("customer-record-view", user, "C-1001", T0)
    return [f.detector for f in await detection.process([view])]


async def test_a_clerk_added_to_the_staff_file_is_judged_by_their_department(
    tmp_path: Path, redis: aioredis.Redis
) -> None:
    settings = settings_in(tmp_path)
    worker = Worker(Detection(redis, Keys("vigil"), build_detectors(settings), isolate=False))
    assert await unauthorized(worker.detection, "quynh.dang") == []  # unknown: no department
    stop = asyncio.Event()
    job = asyncio.create_task(keep_directories(worker, settings, stop))
    await asyncio.sleep(0)  # the job notes the files as they are, and starts watching
    try:
        assert await rebuilt_after(worker, tmp_path / "staff.csv", NEWCOMER)
    finally:
        stop.set()
        await job
    found = await unauthorized(worker.detection, "quynh.dang")
    assert found == ["bulk_access.unauthorized_department"]


async def test_a_broken_directory_keeps_the_detectors_of_the_last_good_one(
    tmp_path: Path, redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_in(tmp_path)
    worker = Worker(Detection(redis, Keys("vigil"), build_detectors(settings), isolate=False))
    kept = worker.detection
    stop = asyncio.Event()
    job = asyncio.create_task(keep_directories(worker, settings, stop))
    await asyncio.sleep(0)  # the job notes the files as they are, and starts watching
    with caplog.at_level(logging.WARNING):
        (tmp_path / "customers.csv").write_text("username,email\ncust-1,a@b.c\n")
        for _ in range(300):
            if "not reloaded" in caplog.text:
                break
            await asyncio.sleep(0.1)
    stop.set()
    await job
    assert worker.detection is kept
    assert "directories.customers" in caplog.text and "no column customer_id" in caplog.text
