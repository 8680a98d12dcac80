"""The composition root: wire Redis, sources, workers and incidents into a running service."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from monitor.incidents import Incident, IncidentStore
from monitor.pipeline.folder_watch import watch_folders
from monitor.pipeline.ingest import Ingest
from monitor.settings import Settings, SourceType
from monitor.sources.watch import watch
from monitor.store.connection import advise_listpacks, connect
from monitor.store.keys import Keys
from monitor.store.streams import keep_going, newest_id

if TYPE_CHECKING:
    from detectors.engine import Detection
    from monitor.pipeline.worker import Worker

log = logging.getLogger(__name__)

OnIncident = Callable[[Incident, str], Awaitable[None]]


class Role(StrEnum):
    ALL = "all"
    INGEST = "ingest"
    DETECT = "detect"
    RESPOND = "respond"  # alerts, escalations, the outbox and the web side


# The roles whose console shows incidents as they are created or escalated: the one-process
# service, and respond, whose operator acts on them. Ingest never sees an incident, and detect
# (the critical path) would pay a poll of the change stream and a fetch per change for a
# printout nobody watches there: each says where to look instead.
PRINTS_INCIDENTS = frozenset({Role.ALL, Role.RESPOND})


@dataclass(frozen=True, slots=True)
class Vigil:
    """The parts every command works with."""

    settings: Settings
    redis: Redis
    keys: Keys
    store: IncidentStore
    url: str

    # The detect side is imported when asked for: an ingest process has no use for the
    # detectors, and importing them cost it half a CPU-second at every start.
    def detection(self, isolate: bool = True) -> Detection:
        from detectors import build_detectors
        from detectors.engine import Detection

        detectors = build_detectors(self.settings)
        window = self.settings.incidents.suppression_window
        return Detection(self.redis, self.keys, detectors, isolate, window)

    def worker(self) -> Worker:
        from monitor.pipeline.worker import Worker

        return Worker(self.redis, self.keys, self.settings.worker, self.detection(), self.store)


@asynccontextmanager
async def open_vigil(settings: Settings) -> AsyncIterator[Vigil]:
    async with connect(settings) as (redis, url):
        keys = Keys(settings.redis.prefix)
        yield Vigil(settings, redis, keys, IncidentStore(redis, keys, settings.incidents), url)


def tune_garbage_collector() -> None:
    """Fewer cyclic collections: a batch allocates thousands of short-lived, acyclic events.

    With the default threshold (700) the collector runs many times per batch; what
    startup loaded is frozen out of its sight. At 50,000 a young collection still came
    every 20,000 lines and walked the batch in flight (23 ms each, 4 % of the detect
    worker's time on the sshd log); at 200,000 it comes when cycles have piled up.
    """
    gc.freeze()
    gc.set_threshold(200_000, 20, 20)


async def run(
    vigil: Vigil, role: Role, stop: asyncio.Event, on_incident: OnIncident | None = None
) -> None:
    """Run the role's loops until `stop` is set; each loop finishes its batch first."""
    tune_garbage_collector()
    async with asyncio.TaskGroup() as group:
        if role in (Role.ALL, Role.INGEST):
            group.create_task(run_ingest(vigil, stop))
        if role in (Role.ALL, Role.DETECT):
            from monitor.pipeline.directory_job import keep_directories
            from monitor.pipeline.volume_job import keep_volume_model

            await advise_listpacks(vigil.redis)
            worker = vigil.worker()
            group.create_task(worker.run(stop))
            group.create_task(keep_volume_model(worker.detection, stop))
            group.create_task(keep_directories(worker, vigil.settings, stop))
        if role in (Role.ALL, Role.RESPOND):
            # Imported here: ingest and detect processes need none of the web and mail stack.
            from monitor.respond import respond

            group.create_task(respond(vigil, stop))
        if on_incident is not None and role in PRINTS_INCIDENTS:
            group.create_task(follow_incidents(vigil, stop, on_incident))


async def run_ingest(vigil: Vigil, stop: asyncio.Event) -> None:
    wake = asyncio.Event()
    files = [source.path for source in vigil.settings.sources if source.type is SourceType.FILE]
    observer = watch(files, wake)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(watch_folders(vigil.redis, vigil.keys, vigil.settings, stop))
            group.create_task(Ingest(vigil.redis, vigil.keys, vigil.settings).run(stop, wake))
    finally:
        observer.stop()
        observer.join(timeout=5)


async def follow_incidents(vigil: Vigil, stop: asyncio.Event, on_incident: OnIncident) -> None:
    """Call `on_incident` for each change on the incident change stream from now on."""
    last = await newest_id(vigil.redis, vigil.keys.incident_changes)

    async def poll() -> None:
        nonlocal last
        reply = await vigil.redis.xread({vigil.keys.incident_changes: last}, block=500, count=100)
        for _, entries in reply or []:
            for entry_id, fields in entries:
                last = entry_id.decode()
                incident = await vigil.store.get(fields[b"id"].decode())
                if incident is not None:
                    await on_incident(incident, fields[b"state"].decode())

    await keep_going(stop, poll, "the incident printer")


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
