"""The breach record: an authenticated, hash-chained, append-only log of every step taken.

Each entry carries the HMAC of the previous one, keyed outside Redis (see `seal`); changing,
removing or reordering any entry breaks every link after it. The head and the entry count
are stored beside the chain, and every new head is appended to a file outside Redis and
printed in each e-mail of the breach, so that a truncated or rewritten chain is found too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from redis.asyncio import Redis

from monitor.events import format_time
from monitor.store.keys import Keys
from playbooks.seal import Anchor, Seal

GENESIS = ""


@dataclass(frozen=True, slots=True)
class Head:
    """Where a record stands: how many entries, and the last one's HMAC ("" when empty)."""

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"


HEAD_HEADER = "X-Vigil-Record-Head"  # every e-mail of a breach carries the record's head


def head_headers(head: Head, language: str) -> dict[str, str]:
    return {"Content-Language": language, HEAD_HEADER: str(head)}


def entry_hash(entry: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA-256 over the canonical JSON of the entry without its own hash."""
    body = {name: value for name, value in entry.items() if name != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


class Record:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        retention: timedelta,
        seal: Seal,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.retention_ms = int(retention.total_seconds() * 1000)
        self.seal = seal
        self.clock = clock
        lua = resources.files("playbooks").joinpath("record.lua").read_text()
        self._append = redis.register_script(lua)

    def names(self, breach_id: str) -> list[str]:
        return [self.keys.breach(breach_id, name) for name in ("record", "head", "count")]

    async def append(self, breach_id: str, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Add an entry linked to the current head; concurrent writers retry until linked."""
        names = self.names(breach_id)
        while True:
            previous = (await self.redis.get(names[1]) or b"").decode()
            sequence = await self.redis.llen(names[0])
            entry: dict[str, Any] = {
                "seq": sequence + 1,
                "at": format_time(self.clock()),
                "kind": kind,
                "data": dict(data),
                "prev": previous,
            }
            entry["hash"] = entry_hash(entry, self.seal.key)
            text = json.dumps(entry, ensure_ascii=False, sort_keys=True)
            if await self._append(
                keys=names, args=[previous, text, entry["hash"], self.retention_ms]
            ):
                self.seal.anchor(breach_id, entry)
                return entry

    async def entries(self, breach_id: str) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(self.keys.breach(breach_id, "record"), 0, -1)
        return [json.loads(item) for item in raw]

    async def head(self, breach_id: str) -> Head:
        """The stored head: what the next e-mail of the breach will carry."""
        _, head, count = self.names(breach_id)
        raw_head, raw_count = await self.redis.mget(head, count)
        return Head(int(raw_count or 0), (raw_head or b"").decode())

    async def verify(self, breach_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The entries, and every problem found in them against the head and the anchors."""
        entries = await self.entries(breach_id)
        problems = check_chain(entries, self.seal.key)
        problems += check_head(entries, await self.head(breach_id))
        problems += check_anchors(entries, self.seal.anchored(breach_id))
        return entries, problems


def check_chain(entries: list[dict[str, Any]], key: bytes) -> list[str]:
    """Problems found in a chain; empty when every entry links and authenticates as written."""
    problems = []
    previous = GENESIS
    for number, entry in enumerate(entries, 1):
        if entry.get("seq") != number:
            problems.append(f"entry {number}: sequence number {entry.get('seq')}")
        if entry.get("prev") != previous:
            problems.append(f"entry {number}: does not link to the entry before it")
        if not hmac.compare_digest(entry_hash(entry, key), str(entry.get("hash"))):
            problems.append(f"entry {number}: its content does not match its HMAC")
        previous = str(entry.get("hash"))
    return problems


def check_head(entries: list[dict[str, Any]], head: Head) -> list[str]:
    """The chain must end where the stored head and count say it does."""
    last = str(entries[-1].get("hash")) if entries else GENESIS
    problems = []
    if head.count != len(entries):
        problems.append(f"the record holds {len(entries)} entries, its count says {head.count}")
    if head.hash != last:
        problems.append("the last entry is not the stored head")
    return problems


def check_anchors(entries: list[dict[str, Any]], anchors: list[Anchor]) -> list[str]:
    """Every head written outside Redis must still be in the chain, at its place."""
    missing = [a for a in anchors if a.seq > len(entries)]
    changed = [
        a for a in anchors if a.seq <= len(entries) and entries[a.seq - 1].get("hash") != a.hash
    ]
    problems = []
    if missing:
        last = max(missing, key=lambda a: a.seq)
        problems.append(
            f"entry {last.seq} (anchored {last.at}) is missing: the record was truncated"
        )
    if changed:
        problems.append(
            f"entry {changed[0].seq} differs from the head anchored {changed[0].at}: rewritten"
            + (f" ({len(changed)} anchored heads differ)" if len(changed) > 1 else "")
        )
    return problems
