"""Visitors' page windows at steady state, counted against read whole.

    python -m bench.counted [--visitors N] [--pages N]

Fills `pages` page requests for each of `visitors` addresses into their windows (spread over
nine minutes, within the ten-minute crawl window), then times five batches of one request
per visitor through the window script: once with the windows counted (Window.counted_below,
as the detectors declare them) and once read whole, twice each. Prints wall time, Valkey's
CPU-seconds and the time per window key. Live benchmarks of a minute never reach this: their
visitors' windows hold only the minute's pages.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from redis.asyncio import Redis

from detectors import build_detectors
from detectors.counted import read_whole
from detectors.engine import Detection
from detectors.intrusion.web import T0, request
from detectors.windows import load_series
from monitor.events import Event
from monitor.settings import load_settings
from monitor.store import embedded
from monitor.store.connection import open_client
from monitor.store.keys import Keys

BATCHES = 5


def requests(addresses: list[str], path: str, at: timedelta, first: int) -> list[Event]:
    """One request per address, a millisecond apart."""
    return [
        request(ip, path, at=T0 + at + timedelta(milliseconds=n), offset=first + n)
        for n, ip in enumerate(addresses)
    ]


async def valkey_cpu(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def measure(redis: Redis, url: str, visitors: int, pages: int, whole: bool) -> str:
    await redis.flushdb()
    keys = Keys("counted")
    detection = Detection(redis, keys, build_detectors(load_settings(None, {"REDIS_URL": url})))
    if whole:
        detection.windows = read_whole(detection.windows)
    addresses = [f"14.{n // 250}.{n % 250}.1" for n in range(visitors)]
    for page in range(pages):
        at = timedelta(seconds=540 * page / pages)
        batch = requests(addresses, f"/tracking/{page}", at, page * visitors)
        await load_series(redis, keys, detection.windows, batch)
    before, started = await valkey_cpu(redis), time.perf_counter()
    for number in range(BATCHES):
        at, first = timedelta(seconds=545 + number), (pages + number) * visitors
        batch = requests(addresses, f"/next/{number}", at, first)
        await load_series(redis, keys, detection.windows, batch)
    wall = time.perf_counter() - started
    used = await valkey_cpu(redis) - before
    kind = "whole  " if whole else "counted"
    per_key = 1e6 * wall / (BATCHES * visitors)
    return f"{kind} {wall:5.2f} s wall, Valkey {used:5.2f} CPU-s, {per_key:6.1f} µs a key"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=20, help="pages each holds already")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-counted-") as scratch:
        url = embedded.ensure_server(Path(scratch))
        redis = await open_client(url)
        try:
            print(f"{args.visitors:,} visitors of {args.pages} pages, {BATCHES} batches:")
            for whole in (False, True, False, True):
                print(await measure(redis, url, args.visitors, args.pages, whole))
        finally:
            await redis.aclose()
            embedded.release_server(Path(scratch), force=True)


if __name__ == "__main__":
    asyncio.run(main())
