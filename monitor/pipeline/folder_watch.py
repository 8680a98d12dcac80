"""The ingest role's folder watcher: looks at watched folders and commits what changed."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from monitor.settings import Settings
from monitor.sources.folders import Scan, Seen, folders, look
from monitor.sources.watch import watch
from monitor.store.keys import Keys
from monitor.wire import encode_entry

log = logging.getLogger(__name__)
# A field of the files hash saying a baseline exists (an empty folder is a baseline too).
BASELINE = "\x00baseline"


async def watch_folders(redis: Redis, keys: Keys, settings: Settings, stop: asyncio.Event) -> None:
    """Until `stop`: look at the folders on start, on every watchdog notice and every poll."""
    config = settings.folders
    if not config.integrity and not config.exports:
        return
    wake = asyncio.Event()
    observer = watch(list(folders(config)), wake)
    try:
        stored = await redis.hgetall(keys.folder_files)
        first = BASELINE.encode() not in stored
        known = {k.decode(): Seen.from_json(v) for k, v in stored.items() if k != BASELINE.encode()}
        while not stop.is_set():
            try:
                scan = await asyncio.to_thread(look, config, known, first)
                await commit(redis, keys, scan, known, settings)
                known, first = dict(scan.seen), False
            except (RedisError, OSError) as error:
                log.warning("folder watch paused: %s", type(error).__name__)
            wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            timeout = config.poll_interval.total_seconds()
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.sleep(0.2)  # let a burst of writes settle before hashing
    finally:
        observer.stop()
        observer.join(timeout=5)


async def commit(
    redis: Redis, keys: Keys, scan: Scan, known: dict[str, Seen], settings: Settings
) -> None:
    """The events and the files' new state together, or neither: a crash re-detects them."""
    changed = {path: seen.to_json() for path, seen in scan.seen.items() if known.get(path) != seen}
    if not changed and not scan.gone and not scan.events and known:
        return
    async with redis.pipeline(transaction=True) as tx:
        if scan.events:
            tx.xadd(
                keys.events,
                encode_entry(scan.events),
                maxlen=settings.ingest.stream_maxlen,
                approximate=True,
            )
        tx.hset(keys.folder_files, mapping={BASELINE: "1", **changed})
        if scan.gone:
            tx.hdel(keys.folder_files, *scan.gone)
        await tx.execute()
    for event in scan.events:
        log.info("%s %s", event.action, event.file_path)
