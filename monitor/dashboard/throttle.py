"""Slowing password guessing without letting anyone lock an account.

Failures are counted per account and address together, and per address alone. Past a few
free failures each further attempt from that address waits twice as long as the last (up to
five minutes); a success resets both. A guesser elsewhere never delays the account's owner.
"""

from __future__ import annotations

from redis.asyncio import Redis

from monitor.store.keys import Keys

FREE_PER_ACCOUNT, FREE_PER_ADDRESS = 3, 10
MAX_DELAY_MS = 5 * 60 * 1000
FORGET_SECONDS = 24 * 3600


def due_ms(tally: list[bytes | None], free: int) -> int:
    """When the next attempt may come (0: now), from [failures, last failure ms]."""
    count, last_ms = (int(value or 0) for value in tally)
    if count < free:
        return 0
    delay: int = min(1000 * 2 ** (count - free), MAX_DELAY_MS)
    return last_ms + delay


class Throttle:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def account(self, name: str) -> str:
        """One hash per account: n:<address> failures, at:<address> the last one's time."""
        return self.keys.users(f"throttle:account:{name}")

    def address(self, address: str) -> str:
        return self.keys.users(f"throttle:address:{address}")

    async def wait_ms(self, name: str, address: str, now_ms: int) -> int:
        """How long this address must wait before trying this account again."""
        pair = await self.redis.hmget(self.account(name), [f"n:{address}", f"at:{address}"])
        alone = await self.redis.hmget(self.address(address), ["n", "at"])
        due = max(due_ms(pair, FREE_PER_ACCOUNT), due_ms(alone, FREE_PER_ADDRESS))
        return max(due - now_ms, 0)

    async def failed(self, name: str, address: str, now_ms: int) -> None:
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hincrby(self.account(name), f"n:{address}", 1)
            tx.hset(self.account(name), f"at:{address}", now_ms)
            tx.expire(self.account(name), FORGET_SECONDS)
            tx.hincrby(self.address(address), "n", 1)
            tx.hset(self.address(address), "at", now_ms)
            tx.expire(self.address(address), FORGET_SECONDS)
            await tx.execute()

    async def succeeded(self, name: str, address: str) -> None:
        await self.redis.hdel(self.account(name), f"n:{address}", f"at:{address}")
        await self.redis.delete(self.address(address))

    async def unlock(self, name: str) -> int:
        """Forget every address's failures against this account; how many addresses."""
        count = len(await self.redis.hkeys(self.account(name))) // 2
        await self.redis.delete(self.account(name))
        return count
