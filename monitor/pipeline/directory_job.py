"""The detect role's directory watch: detectors rebuilt when the staff or customer file changes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from detectors import build_detectors
from detectors.engine import Detection
from monitor.pipeline.volume_job import holders
from monitor.settings import ConfigError, Settings, shipped_file
from monitor.sources.watch import watch

log = logging.getLogger(__name__)
# A directory is often written in several steps (an export, an editor's save): let it settle.
SETTLE_SECONDS = 1.0

Stamp = tuple[int, int, int] | None


class Detecting(Protocol):
    """What runs the detectors (the detect worker): its detection is swapped between batches."""

    detection: Detection


def directory_paths(settings: Settings) -> tuple[Path, Path]:
    return shipped_file(settings.directories.staff), shipped_file(settings.directories.customers)


def stamps(paths: tuple[Path, ...]) -> tuple[Stamp, ...]:
    """Each file's inode, size and modification time (None while it is missing)."""
    found: list[Stamp] = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            found.append(None)
            continue
        found.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


async def first_of(*events: asyncio.Event) -> None:
    """Wait until any of `events` is set."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def rebuilt(detection: Detection, settings: Settings) -> Detection:
    """The detectors built again from the directories as they are now, with the volume model
    and the windows' running tallies carried over. Raises ConfigError if a file is unusable."""
    models = holders(detection)
    detectors = build_detectors(settings, models[0] if models else None)
    fresh = Detection(
        detection.redis, detection.keys, detectors, detection.isolate, detection.suppression
    )
    fresh.tallies, fresh.errors = detection.tallies, detection.errors
    return fresh


async def keep_directories(worker: Detecting, settings: Settings, stop: asyncio.Event) -> None:
    """Until `stop`: when a directory file changes, detect with its new content; a file that
    cannot be used keeps the detectors built from the last good copies, with a warning."""
    paths = directory_paths(settings)
    changed = asyncio.Event()
    observer = watch([str(path) for path in paths], changed)
    seen = stamps(paths)
    try:
        while not stop.is_set():
            await first_of(changed, stop)
            changed.clear()
            if stamps(paths) == seen:
                continue
            await asyncio.sleep(SETTLE_SECONDS)
            seen = stamps(paths)
            try:
                worker.detection = rebuilt(worker.detection, settings)
            except ConfigError as error:
                log.warning("directories not reloaded, detecting with the last good: %s", error)
                continue
            log.info("directories changed: detectors rebuilt")
    finally:
        observer.stop()
        observer.join(timeout=5)
