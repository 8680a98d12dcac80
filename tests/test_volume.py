"""The volume model: hourly tallies in Redis, a daily fit, and the detector using both."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from detectors.engine import Detection
from detectors.volume import VolumeModel, actor_hours, load_model, refit, tally
from detectors.volume_anomaly import VolumeAnomaly
from monitor.detector_settings import VolumeAnomalySettings
from monitor.events import Event
from monitor.store.keys import Keys

START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi


def views(user: str, hour: datetime, customers: range, step: int = 20) -> list[Event]:
    return [
        Event(
            timestamp=hour + timedelta(seconds=step * n),
            action="customer-record-view",
            user=user,
            customer_id=f"C-{c}",
            source_ip="10.0.3.14",
            file_path="/var/log/als/audit.json",
            offset=int(hour.timestamp()) * 10_000 + n,
        )
        for n, c in enumerate(customers)
    ]


async def fourteen_days(redis: aioredis.Redis, keys: Keys) -> None:
    """Ten care agents reading 10 to 50 customers an hour, eight working hours a day."""
    rng = random.Random(4)
    for day in range(14):
        for hour in range(8):
            moment = START + timedelta(days=day, hours=hour)
            batch = []
            for agent in range(10):
                first = agent * 1000 + rng.randrange(900)
                batch += views(f"agent{agent}", moment, range(first, first + rng.randint(10, 50)))
            await tally(redis, keys, batch)


async def test_tallies_become_feature_vectors_per_actor_hour(redis: aioredis.Redis) -> None:
    keys = Keys("vigil")
    await tally(redis, keys, views("thu.vo", START, range(30)) + views("thu.vo", START, range(10)))
    vectors = await actor_hours(redis, keys, START + timedelta(hours=1))
    # 40 views of 30 distinct customers (a HyperLogLog's estimate) from one address, by day.
    ((views_, distinct, exports, exported, searches, off, addresses),) = vectors["thu.vo"]
    assert (views_, exports, exported, searches, off, addresses) == (40, 0, 0, 0, 0, 1)
    assert distinct == pytest.approx(30, rel=0.05)


async def test_searches_and_exports_are_tallied_and_every_tally_expires(
    redis: aioredis.Redis,
) -> None:
    keys = Keys("vigil")
    actor = "Nguyễn Thị Hà \x1e admin"  # a user name is whatever the audit log says
    export = Event(
        timestamp=START,
        action="customer-record-export",
        user=actor,
        source_ip="10.0.3.14",
        extra={"labels.record_count": 2400, "labels.customer_ids": ["C-7", "C-8"]},
    )
    search = Event(timestamp=START, action="customer-search", user=actor, source_ip="10.0.3.15")
    await tally(redis, keys, [export, search, *views(actor, START, range(3))])
    vectors = await actor_hours(redis, keys, START + timedelta(hours=1))
    ((views_, distinct, exports, exported, searches, _, addresses),) = vectors[actor]
    assert (views_, distinct, exports, exported, searches, addresses) == (3, 5, 1, 2400, 1, 2)
    written = [key async for key in redis.scan_iter(match="vigil:{volume}:*")]
    assert len(written) == 4  # counters, customers, addresses, the hour's actors
    ttls = [await redis.ttl(key) for key in written]
    assert all(0 < ttl <= 15 * 86_400 for ttl in ttls)


async def test_an_actor_named_like_another_actors_key_keeps_its_own_tally(
    redis: aioredis.Redis,
) -> None:
    keys = Keys("vigil")
    batch = views("alice", START, range(3)) + views("alice:customers", START, range(5))
    await tally(redis, keys, batch)
    vectors = await actor_hours(redis, keys, START + timedelta(hours=1))
    assert {actor: rows[0][0] for actor, rows in vectors.items()} == {
        "alice": 3,
        "alice:customers": 5,
    }


async def test_the_fitted_model_is_stored_and_flags_a_bulk_hour(redis: aioredis.Redis) -> None:
    keys = Keys("vigil")
    await fourteen_days(redis, keys)
    fitted = await refit(redis, keys, START + timedelta(days=14))
    stored = await load_model(redis, keys)
    assert stored is not None and stored.forest is not None
    assert 40 <= stored.usual["agent9"] <= 52
    assert fitted.outlier([30, 30, 0, 0, 0, 0, 1]) is False
    assert fitted.outlier([900, 850, 0, 0, 0, 1, 1]) is True


async def test_an_agent_reading_its_usual_volume_is_quiet_and_a_bulk_hour_alerts(
    redis: aioredis.Redis,
) -> None:
    keys = Keys("vigil")
    await fourteen_days(redis, keys)
    model = VolumeModel()
    model.adopt(await refit(redis, keys, START + timedelta(days=14)))
    detector = VolumeAnomaly(VolumeAnomalySettings(), model)
    detection = Detection(redis, keys, [detector], isolate=False)
    day = START + timedelta(days=14)
    usual = await detection.process(views("agent3", day, range(300, 326)))
    bulk = await detection.process(
        views("agent3", day + timedelta(hours=2), range(5000, 5400), step=5)
    )
    assert usual == []
    assert {f.detector for f in bulk} == {"bulk_access.volume_anomaly"}
    assert len(bulk[0].affected_customers) >= 100
