"""Stream consumers: groups created once whoever comes first, loops that outlast outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0


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


async def newest_id(redis: Redis, stream: str) -> str:
    """Where "from now on" starts. Reading with "$" each time would miss what arrives between
    two reads; a concrete id never does."""
    newest = await redis.xrevrange(stream, count=1)
    return str(newest[0][0].decode()) if newest else "0-0"
