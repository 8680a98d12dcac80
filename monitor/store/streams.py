"""Consumer groups, created once whoever comes first."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """The group reads from the start of the stream: nothing written before it is skipped."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):  # another process made it first
            raise
