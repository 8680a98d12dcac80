"""Selecting incidents in Redis: a scanner flood never hides the one that matters, pages go on
where they stopped, totals are exact, and the indexes follow every change of an incident."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore, Lifecycle
from monitor.incidents.query import Chart, Order, Selection
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.processes import vigil_command, with_env, write_config

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def brute_force(n: int, at: datetime = T0) -> Finding:
    ip = f"198.51.{n // 250}.{n % 250 + 1}"
    return Finding(
        detector="intrusion.ssh_brute_force",
        family="intrusion",
        severity=Severity.LOW,
        title=f"Brute force from {ip}",
        key=f"ip={ip}",
        entities={"ip": ip},
        first_seen=at,
        last_seen=at,
        evidence=({"id": f"auth.log:{n}", "@timestamp": at.isoformat(), "source.ip": ip},),
    )


def tampering(at: datetime, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        detector="integrity.file_changed",
        family="integrity",
        severity=severity,
        title="Payments config changed on web-01 by Deploy",
        key="path=/etc/payments.yaml",
        entities={"path": "/etc/payments.yaml", "user": "deploy"},
        first_seen=at,
        last_seen=at,
        evidence=({"id": f"audit:{at.timestamp()}", "@timestamp": at.isoformat()},),
        affected_customers=frozenset({"C-1001"}),
    )


async def flood(store: IncidentStore, count: int) -> None:
    await store.record([brute_force(n, T0 + timedelta(seconds=n)) for n in range(count)])


async def test_a_flood_does_not_hide_the_integrity_incident(store: IncidentStore) -> None:
    await store.record([tampering(T0 - timedelta(hours=1))])
    await flood(store, 520)
    found = await store.query.page(Selection(families=("integrity",)))
    (incident,) = await store.get_many(found.ids)
    assert incident.title.startswith("Payments config changed")
    assert found.total == 1
    everything = await store.query.page(Selection(), limit=50)
    assert everything.total == 521
    assert len(everything.ids) == 50


async def test_cursor_pages_walk_every_incident_once(store: IncidentStore) -> None:
    # All at one millisecond: the cursor must not skip or repeat ties.
    await store.record([brute_force(n) for n in range(130)])
    seen: list[str] = []
    cursor = ""
    while True:
        page = await store.query.page(Selection(statuses=("open",)), cursor, limit=40)
        assert page.total == 130
        seen += page.ids
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 130 and len(set(seen)) == 130


async def test_oldest_first_and_a_time_range(store: IncidentStore) -> None:
    await flood(store, 100)
    since, until = T0 + timedelta(seconds=10), T0 + timedelta(seconds=19)
    page = await store.query.page(Selection(since=since, until=until, order=Order.OLDEST))
    incidents = await store.get_many(page.ids)
    assert page.total == 10
    assert [i.first_seen[:19] for i in incidents] == [
        (since + timedelta(seconds=s)).isoformat()[:19] for s in range(10)
    ]


async def test_severity_order_puts_the_loudest_first(store: IncidentStore) -> None:
    await flood(store, 30)
    await store.record([tampering(T0 - timedelta(days=2), Severity.CRITICAL)])
    page = await store.query.page(Selection(order=Order.SEVERITY), limit=3)
    first, *_ = await store.get_many(page.ids)
    assert first.severity is Severity.CRITICAL
    assert page.total == 31


async def test_search_by_entity_customer_and_title_words(store: IncidentStore) -> None:
    await flood(store, 20)
    await store.record([tampering(T0)])
    by_ip = await store.query.page(Selection(entity="198.51.0.8"))
    assert [i.title for i in await store.get_many(by_ip.ids)] == ["Brute force from 198.51.0.8"]
    by_customer = await store.query.page(Selection(entity="c-1001"))
    by_path = await store.query.page(Selection(entity="/etc/payments.yaml"))
    by_words = await store.query.page(Selection(text="payments DEPLOY"))
    assert by_customer.ids == by_path.ids == by_words.ids and by_words.total == 1
    assert (await store.query.page(Selection(text="payments brute"))).total == 0


async def test_indexes_follow_acknowledge_resolve_and_escalation(store: IncidentStore) -> None:
    (created,) = await store.record([tampering(T0, Severity.MEDIUM)])
    lifecycle = Lifecycle(store)
    await lifecycle.acknowledge(created.incident_id, "hoa")
    assert (await store.query.page(Selection(statuses=("open",)))).total == 0
    acked = await store.query.page(Selection(statuses=("open", "acknowledged")))
    assert acked.ids == (created.incident_id,)
    await store.record([tampering(T0 + timedelta(minutes=1), Severity.CRITICAL)])
    assert (await store.query.page(Selection(severities=("medium",)))).total == 0
    assert (await store.query.page(Selection(severities=("critical",)))).total == 1
    # The per-status twins follow both moves: the status, and the severity under it.
    for statuses, severities, expected in (
        (("acknowledged",), ("critical",), 1),
        (("acknowledged",), ("medium",), 0),
        (("open",), ("critical",), 0),
    ):
        found = await store.query.page(Selection(statuses, severities))
        assert found.total == expected, (statuses, severities)
    await lifecycle.resolve(created.incident_id, "hoa")
    assert (await store.query.page(Selection(statuses=("resolved",)))).total == 1
    resolved = Selection(
        ("resolved",), families=("integrity",), detectors=("integrity.file_changed",)
    )
    assert (await store.query.page(resolved)).total == 1
    assert (
        await store.query.page(Selection(("acknowledged",), families=("integrity",)))
    ).total == 0


async def test_the_chart_counts_the_selection_not_the_page(store: IncidentStore) -> None:
    await flood(store, 300)
    await store.record([tampering(T0 + timedelta(days=1))])
    chart = Chart(int(T0.timestamp() * 1000), 86_400_000, 2, ("intrusion", "integrity"))
    found = await store.query.page(Selection(), limit=10, chart=chart)
    assert found.chart == ((300, 0), (0, 1))
    only = await store.query.page(Selection(families=("integrity",)), limit=10, chart=chart)
    assert only.chart == ((0, 0), (0, 1))
    await Lifecycle(store).acknowledge(found.ids[-1], "hoa")
    still_open = Selection(("open",), families=("intrusion",))
    assert (await store.query.page(still_open, limit=10, chart=chart)).chart == ((299, 0), (0, 0))


async def test_groups_count_each_detector(store: IncidentStore) -> None:
    await flood(store, 520)
    await store.record([tampering(T0)])
    found = await store.query.groups(Selection(statuses=("open",)))
    assert found.groups == (("intrusion.ssh_brute_force", 520), ("integrity.file_changed", 1))


async def test_incidents_written_before_the_indexes_are_rebuilt(
    store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    await flood(store, 40)
    await store.record([tampering(T0)])
    async for key in redis.scan_iter(match=keys.incident_index("*")):
        if not key.endswith(b":changes"):
            await redis.delete(key)
    assert (await store.query.page(Selection())).total == 0
    assert await store.indexer.rebuild() == 41
    assert (await store.query.page(Selection(families=("integrity",)))).total == 1
    assert (await store.query.page(Selection(entity="C-1001"))).total == 1
    assert await store.indexer.current()


async def test_vigil_incidents_reindex_files_old_incidents(
    redis: aioredis.Redis, redis_url: str, settings: Settings, tmp_path: Path
) -> None:
    keys = Keys("reindex-test")
    store = IncidentStore(redis, keys, settings.incidents)
    await store.record([tampering(T0)])
    await redis.delete(keys.incident_index("family:integrity"), keys.incident_index("version"))
    config = write_config(tmp_path / "vigil.yaml", {"sources": []})
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "reindex-test"}
    done = await asyncio.to_thread(
        subprocess.run,
        vigil_command(config, "incidents", "reindex"),
        env=with_env(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "1 incidents filed" in done.stderr
    assert (await store.query.page(Selection(families=("integrity",)))).total == 1


async def test_open_incidents_per_detector_and_their_chart_use_the_twins(
    store: IncidentStore,
) -> None:
    await flood(store, 50)
    await store.record([tampering(T0)])
    newest = await store.query.page(Selection(("open",)), limit=1)
    await Lifecycle(store).resolve(newest.ids[0], "hoa")
    chart = Chart(int(T0.timestamp() * 1000), 86_400_000, 1, ("intrusion", "integrity"))
    open_now = await store.query.groups(Selection(("open",)), chart)
    assert open_now.groups == (("intrusion.ssh_brute_force", 49), ("integrity.file_changed", 1))
    assert open_now.chart == ((49,), (1,))
    assert open_now.total == 50


async def test_a_merge_makes_the_customers_it_brings_searchable_on_the_target(
    store: IncidentStore,
) -> None:
    (target,) = await store.record([brute_force(1)])
    (source,) = await store.record([tampering(T0)])
    await Lifecycle(store).merge(target.incident_id, [source.incident_id], "hoa")
    found = await store.query.page(Selection(("open",), entity="C-1001"))
    assert found.ids == (target.incident_id,)
