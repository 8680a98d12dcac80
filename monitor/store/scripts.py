"""Many calls of one Lua script: pipelined in one round trip, or concurrently on a cluster."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.commands.core import AsyncScript

Call = tuple[Sequence[str], Sequence[Any]]
SPLIT = resources.files("monitor.store").joinpath("split.lua").read_text()
# Calls in flight at once on a cluster: redis-py's cluster client loses connections it is
# still opening when dozens of large script calls start together.
CLUSTER_CONCURRENCY = 4
# Arguments a pipeline carries at most. A batch's window calls hold hundreds of thousands
# (members of 100-300 bytes): sent as one pipeline, its packed bytes, the transport's joined
# copy and its send buffer were each tens of megabytes at once (the detect process's peak
# RSS on the mixed log 360-391 MiB; in pieces, built as they go, 291-295, the same throughput).
PIPELINE_ARGUMENTS = 50_000


def lua_script(package: str, name: str, *preludes: str, packed: bool = True) -> str:
    """A Lua script of `package`, after the package's `preludes` (files of functions several
    of its scripts share) and, for a script that takes packed arguments, split()."""
    files = resources.files(package)
    shared = "".join(files.joinpath(prelude).read_text() for prelude in preludes)
    return (SPLIT if packed else "") + shared + files.joinpath(name).read_text()


async def run_many(redis: Redis, script: AsyncScript, calls: Iterable[Call]) -> list[Any]:
    """Each call's reply, in order. Calls given lazily are built a pipeline at a time (a
    batch's window calls: their arguments are not all held at once). A cluster client
    refuses scripts in a pipeline (each may go to another node), so there the calls go out
    together instead; calls on one key still run one after another, in order (two findings
    of one incident in a batch)."""
    if isinstance(redis, RedisCluster):
        calls = list(calls)
        gate = asyncio.Semaphore(CLUSTER_CONCURRENCY)
        replies: list[Any] = [None] * len(calls)
        by_key: dict[str, list[int]] = defaultdict(list)
        for index, (keys, _) in enumerate(calls):
            by_key[keys[0] if keys else ""].append(index)

        async def in_order(indexes: list[int]) -> None:
            for index in indexes:
                keys, args = calls[index]
                async with gate:
                    replies[index] = await script(keys=keys, args=args)

        await asyncio.gather(*(in_order(indexes) for indexes in by_key.values()))
        return replies
    replies = []
    for piece in pieces(calls, PIPELINE_ARGUMENTS):
        async with redis.pipeline(transaction=False) as pipe:
            for keys, args in piece:
                await script(keys=keys, args=args, client=pipe)
            replies += await pipe.execute()
    return replies


def pieces(calls: Iterable[Call], most: int) -> Iterator[list[Call]]:
    """`calls` in order, cut where a piece would carry more than `most` arguments (a call
    carrying more is a piece of its own); each piece taken from `calls` as it is needed."""
    piece: list[Call] = []
    carried = 0
    for keys, args in calls:
        size = len(keys) + len(args)
        if piece and carried + size > most:
            yield piece
            piece, carried = [], 0
        piece.append((keys, args))
        carried += size
    if piece:
        yield piece
