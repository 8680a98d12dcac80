"""The breach record: a hash-chained, append-only log that proves every step was taken.

Each entry carries the SHA-256 of the previous one; changing, removing or reordering any
entry breaks every hash after it, which `verify` finds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from redis.asyncio import Redis

from monitor.events import format_time
from monitor.store.keys import Keys

GENESIS = ""


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the entry without its own hash."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Record:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        retention: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.retention_ms = int(retention.total_seconds() * 1000)
        self.clock = clock
        lua = resources.files("playbooks").joinpath("record.lua").read_text()
        self._append = redis.register_script(lua)

    async def append(self, breach_id: str, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Add an entry linked to the current head; concurrent writers retry until linked."""
        record, head = self.keys.breach(breach_id, "record"), self.keys.breach(breach_id, "head")
        while True:
            previous = (await self.redis.get(head) or b"").decode()
            sequence = await self.redis.llen(record)
            entry: dict[str, Any] = {
                "seq": sequence + 1,
                "at": format_time(self.clock()),
                "kind": kind,
                "data": dict(data),
                "prev": previous,
            }
            entry["hash"] = entry_hash(entry)
            text = json.dumps(entry, ensure_ascii=False, sort_keys=True)
            if await self._append(
                keys=[record, head], args=[previous, text, entry["hash"], self.retention_ms]
            ):
                return entry

    async def entries(self, breach_id: str) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(self.keys.breach(breach_id, "record"), 0, -1)
        return [json.loads(item) for item in raw]


def verify(entries: list[dict[str, Any]]) -> list[str]:
    """Problems found in a chain; empty when every entry links and hashes as written."""
    problems = []
    previous = GENESIS
    for number, entry in enumerate(entries, 1):
        if entry.get("seq") != number:
            problems.append(f"entry {number}: sequence number {entry.get('seq')}")
        if entry.get("prev") != previous:
            problems.append(f"entry {number}: does not link to the entry before it")
        if entry_hash(entry) != entry.get("hash"):
            problems.append(f"entry {number}: its content does not match its hash")
        previous = str(entry.get("hash"))
    return problems
