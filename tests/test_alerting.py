"""On-call alerting: grouping, escalation on an injected clock, acks stop it, silences, digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from monitor.directory import load_staff
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore, Lifecycle
from monitor.respond_settings import EscalationLevel, EscalationSettings
from monitor.settings import Settings
from monitor.store.keys import Keys
from notifications.alerting import Alerter
from notifications.oncall import Rota, plan
from notifications.outbox import Outbox
from notifications.pages import AlertParts
from notifications.schedule import build_scheduler
from notifications.silences import Silences

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 09:00 in Hanoi


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def finding(
    ip: str,
    severity: Severity = Severity.HIGH,
    detector: str = "brute_force",
    user: str | None = None,
) -> Finding:
    entities = {"ip": ip} | ({"user": user} if user else {})
    return Finding(
        detector=f"account_takeover.{detector}",
        family="account_takeover",
        severity=severity,
        title=f"{detector} from {ip}",
        key=f"{detector}|{ip}",
        entities=entities,
        first_seen=T0,
        last_seen=T0,
        evidence=(
            {
                "id": f"auth.log:{ip}",
                "@timestamp": "2026-03-02T02:00:00Z",
                "source.ip": ip,
                "user.name": "cust-1001",
            },
        ),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def alerter(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    store: IncidentStore,
    redis_url: str,
    clock: Clock,
) -> Alerter:
    staff = load_staff(settings.directories.staff)
    parts = AlertParts(
        settings,
        redis,
        keys,
        store,
        Outbox(redis, keys),
        Rota(settings.alerts.rotation, staff),
        {},
        b"k" * 32,
    )
    scheduler = build_scheduler(redis_url, keys.prefix, "Asia/Ho_Chi_Minh")
    return Alerter(parts, scheduler, clock)


def job_times(alerter: Alerter) -> dict[str, datetime]:
    return {job.id.split(":", 1)[1]: job.trigger.run_date for job in alerter.scheduler.get_jobs()}


async def raise_incident(alerter: Alerter, item: Finding) -> str:
    (change,) = await alerter.parts.store.record([item])
    await alerter.handle(change.incident_id, change.state)
    return change.incident_id


async def outbox_keys(redis: aioredis.Redis, keys: Keys) -> list[str]:
    return sorted(k.decode() for k in await redis.zrange(keys.outbox("due"), 0, -1))


def test_the_plan_pages_each_level_at_its_delay_and_loops() -> None:
    policy = EscalationSettings(
        levels=(
            EscalationLevel(after=timedelta(0), notify=("oncall",)),
            EscalationLevel(after=timedelta(minutes=15), notify=("backup",)),
        ),
        loops=2,
        loop_interval=timedelta(minutes=10),
    )
    steps = plan(policy, T0)
    assert [(s.at - T0, s.level, s.loop) for s in steps] == [
        (timedelta(0), 0, 0),
        (timedelta(minutes=15), 1, 0),
        (timedelta(minutes=25), 0, 1),
        (timedelta(minutes=40), 1, 1),
    ]


async def test_escalation_pages_on_call_then_backup_until_acknowledged(
    alerter: Alerter, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    incident_id = await raise_incident(alerter, finding("203.0.113.7"))
    alert = next(iter(job_times(alerter))).split(":")[1]
    assert job_times(alerter) == {f"flush:{alert}": T0 + timedelta(seconds=30)}

    clock.now = T0 + timedelta(seconds=30)
    await alerter.flush(alert)
    assert await outbox_keys(redis, keys) == [f"page:{alert}:0:hoa.nguyen"]
    assert job_times(alerter)[f"step:{alert}:1"] == clock.now + timedelta(minutes=15)

    clock.now += timedelta(minutes=15)
    await alerter.step(alert, 1)
    assert await outbox_keys(redis, keys) == [
        f"page:{alert}:0:hoa.nguyen",
        f"page:{alert}:1:lan.tran",
    ]
    await alerter.step(alert, 1)  # the same step again (a second Vigil process): no new page
    assert len(await outbox_keys(redis, keys)) == 2

    await Lifecycle(alerter.parts.store).acknowledge(incident_id, "lan.tran")
    clock.now += timedelta(minutes=15)
    await alerter.step(alert, 2)
    assert len(await outbox_keys(redis, keys)) == 2  # acknowledged: the escalation stopped
    incident = await alerter.parts.store.get(incident_id)
    assert incident is not None
    assert [(e["action"], e.get("to")) for e in incident.timeline if e["action"] == "notified"] == [
        ("notified", "hoa.nguyen"),
        ("notified", "lan.tran"),
    ]


async def test_incidents_of_one_entity_within_group_wait_share_an_alert(
    alerter: Alerter, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    await raise_incident(alerter, finding("203.0.113.7"))
    clock.now += timedelta(seconds=10)
    await raise_incident(alerter, finding("203.0.113.7", detector="password_spray"))
    (flush,) = job_times(alerter)
    alert = flush.split(":")[1]
    clock.now = T0 + timedelta(seconds=30)
    await alerter.flush(alert)
    (key,) = await outbox_keys(redis, keys)
    stored = await alerter.parts.outbox.delivery(key)
    assert stored is not None and stored.subject.endswith("(+1 more)")


async def test_a_silenced_incident_is_stored_but_not_paged(
    alerter: Alerter, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    await Silences(redis, keys).add(
        T0 - timedelta(minutes=1),
        T0 + timedelta(hours=1),
        "pen test",
        "lan.tran",
        entity="ip=203.0.113.7",
    )
    incident_id = await raise_incident(alerter, finding("203.0.113.7"))
    assert job_times(alerter) == {}
    incident = await alerter.parts.store.get(incident_id)
    assert incident is not None and incident.timeline[-1]["action"] == "silenced"
    await raise_incident(alerter, finding("198.51.100.9"))
    assert len(job_times(alerter)) == 1  # another entity is paged as usual


async def test_low_severity_goes_to_the_daily_digest_once(
    alerter: Alerter, redis: aioredis.Redis, keys: Keys
) -> None:
    await raise_incident(alerter, finding("203.0.113.7", Severity.LOW))
    await raise_incident(alerter, finding("203.0.113.8", Severity.LOW))
    assert job_times(alerter) == {}
    await alerter.digest()
    await alerter.digest()
    (key,) = await outbox_keys(redis, keys)
    assert key == "digest:2026-03-02:hoa.nguyen"
    digest = await alerter.parts.outbox.delivery(key)
    assert digest is not None and "2 low-severity" in digest.subject


async def test_a_change_replayed_after_a_crash_pages_once(
    alerter: Alerter, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    (change,) = await alerter.parts.store.record([finding("203.0.113.7")])
    alert = await alerter.handle(change.incident_id, change.state, "1700000000000-0")
    assert await alerter.handle(change.incident_id, change.state, "1700000000000-0") == alert
    assert len(job_times(alerter)) == 1
    clock.now = T0 + timedelta(seconds=30)
    assert alert is not None
    await alerter.flush(alert)
    await alerter.handle(change.incident_id, change.state, "1700000000000-0")  # after paging
    assert await outbox_keys(redis, keys) == [f"page:{alert}:0:hoa.nguyen"]
    assert [job for job in job_times(alerter) if job.startswith("flush")] == [f"flush:{alert}"]


async def test_after_the_plan_unacknowledged_alerts_repeat_and_resolve_stops_them(
    alerter: Alerter, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    incident_id = await raise_incident(alerter, finding("203.0.113.7"))
    alert = next(iter(job_times(alerter))).split(":")[1]
    clock.now = T0 + timedelta(seconds=30)
    await alerter.flush(alert)
    steps = plan(alerter.alerts.escalation, clock.now)
    last = len(steps) - 1
    clock.now = steps[last].at
    await alerter.step(alert, last)
    repeat_at = job_times(alerter)[f"step:{alert}:{last + 1}"]
    assert repeat_at == clock.now + alerter.alerts.repeat_interval
    clock.now = repeat_at
    await alerter.step(alert, last + 1)
    assert f"page:{alert}:{last + 1}:head_of_internal_control" in await outbox_keys(redis, keys)
    await Lifecycle(alerter.parts.store).resolve(incident_id, "quang.le")
    before = len(await outbox_keys(redis, keys))
    await alerter.step(alert, last + 2)
    assert len(await outbox_keys(redis, keys)) == before


async def test_a_page_due_while_redis_refuses_writes_goes_out_when_it_takes_them_again(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, redis_url: str
) -> None:
    """Valkey at its memory limit (every write refused) exactly when group_wait ends: the
    flush job keeps trying, and the page is in the outbox once writes are taken again."""
    alerts = settings.alerts.model_copy(update={"group_wait": timedelta(seconds=2)})
    waiting = settings.model_copy(update={"alerts": alerts})
    parts = AlertParts(
        waiting,
        redis,
        keys,
        store,
        Outbox(redis, keys),
        Rota(waiting.alerts.rotation, load_staff(waiting.directories.staff)),
        {},
        b"k" * 32,
    )
    alerter = Alerter(parts, build_scheduler(redis_url, keys.prefix, "Asia/Ho_Chi_Minh"))
    alerter.scheduler.start()
    try:
        (change,) = await store.record([finding("203.0.113.7")])
        alert = await alerter.handle(change.incident_id, change.state)
        await asyncio.sleep(1.5)  # group_wait ends half a second into the refusal
        await redis.config_set("maxmemory", "1")
        try:
            await asyncio.sleep(3)
            assert await outbox_keys(redis, keys) == []  # the flush met the refusal
        finally:
            await redis.config_set("maxmemory", "0")
        for _ in range(200):
            if await outbox_keys(redis, keys):
                break
            await asyncio.sleep(0.05)
        assert await outbox_keys(redis, keys) == [f"page:{alert}:0:hoa.nguyen"]
    finally:
        alerter.scheduler.shutdown(wait=False)
