"""Window updates in stream order across detect workers.

Each worker reads its own entries, but a window must see the batches in the order the
stream holds them, or two workers that share an entity count it differently from one. A
batch waits until the entry before it has had its windows written (a watermark in Redis),
writes its own, and moves the watermark on; evaluating and storing still run in parallel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from monitor.store.keys import Keys

log = logging.getLogger(__name__)
POLL_SECONDS = 0.002
# Moves the watermark forward only (an older batch replayed after a crash leaves it).
ADVANCE = """
local current = redis.call('GET', KEYS[1])
local function parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
if current then
  local cms, cseq = parts(current)
  local nms, nseq = parts(ARGV[1])
  if nms < cms or (nms == cms and nseq <= cseq) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


def order(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


class StreamTurn:
    """One batch of entries [first, last]: wait for the entry before `first`, then mark `last`."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        first: bytes,
        last: bytes,
        patience: float,
        rescue: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.first = first.decode()
        self.last = last.decode()
        self.patience = patience
        # Takes over a silent worker's entries (they are the ones this batch waits for).
        self.rescue = rescue

    async def wait(self) -> None:
        before = await self.redis.xrevrange(self.keys.events, f"({self.first}", "-", count=1)
        if not before:
            return  # the first entry the stream still holds: nothing to wait for
        needed = order(before[0][0])
        loop = asyncio.get_running_loop()
        deadline, rescue = loop.time() + self.patience, self.rescue
        while True:
            applied = await self.redis.get(self.keys.windows_applied)
            if applied is not None and order(applied) >= needed:
                return
            if loop.time() > deadline and rescue is not None:
                # The worker holding it went silent: take its entries over, in order, first.
                await rescue()
                deadline, rescue = loop.time() + self.patience, None
            elif loop.time() > deadline:
                log.warning("entry %s goes on without the one before it", self.first)
                return
            await asyncio.sleep(POLL_SECONDS)

    async def done(self) -> None:
        await self.redis.eval(ADVANCE, 1, self.keys.windows_applied, self.last)
