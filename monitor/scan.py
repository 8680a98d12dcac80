"""`vigil scan`: the whole detection path over files from start to end, event time as the clock."""

from __future__ import annotations

import fnmatch
import heapq
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from detectors.engine import Detection
from monitor.events import Event
from monitor.incidents import Incident, IncidentStore
from monitor.parsers import FORMATS, Format, LineContext, detect_format
from monitor.parsers.base import Networks
from monitor.parsers.batch import FileParser
from monitor.parsers.routes import RouteMap
from monitor.pipeline.volume_job import refit_now
from monitor.settings import Settings, SourceSettings
from monitor.sources.follower import Follower

BATCH = 2000


@dataclass(slots=True)
class ScanReport:
    incidents: list[Incident] = field(default_factory=list)
    lines: int = 0
    events: int = 0
    malformed: int = 0


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.shown = sys.stderr.isatty()

    def show(self, done: int) -> None:
        if self.shown:
            share = min(done / self.total, 1.0)
            bar = "#" * int(share * 40)
            sys.stderr.write(f"\rscanning [{bar:<40}] {share:6.1%}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


@dataclass(frozen=True, slots=True)
class Reading:
    """How files named on the command line are read: as the configured source that names
    them would be (its format and zone), else in the default zone, the format detected."""

    settings: Settings
    forced: str | None = None

    def source_of(self, path: str) -> SourceSettings | None:
        absolute = os.path.abspath(path)
        for source in self.settings.sources:
            if fnmatch.fnmatchcase(absolute, os.path.abspath(source.path)):
                return source
        return None

    def zone_of(self, path: str) -> ZoneInfo:
        source = self.source_of(path)
        return ZoneInfo((source and source.timezone) or self.settings.ingest.timezone)

    def proxies_of(self, path: str) -> Networks:
        source = self.source_of(path)
        return source.proxy_networks() if source else ()

    def format_of(self, path: str, head: list[str]) -> Format | None:
        source = self.source_of(path)
        name = self.forced or (source.format if source else "auto")
        return FORMATS[name] if name in FORMATS else detect_format(head)


def read_file(
    path: str, reading: Reading, report: ScanReport, progress: list[int]
) -> Iterator[Event]:
    """The events of one file in file order, counting lines and malformed ones."""
    follower = Follower.open(path, 0, 65536)
    if follower is None:
        raise FileNotFoundError(path)
    head = os.pread(follower.fd, 16384, 0).decode("utf-8", "replace").splitlines()
    parser = FileParser(
        reading.format_of(path, head), RouteMap.from_settings(reading.settings.routes)
    )
    mtime = datetime.fromtimestamp(os.fstat(follower.fd).st_mtime, UTC)
    context = LineContext(path, reading.zone_of(path), mtime, reading.proxies_of(path))
    try:
        while True:
            lines, end = follower.read(BATCH, final=True)
            if not lines:
                break
            progress[0] += end - follower.offset
            follower.offset = end
            parsed = parser.parse(context, lines)
            parser.commit()
            report.lines += len(lines)
            report.malformed += len(parsed.dead)
            yield from parsed.events
    finally:
        follower.close()
    if parser.form is None and follower.offset:
        raise ValueError(f"{path}: no line of a known format; give --format")


async def scan(
    paths: Sequence[str], reading: Reading, detection: Detection, store: IncidentStore
) -> ScanReport:
    report = ScanReport()
    progress = [0]
    bar = Progress(sum(os.path.getsize(path) for path in paths))
    streams = [read_file(path, reading, report, progress) for path in paths]
    touched: dict[str, None] = {}
    batch: list[Event] = []
    day = None
    for event in heapq.merge(*streams, key=lambda event: event.timestamp):
        if event.timestamp.date() != day:
            # A new day in event time: the volume model is refitted, as the service does daily.
            await run_batch(batch, detection, store, touched, report)
            if day is not None:
                await refit_now(detection, event.timestamp)
            day = event.timestamp.date()
        batch.append(event)
        if len(batch) >= BATCH:
            await run_batch(batch, detection, store, touched, report)
            bar.show(progress[0])
    await run_batch(batch, detection, store, touched, report)
    bar.show(progress[0])
    bar.close()
    for incident_id in touched:
        incident = await store.get(incident_id)
        if incident is not None:
            report.incidents.append(incident)
    return report


async def run_batch(
    batch: list[Event],
    detection: Detection,
    store: IncidentStore,
    touched: dict[str, None],
    report: ScanReport,
) -> None:
    report.events += len(batch)
    for change in await store.record(await detection.process(batch)):
        touched[change.incident_id] = None
    batch.clear()
