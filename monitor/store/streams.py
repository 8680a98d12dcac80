"""Stream consumers: groups created once whoever comes first, loops that outlast outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
# Retries of one step start soon (a failover takes a second or two) and back off to this.
LONGEST_RETRY_SECONDS = 30.0
T = TypeVar("T")


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """The group reads from the start of the stream: nothing written before it is skipped."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):  # another process made it first
            raise


async def keep_going(stop: asyncio.Event, step: Callable[[], Awaitable[object]], what: str) -> None:
    """Run `step` until `stop`; while Redis is unreachable, say so, wait and try again."""
    while not stop.is_set():
        try:
            await step()
        except (RedisError, OSError) as error:
            log.warning("%s paused, Redis unavailable: %s", what, type(error).__name__)
            await asyncio.sleep(RETRY_SECONDS)


async def until_done(step: Callable[[], Awaitable[T]], what: str) -> T:
    """Run `step` until it gets through a Redis error (refused at the memory limit, a
    failover, an outage): a step that must happen is never dropped. Steps are idempotent."""
    delay = 0.25
    while True:
        try:
            return await step()
        except (RedisError, OSError) as error:
            log.warning("%s failed (%s); trying again", what, type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(2 * delay, LONGEST_RETRY_SECONDS)


async def newest_id(redis: Redis, stream: str) -> str:
    """Where "from now on" starts. Reading with "$" each time would miss what arrives between
    two reads; a concrete id never does."""
    newest = await redis.xrevrange(stream, count=1)
    return str(newest[0][0].decode()) if newest else "0-0"
