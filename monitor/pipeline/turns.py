"""Window updates and incident writes in stream order across detect workers.

Each worker reads its own entries, but a window must see the batches in the order the
stream holds them, and an incident must take their findings in that order (an extension
stored before the crossing it extends is lost), or two workers that share an entity count
it differently from one. A batch waits until the entry before it has had its windows
written (a watermark in Redis), writes its own, and moves the watermark on; then the same
with a second watermark for storing its findings. Decoding and evaluating run in parallel.

A batch's Redis round trips are few: noting it in flight also asks whether its windows'
turn has come, asking for the findings' turn also renews its hold, and moving the second
watermark also acknowledges it. Only a batch that must wait asks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from monitor.store.keys import Keys

log = logging.getLogger(__name__)
GROUP = "detect"
# A batch's first look for its turn comes soon, then ever less often: workers waiting in
# line do not keep Redis and the cores busy asking.
POLL_SECONDS = 0.002
LONGEST_POLL_SECONDS = 0.02
BEFORE = """
local function parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function before(a, b)
  local ams, aseq = parts(a)
  local bms, bseq = parts(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
"""
# The entry just before `first` in the stream, unless none is left or the watermark `mark`
# has passed it: '' when the batch's turn has come.
WAITS_FOR = """
local function waits_for(stream, mark, first)
  local prior = redis.call('XREVRANGE', stream, '(' .. first, '-', 'COUNT', 1)[1]
  if not prior then
    return ''
  end
  local applied = redis.call('GET', mark)
  if applied and not before(applied, prior[1]) then
    return ''
  end
  return prior[1]
end
"""
# Moves the watermark forward only (an older batch replayed after a crash leaves it).
ADVANCE = """
local function advance(mark, last)
  local current = redis.call('GET', mark)
  if current and not before(current, last) then
    return 0
  end
  redis.call('SET', mark, last)
  return 1
end
"""
# KEYS: in-flight hash, stream. ARGV: group, the batch's earliest event (ms), its entries
# (in stream order). Notes each entry's earliest event (the lower if noted twice), forgets
# entries no longer pending (acknowledged, or trimmed away), and returns the earliest of all
# in flight; 0 (trim nothing) while an earlier entry is read but not noted yet: its worker
# was slower to decode, and what its events will read, this batch's trims must leave.
NOTE = """
-- Past this many earlier entries pending, one unnoted among them is assumed (trim nothing).
local UNNOTED_LIMIT = 1000
local function note()
  local earliest = tonumber(ARGV[2])
  for i = 3, #ARGV do
    local known = redis.call('HGET', KEYS[1], ARGV[i])
    if not known or tonumber(known) > earliest then
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[2])
    end
  end
  local oldest = redis.call('XPENDING', KEYS[2], ARGV[1])[2]
  local floor = earliest
  local held = redis.call('HGETALL', KEYS[1])
  for j = 1, #held, 2 do
    if not oldest or before(held[j], oldest) then
      redis.call('HDEL', KEYS[1], held[j])
    elseif tonumber(held[j + 1]) < floor then
      floor = tonumber(held[j + 1])
    end
  end
  local earlier = redis.call('XPENDING', KEYS[2], ARGV[1], '-', '(' .. ARGV[3], UNNOTED_LIMIT)
  if #earlier == UNNOTED_LIMIT then
    return 0
  end
  for _, entry in ipairs(earlier) do
    if redis.call('HEXISTS', KEYS[1], entry[1]) == 0 then
      return 0
    end
  end
  return floor
