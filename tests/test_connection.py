"""Vigil's Redis client carries log-written values through unchanged."""

from __future__ import annotations

import redis.asyncio as aioredis

from monitor.store.connection import PackedUnixConnection


async def test_hostile_values_round_trip_through_the_client(redis: aioredis.Redis) -> None:
    values = {
        "name": "Nguyễn Thị Thu Hà",
        "agent": "sqlmap/1.7\r\n*1\r\n$8\r\nFLUSHALL\r\n",  # protocol text inside a value
        "path": "/api/khách-hàng?id=1%27%20OR%201=1--",
        "empty": "",
        "nul": "a\x00b\x1ec",
    }
    await redis.hset("hostile", mapping=values)
    await redis.hincrby("hostile", "count", 3)
    back = await redis.hgetall("hostile")
    assert {key.decode(): value.decode() for key, value in back.items()} == {
        **values,
        "count": "3",
    }
    assert await redis.dbsize() == 1  # the protocol text in the agent ran no command


async def test_the_embedded_server_is_reached_through_the_packing_connection(
    redis: aioredis.Redis,
) -> None:
    assert redis.connection_pool.connection_class is PackedUnixConnection
