"""What ingest queues on its transaction for each read besides the events: dead letters and
the source's counters (files and journals alike)."""

from __future__ import annotations

from redis.asyncio import Redis

from monitor.parsers.batch import Parsed
from monitor.settings import IngestSettings
from monitor.store.keys import Keys

DEAD_LETTER_LINE_CHARS = 4096


def stage_parsed(
    tx: Redis, keys: Keys, ingest: IngestSettings, source: str, lines: int, parsed: Parsed
) -> None:
    """Queue the read's dead letters (each line cut to a bounded length) and its counts."""
    for dead in parsed.dead:
        tx.xadd(
            keys.dead_letters,
            {
                "path": dead.path,
                "offset": dead.offset,
                "reason": dead.reason,
                "line": dead.line[:DEAD_LETTER_LINE_CHARS],
            },
            maxlen=ingest.dead_letter_maxlen,
            approximate=True,
        )
    for name, value in (
        ("lines", lines),
        ("events", len(parsed.events)),
        ("malformed", len(parsed.dead)),
        ("ignored", parsed.ignored),
    ):
        if value:
            tx.hincrby(keys.source_stats, f"{source}|{name}", value)