end
"""
REGISTER = BEFORE + NOTE + "return note()\n"
WAITS = BEFORE + WAITS_FOR + "return waits_for(KEYS[1], KEYS[2], ARGV[1])\n"
MOVE = BEFORE + ADVANCE + "return advance(KEYS[1], ARGV[1])\n"
# As REGISTER, KEYS[3] the windows' watermark: also whether the batch's turn for its windows
# has come ('') or the entry it waits for.
REGISTER_TURN = (
    BEFORE + NOTE + WAITS_FOR + "return {note(), waits_for(KEYS[2], KEYS[3], ARGV[3])}\n"
)
# KEYS: stream. ARGV: group, consumer, then entries from ARGV[from]. Whether the consumer still
# holds every entry (another did not take them over); if so its hold is renewed (idle time
# back to 0), so that none is taken over while it stores.
HOLDS = """
local function holds(from)
  for i = from, #ARGV do
    local found = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
    if #found == 0 or found[1][2] ~= ARGV[2] then
      return 0
    end
  end
  local claim = {KEYS[1], ARGV[1], ARGV[2], 0}
  for i = from, #ARGV do claim[#claim + 1] = ARGV[i] end
  claim[#claim + 1] = 'JUSTID'
  redis.call('XCLAIM', unpack(claim))
  return 1
end
"""
RENEW = HOLDS + "return holds(3)\n"
# KEYS: stream, findings' watermark. ARGV: group, consumer, entries. The entry the batch
# waits for to store its findings; if none, whether the consumer holds (and renewed) them.
RENEW_IN_TURN = (
    BEFORE
    + WAITS_FOR
    + HOLDS
    + """
local waiting = waits_for(KEYS[1], KEYS[2], ARGV[3])
if waiting ~= '' then
  return waiting
end
return holds(3)
"""
)
# KEYS: stream, in-flight hash. ARGV: group, entries. Acknowledged and forgotten together.
SETTLE = """
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
redis.call('HDEL', KEYS[2], unpack(ARGV, 2))
return 1
"""
# KEYS: stream, in-flight hash, findings' watermark. ARGV: group, the batch's last entry,
# its entries. The watermark moved on, the entries acknowledged and forgotten, at once.
FINISH = (
    BEFORE
    + ADVANCE
    + """
advance(KEYS[3], ARGV[2])
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 3))
redis.call('HDEL', KEYS[2], unpack(ARGV, 3))
return 1
"""
)


def order(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


async def register(redis: Redis, keys: Keys, group: str, ids: list[str], earliest: int) -> int:
    """Note the batch's entries as in flight; the earliest event any batch in flight holds
    (0 while an earlier entry read is not noted yet: the batch's trims then wait)."""
    script = redis.register_script(REGISTER)
    return int(await script(keys=[keys.in_flight, keys.events], args=[group, earliest, *ids]))


async def settle(redis: Redis, keys: Keys, group: str, ids: list[str]) -> None:
    """Acknowledge the entries and take them off the in-flight list, at once."""
    await redis.register_script(SETTLE)(keys=[keys.events, keys.in_flight], args=[group, *ids])


async def renew(redis: Redis, keys: Keys, group: str, consumer: str, ids: list[str]) -> bool:
    """Whether `consumer` still holds the entries; if so none is taken over for a while."""
    script = redis.register_script(RENEW)
    return bool(await script(keys=[keys.events], args=[group, consumer, *ids]))


class StreamTurn:
    """One batch of entries [first, last]: wait for the entry before `first` to have passed
    the watermark `mark` (a key), then move the watermark to `last`."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        mark: str,
        batch: tuple[bytes, bytes],
        patience: float,
        rescue: Callable[[], Awaitable[object]] | None = None,
        after: asyncio.Event | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.stream = keys.events
        self.mark = mark
        self.first, self.last = batch[0].decode(), batch[1].decode()
        self.patience = patience
        # Takes over a silent worker's entries (they are the ones this batch waits for).
        self.rescue = rescue
        # The turn is known to have come (a watermark only moves on): wait() asks nothing.
        self.ready = False
        # The `over` of the same worker's batch before this one (its run keeps batches in
        # flight): waited for before asking Redis. `over`: this batch moved the watermark, or
        # never will.
        self.after = after
        self.over = asyncio.Event()

    async def register(self, group: str, ids: list[str], earliest: int) -> int:
        """register(), and in the same round trip whether this turn has come."""
        script = self.redis.register_script(REGISTER_TURN)
        floor, waiting = await script(
            keys=[self.keys.in_flight, self.stream, self.mark], args=[group, earliest, *ids]
        )
        self.ready = not waiting
        return int(floor)

    async def wait(self) -> None:
        if self.ready:
            return
        if self.after is not None:
            await self.after.wait()
        waiting = await self.waiting()
        loop = asyncio.get_running_loop()
        deadline, poll = loop.time() + self.patience, POLL_SECONDS
        while waiting:
            if loop.time() > deadline:
                if not await self.pending(waiting):
                    log.warning("entry %s goes on without the one before it", self.first)
                    break
                # The worker holding it went silent: take its entries over, in order, first.
                if self.rescue is not None:
                    await self.rescue()
                deadline = loop.time() + self.patience
            await asyncio.sleep(poll)
            poll = min(2 * poll, LONGEST_POLL_SECONDS)
            waiting = await self.waiting()
        self.ready = True

    async def waiting(self) -> bytes:
        """The entry this batch waits for; b"" when its turn has come."""
        script = self.redis.register_script(WAITS)
        return bytes(await script(keys=[self.stream, self.mark], args=[self.first]))

    async def pending(self, entry: bytes) -> bool:
        """Whether some worker holds the entry (else it was acknowledged, or never will be)."""
        held = await self.redis.xpending_range(self.stream, GROUP, entry, entry, 1)
        return bool(held)

    async def renew(self, consumer: str, ids: list[str]) -> bool:
        """wait(), then renew(): one round trip when the turn has come already."""
        if not self.ready:
            if self.after is not None:
                await self.after.wait()
            script = self.redis.register_script(RENEW_IN_TURN)
            reply = await script(keys=[self.stream, self.mark], args=[GROUP, consumer, *ids])
            if not isinstance(reply, bytes):
                self.ready = True
                return bool(reply)
            await self.wait()
        return await renew(self.redis, self.keys, GROUP, consumer, ids)

    async def done(self) -> None:
        await self.redis.register_script(MOVE)(keys=[self.mark], args=[self.last])
        self.over.set()

    async def finish(self, ids: list[str]) -> None:
        """done(), and the entries settled (acknowledged, out of the in-flight list), at once."""
        script = self.redis.register_script(FINISH)
        keys = [self.stream, self.keys.in_flight, self.mark]
        await script(keys=keys, args=[GROUP, self.last, *ids])
        self.over.set()
