"""Many calls of one Lua script: pipelined in one round trip, or concurrently on a cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from importlib import resources
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.commands.core import AsyncScript

Call = tuple[Sequence[str], Sequence[Any]]
SPLIT = resources.files("monitor.store").joinpath("split.lua").read_text()
# Calls in flight at once on a cluster: redis-py's cluster client loses connections it is
# still opening when dozens of large script calls start together.
CLUSTER_CONCURRENCY = 4


def lua_script(package: str, name: str, *preludes: str) -> str:
    """A Lua script of `package`, after split() for packed arguments and the package's
    `preludes` (files of functions several of its scripts share)."""
    files = resources.files(package)
    shared = "".join(files.joinpath(prelude).read_text() for prelude in preludes)
    return SPLIT + shared + files.joinpath(name).read_text()


async def run_many(redis: Redis, script: AsyncScript, calls: Sequence[Call]) -> list[Any]:
    """Each call's reply, in order. A cluster client refuses scripts in a pipeline (each may
    go to another node), so there the calls go out together instead."""
    if isinstance(redis, RedisCluster):
        gate = asyncio.Semaphore(CLUSTER_CONCURRENCY)

        async def call(keys: Sequence[str], args: Sequence[Any]) -> Any:
            async with gate:
                return await script(keys=keys, args=args)

        return list(await asyncio.gather(*(call(k, a) for k, a in calls)))
    async with redis.pipeline(transaction=False) as pipe:
        for keys, args in calls:
            await script(keys=keys, args=args, client=pipe)
        replies: list[Any] = await pipe.execute()
    return replies
