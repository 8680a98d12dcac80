"""Ingest CPU alone: the CPU-seconds one ingest process spends per 1M lines of bench.ingest's log.

    python -m bench.parse [--lines N] [--mode parse|ingest] [--log FILE] [--batch N]

`parse` drives one FileParser over the file's lines and encodes the events as the stream
carries them (no Redis); `ingest` runs Ingest's steps, Redis transactions included, against
a fresh embedded Valkey until every line is read. Either prints the process's own user+sys
seconds (Valkey's are its own), per 1M lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.ingest import build_log
from monitor.events import Event
from monitor.parsers import FORMATS
from monitor.parsers.batch import FileParser
from monitor.pipeline.ingest import Ingest, line_context
from monitor.service import tune_garbage_collector
from monitor.settings import Settings, SourceSettings, load_settings
from monitor.sources.follower import Follower
from monitor.store.keys import Keys
from monitor.wire import encode_events


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def batches(source: SourceSettings, settings: Settings) -> Iterator[tuple[int, list[Event]]]:
    """Each batch ingest would read from `source`: how many lines, and the events made."""
    follower = Follower.open(source.path, 0, settings.ingest.max_line_bytes)
    assert follower is not None
    parser = FileParser(FORMATS[source.format])
    while True:
        read, end = follower.read(settings.ingest.batch_lines)
        if not read:
            return
        parsed = parser.parse(line_context(source, follower, "UTC"), read)
        yield len(read), parsed.events
        parser.commit()
        follower.offset = end


def parse_only(settings: Settings) -> tuple[int, int]:
    """Lines read and events made, batch by batch as ingest reads and encodes them."""
    lines = events = 0
    for read, made in batches(settings.sources[0], settings):
        if made:
            encode_events(made)
        lines, events = lines + read, events + len(made)
    return lines, events


async def ingest_all(settings: Settings, folder: Path, lines: int) -> int:
    """Ingest's steps until every line is read; the lines read."""
    from monitor.store import embedded
    from monitor.store.connection import open_client

    url = embedded.ensure_server(folder / "redis")
    redis = await open_client(url)
    try:
        ingest = Ingest(redis, Keys("bench"), settings)
        await ingest.start()
        read = 0
        while read < lines:
            step = await ingest.step()
            if step == 0:
                break
            read += step
        return read
    finally:
        await redis.aclose()
        embedded.release_server(folder / "redis")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--mode", choices=("parse", "ingest"), default="ingest")
    parser.add_argument("--log", type=Path, help="an already built log (else one is built)")
    parser.add_argument("--batch", type=int, help="ingest.batch_lines (else its default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-parse-") as name:
        folder = Path(name)
        log = args.log or folder / "auth.log"
        if args.log is None:
            build_log(log, args.lines)
        config = folder / "vigil.yaml"
        source = {"path": str(log), "format": "sshd", "start_at": "beginning"}
        ingest = {"batch_lines": args.batch} if args.batch else {}
        config.write_text(json.dumps({"sources": [source], "ingest": ingest}))
        settings = load_settings(config, {})
        tune_garbage_collector()  # as `vigil run` does
        started = cpu_seconds()
        if args.mode == "parse":
            count, events = parse_only(settings)
        else:
            count = asyncio.run(ingest_all(settings, folder, args.lines))
            events = 0
        spent = cpu_seconds() - started
    per_million = spent / max(count, 1) * 1_000_000
    print(
        f"{args.mode}: {count:,} lines ({events:,} events) in {spent:.2f} CPU-s: "
        f"{per_million:.1f} CPU-s per 1M lines, {per_million:.1f} µs a line"
    )


if __name__ == "__main__":
    main()
