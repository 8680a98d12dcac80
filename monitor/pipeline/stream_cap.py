"""ingest.stream_maxlen counted in lines: past it the oldest entries go, and the lines in them
that a consumer group had not read yet are counted and logged, never dropped quietly."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from redis.asyncio import Redis

from monitor.pipeline.turns import order
from monitor.store.keys import Keys

log = logging.getLogger(__name__)

# The source_stats field counting lines the cap dropped before any worker read them.
TRIMMED_UNREAD = "stream|trimmed_unread"


class StreamCap:
    """The entries this ingest added that are still in the stream, with their line counts.

    Workers trim the stream from its head once every group has acknowledged, so the stream's
    length says how many of the newest are still there. Entries in the stream before this
    process started are not counted: the cap holds what it adds.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: deque[tuple[bytes, int]] = deque()
        self.lines = 0

    def added(self, entry_id: bytes, lines: int, length: int) -> list[tuple[bytes, int]]:
        """Note an entry; the stream now holds `length` entries. Returns the entries to cut."""
        self.entries.append((entry_id, lines))
        self.lines += lines
        while len(self.entries) > length:  # the workers trimmed these: every group has read them
            self.lines -= self.entries.popleft()[1]
        cut: list[tuple[bytes, int]] = []
        while self.lines > self.limit and self.entries:
            entry = self.entries.popleft()
            self.lines -= entry[1]
            cut.append(entry)
        return cut


async def trim(redis: Redis, keys: Keys, cut: list[tuple[bytes, int]], limit: int) -> int:
    """Cut the entries from the stream's head; count and log the lines no group had read."""
    groups: list[dict[str, Any]] = await redis.xinfo_groups(keys.events)
    read = [order(group["last-delivered-id"]) for group in groups]
    unread = sum(lines for entry_id, lines in cut if not read or order(entry_id) > min(read))
    ms, seq = order(cut[-1][0])
    async with redis.pipeline(transaction=True) as tx:
        tx.xtrim(keys.events, minid=f"{ms}-{seq + 1}")
        if unread:
            tx.hincrby(keys.source_stats, TRIMMED_UNREAD, unread)
        await tx.execute()
    if unread:
        log.warning(
            "the event stream holds more than ingest.stream_maxlen (%d lines): %d lines no "
            "detect worker had read were dropped (start workers, or raise the cap)",
            limit,
            unread,
        )
    return unread
