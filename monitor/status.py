"""`vigil status`: sources and their lag, dead letters, the stream, workers, Redis, and the
directories (rows skipped, departments the allow-list does not know)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import ResponseError

from monitor.directory_files import directory_status
from monitor.incidents import Status
from monitor.lag import seconds_behind
from monitor.pipeline.journals import checkpoint_key
from monitor.pipeline.stream_cap import TRIMMED_UNREAD
from monitor.pipeline.worker import GROUP
from monitor.service import Vigil
from monitor.settings import SourceType
from monitor.sources.tailer import Book
from monitor.store.connection import display_url
from notifications.outbox import Outbox
from playbooks.signing import refusal


async def collect(vigil: Vigil) -> dict[str, Any]:
    redis, keys = vigil.redis, vigil.keys
    book = Book.from_redis(await redis.hgetall(keys.checkpoints))
    stats = {k.decode(): int(v) for k, v in (await redis.hgetall(keys.source_stats)).items()}
    sources = []
    for path, identity in sorted(book.paths.items()):
        checkpoint = book.files.get(identity)
        size = os.path.getsize(path) if os.path.exists(path) else None
        offset = checkpoint.offset if checkpoint else None
        sources.append(
            {
                "path": path,
                "offset": offset,
                "size": size,
                "lag_bytes": (size - offset) if size is not None and offset is not None else None,
                **{
                    name: stats.get(f"{path}|{name}", 0)
                    for name in ("lines", "events", "ignored", "malformed")
                },
            }
        )
    info = await redis.info()
    return {
        "redis": {
            "url": display_url(vigil.settings),
            "version": info.get("redis_version"),
            "used_memory": info.get("used_memory_human"),
        },
        "sources": sources,
        "file_sources": await file_source_status(vigil),
        "journals": await journal_status(vigil, stats),
        "dead_letters": await redis.xlen(keys.dead_letters),
        "stream": {
            **await stream_status(vigil),
            # Lines ingest.stream_maxlen dropped before the detect group read them: lost.
            "trimmed_unread": stats.get(TRIMMED_UNREAD, 0),
        },
        "outbox": await Outbox(redis, keys).counts(),
        "incidents": {
            str(s): await redis.zcard(keys.incident_index(f"status:{s}")) for s in Status
        },
        "directories": directory_status(vigil.settings),
        "organisation": {"blanks": list(vigil.settings.organisation.blanks())},
    }


async def file_source_status(vigil: Vigil) -> list[dict[str, Any]]:
    """Each configured path or glob: `reading`, or `stalled` with why (its files cannot be
    read: the other sources go on); `not started` before ingest first looked at it."""
    raw = await vigil.redis.hgetall(vigil.keys.source_health)
    health = {k.decode(): json.loads(v) for k, v in raw.items()}
    return [
        {"path": source.path, **health.get(source.path, {"state": "not started", "detail": ""})}
        for source in vigil.settings.sources
        if source.type is SourceType.FILE
    ]


async def journal_status(vigil: Vigil, stats: dict[str, int]) -> list[dict[str, Any]]:
    """Each journald source: its committed cursor, what journalctl is doing, its counts."""
    redis, keys = vigil.redis, vigil.keys
    health = {
        k.decode(): json.loads(v) for k, v in (await redis.hgetall(keys.source_health)).items()
    }
    journals = []
    for source in vigil.settings.sources:
        if source.type is not SourceType.JOURNALD:
            continue
        key = checkpoint_key(source.journal)
        cursor = await redis.hget(keys.checkpoints, key)
        journals.append(
            {
                "name": source.journal,
                "cursor": cursor.decode() if cursor else None,
                **health.get(source.journal, {"state": "not started", "detail": ""}),
                **{
                    name: stats.get(f"{key}|{name}", 0)
                    for name in ("lines", "events", "ignored", "malformed")
                },
            }
        )
    return journals


async def stream_status(vigil: Vigil) -> dict[str, Any]:
    redis, keys = vigil.redis, vigil.keys
    length = await redis.xlen(keys.events)
    try:
        groups = await redis.xinfo_groups(keys.events)
        consumers = await redis.xinfo_consumers(keys.events, GROUP)
    except ResponseError:
        behind = round(await seconds_behind(redis, keys, datetime.now(UTC)), 1)
        return {
            "length": length,
            "behind_seconds": behind,
            "pending": 0,
            "lag": length,
            "consumers": [],
        }
    group = next((g for g in groups if g["name"].decode() == GROUP), None)
    return {
        "length": length,
        "behind_seconds": round(await seconds_behind(redis, keys, datetime.now(UTC)), 1),
        "pending": group["pending"] if group else 0,
        "lag": group.get("lag") if group else length,
        "consumers": [
            {"name": c["name"].decode(), "pending": c["pending"], "idle_ms": c["idle"]}
            for c in consumers
        ],
    }


async def show(vigil: Vigil, as_json: bool) -> int:
    if refused := refusal(vigil.settings.breach.authority_delivery, vigil.settings.signing):
        print(f"vigil: {refused}", file=sys.stderr)
        return 2  # the respond role would refuse to start: say so before anything looks fine
    report = await collect(vigil)
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    redis = report["redis"]
    print(f"Redis      {redis['url']}  version {redis['version']}  memory {redis['used_memory']}")
    stream = report["stream"]
    print(
        f"Stream     {stream['length']} entries, {stream['pending']} pending, lag {stream['lag']}, "
        f"detection {stream['behind_seconds']:,.0f} s behind the logs"
    )
    if stream["trimmed_unread"]:
        print(
            f"  LOST     {stream['trimmed_unread']} lines dropped by ingest.stream_maxlen "
            "before any worker read them"
        )
    for consumer in stream["consumers"]:
        print(
            f"  worker   {consumer['name']}  pending {consumer['pending']}  "
            f"idle {consumer['idle_ms']} ms"
        )
    print(f"Dead letters {report['dead_letters']}")
    outbox = report["outbox"]
    print(
        f"Outbox     {outbox['due']} waiting, {outbox['dead']} dead"
        + ("  (see `vigil outbox dead`)" if outbox["dead"] else "")
    )
    print("Sources")
    for source in report["file_sources"]:
        if source["state"] != "reading":
            print(f"  {source['path']}  {source['state'].upper()}  {source['detail']}".rstrip())
    for source in report["sources"]:
        print(
            f"  {source['path']}  offset {source['offset']}/{source['size']}  "
            f"lag {source['lag_bytes']} B  lines {source['lines']}  events {source['events']}  "
            f"malformed {source['malformed']}"
        )
    for journal in report["journals"]:
        print(
            f"  journald:{journal['name']}  {journal['state']}  entries {journal['lines']}  "
            f"events {journal['events']}  malformed {journal['malformed']}"
        )
        if journal["detail"]:
            print(f"    {journal['detail']}")
    counts = report["incidents"]
    print("Incidents  " + "  ".join(f"{name} {count}" for name, count in counts.items()))
    print("Directories")
    for directory in report["directories"]:
        for line in directory_lines(directory):
            print(line)
    blanks = report["organisation"]["blanks"]
    if blanks:
        print(
            f"Organisation  {len(blanks)} Form 08 fields not configured, printed as blanks to fill:"
        )
        print("  " + ", ".join(blanks))
    return 0


def directory_lines(directory: dict[str, Any]) -> list[str]:
    """One directory for a screen: what it holds, what it skipped, what that costs."""
    head = f"  {directory['key']}  {directory['path']}"
    if "error" in directory:
        return [
            f"{head}  UNUSABLE: {directory['error']}",
            "    lost until it is readable (`vigil run`, `scan` and `breach` refuse to start): "
            + ", ".join(directory["disabled"]),
        ]
    bad = directory["bad_rows"]
    lines = [f"{head}  {directory['entries']} entries, {len(bad)} bad rows skipped"]
    lines += [f"    line {row['line']}: {row['reason']}" for row in bad]
    unknown = directory.get("unknown_departments") or {}
    if unknown:
        named = ", ".join(f"{name} ({count} staff)" for name, count in unknown.items())
        lines += [
            f"    departments not in detectors.allowed_departments: {named}",
            "    their staff are treated as not allowed to touch customer data: each record "
            "they read raises bulk_access.unauthorized_department (check the spelling, or "
            "add the department to the allow-list if policy section 6 allows it)",
        ]
    return lines
