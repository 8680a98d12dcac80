"""Detection running late says so: seconds behind on status, and an e-mail to the on-call."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from monitor.lag import seconds_behind, watch_lag
from monitor.pipeline.worker import GROUP
from monitor.settings import Settings
from monitor.store.keys import Keys
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Outbox

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


async def batches_written(redis: aioredis.Redis, keys: Keys, ages: list[int]) -> list[str]:
    """Stream entries as ingest writes them, `ages` seconds before NOW (ids are ms)."""
    await redis.xgroup_create(keys.events, GROUP, id="0", mkstream=True)
    ids = []
    for n, age in enumerate(ages):
        entry = f"{int((NOW - timedelta(seconds=age)).timestamp() * 1000)}-{n}"
        ids.append((await redis.xadd(keys.events, {"events": b""}, id=entry)).decode())
    return ids


async def test_behind_is_the_age_of_the_oldest_batch_not_finished(
    redis: aioredis.Redis, keys: Keys
) -> None:
    assert await seconds_behind(redis, keys, NOW) == 0.0  # no stream yet
    ids = await batches_written(redis, keys, [300, 120, 30])
    assert await seconds_behind(redis, keys, NOW) == 300.0  # nothing delivered
    await redis.xreadgroup(GROUP, "w1", {keys.events: ">"}, count=2)
    await redis.xack(keys.events, GROUP, ids[0])
    assert await seconds_behind(redis, keys, NOW) == 120.0  # read, not acknowledged
    await redis.xack(keys.events, GROUP, ids[1])
    assert await seconds_behind(redis, keys, NOW) == 30.0  # not yet delivered
    await redis.xreadgroup(GROUP, "w1", {keys.events: ">"})
    await redis.xack(keys.events, GROUP, ids[2])
    assert await seconds_behind(redis, keys, NOW) == 0.0


async def test_the_on_call_hears_when_detection_falls_behind(
    redis: aioredis.Redis, keys: Keys, settings: Settings
) -> None:
    ten_minutes_ago = int(datetime.now(UTC).timestamp() * 1000) - 600_000
    await redis.xgroup_create(keys.events, GROUP, id="0", mkstream=True)
    await redis.xadd(keys.events, {"events": b""}, id=f"{ten_minutes_ago}-0")  # never read
    outbox = Outbox(redis, keys)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    stop = asyncio.Event()
    watching = asyncio.create_task(
        watch_lag(redis, keys, outbox, rota, 60.0, "http://vigil", stop, every=0.05)
    )
    key = f"lag:{datetime.now(UTC):%Y%m%d%H}"
    for _ in range(200):
        if await outbox.delivery(key) is not None:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await watching
    delivery = await outbox.delivery(key)
    assert delivery is not None
    assert "detection is running" in delivery.subject and "behind the logs" in delivery.subject
    on_call = rota.address(rota.on_call(datetime.now(UTC)))
    assert delivery.to == (on_call,)
