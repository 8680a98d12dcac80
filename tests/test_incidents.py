"""Incidents: one per fingerprint, merged within the suppression window, moved by people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from msgspec.structs import replace

from monitor.events import reference_mark
from monitor.findings import Finding, Severity
from monitor.incidents import Classification, IncidentStore, Lifecycle, Status, TransitionRefused
from monitor.settings import Settings
from monitor.store.keys import Keys

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def finding(
    at: datetime, event_id: str, severity: Severity = Severity.LOW, ip: str = "203.0.113.7"
) -> Finding:
    reference = {"id": event_id, "@timestamp": at.isoformat(), "source.ip": ip}
    return Finding(
        detector="account_takeover.brute_force",
        family="account_takeover",
        severity=severity,
        title=f"Brute force from {ip}",
        key=f"ip={ip}",
        entities={"ip": ip},
        first_seen=at,
        last_seen=at,
        evidence=(reference,),
    )


async def test_findings_of_one_fingerprint_merge(store: IncidentStore) -> None:
    first = await store.record([finding(T0, "auth.log:0")])
    second = await store.record(
        [finding(T0 + timedelta(minutes=5), "auth.log:90", Severity.MEDIUM)]
    )
    assert [c.state for c in first] == ["created"]
    assert [c.state for c in second] == ["escalated"]
    assert first[0].incident_id == second[0].incident_id
    incident = await store.get(first[0].incident_id)
    assert incident is not None
    assert incident.event_count == 2
    assert incident.severity is Severity.MEDIUM
    assert incident.first_seen.startswith("2026-03-01T02:00:00")
    assert incident.last_seen.startswith("2026-03-01T02:05:00")
    assert [item["id"] for item in incident.evidence] == ["auth.log:0", "auth.log:90"]
    assert [entry["action"] for entry in incident.timeline] == ["created", "severity-raised"]


def extension(at: datetime, event_id: str, ip: str = "203.0.113.7") -> Finding:
    """An attempt past the threshold, as detectors report it (see detectors.base.extension)."""
    return Finding(
        detector="account_takeover.brute_force",
        family="account_takeover",
        severity=Severity.LOW,
        title="Brute force",
        key=f"ip={ip}",
        entities={},
        first_seen=at,
        last_seen=at,
        evidence=(),
        marks=(reference_mark({"id": event_id, "@timestamp": at.isoformat()}),),
        extends_only=True,
    )


async def test_attempts_past_the_threshold_count_but_open_nothing(store: IncidentStore) -> None:
    assert await store.record([extension(T0, "auth.log:0")]) == []  # no incident to extend
    # The crossing and the attempts after it in one batch: one incident, every event
    # counted once (the crossing's evidence shows auth.log:90 again), named by the crossing
    # although an extension came first.
    marks = tuple(
        reference_mark({"id": i, "@timestamp": T0.isoformat()})
        for i in ("auth.log:0", "auth.log:90")
    )
    crossing = replace(finding(T0, "auth.log:90"), marks=marks)
    later = [extension(T0 + timedelta(seconds=s), f"auth.log:{s}00") for s in (1, 2)]
    changes = await store.record([extension(T0, "auth.log:90"), crossing, *later])
    assert [c.state for c in changes] == ["created"]
    await store.record([extension(T0 + timedelta(seconds=3), "auth.log:300")])
    (incident,) = await store.list()
    assert incident.entities == {"ip": "203.0.113.7"}
    # The title counts what the incident counts now, not what it counted at the crossing.
    assert incident.title == "Brute force from 203.0.113.7 — 5 failed logins"
    assert incident.event_count == 5
    assert incident.last_seen.startswith("2026-03-01T02:00:03")


async def test_attempts_past_the_threshold_name_the_customers_they_touched(
    store: IncidentStore,
) -> None:
    # A customer id comes from log text: any bytes, the scripts' old separator among them.
    odd = "KH\x1e003 Nguyễn Thị Hoà"
    await store.record(
        [replace(finding(T0, "audit.log:0"), affected_customers=frozenset({"KH-001"}))]
    )
    later = [
        replace(
            extension(T0 + timedelta(seconds=s), f"audit.log:{s}0"),
            affected_customers=frozenset({c}),
        )
        for s, c in ((1, "KH-002"), (2, odd))
    ]
    await store.record(later)
    (incident,) = await store.list()
    assert incident.affected_customers == (odd, "KH-001", "KH-002")  # sorted
    assert incident.event_count == 3


async def test_a_line_logged_late_among_rising_attempts_leaves_none_uncounted(
    store: IncidentStore,
) -> None:
    await store.record([finding(T0, "auth.log:0")])
    await store.record([extension(T0 + timedelta(seconds=2), "auth.log:200")])
    # Another file's line from a second earlier comes in with a newer one: their marks rise
    # one after the other, but the oldest is behind what the incident counted already.
    late, new = T0 + timedelta(seconds=1), T0 + timedelta(seconds=3)
    await store.record([extension(late, "secure:100"), extension(new, "auth.log:300")])
    (incident,) = await store.list()
    # The late one is behind the incident's mark (see count_mark); the newer one counts.
    assert incident.event_count == 3
    assert incident.last_seen.startswith("2026-03-01T02:00:03")


async def test_one_call_extends_many_incidents_each_with_its_own_events_and_customers(
    store: IncidentStore,
) -> None:
    ips = ["203.0.113.7", "203.0.113.8", "2001:db8::9"]
    await store.record([finding(T0, f"auth.log:{n}", ip=ip) for n, ip in enumerate(ips)])
    batch = []
    for n, ip in enumerate(ips):  # 1, 2 and 3 attempts; 0, 1 and 2 customers
        for k in range(n + 1):
            at = T0 + timedelta(seconds=10 * n + k + 1)
            named = frozenset({f"KH-{n}{j}" for j in range(n) if k == 0})
            batch.append(replace(extension(at, f"auth.log:{n}{k}9", ip), affected_customers=named))
    await store.record(batch)
    incidents = {incident.entities["ip"]: incident for incident in await store.list()}
    assert [incidents[ip].event_count for ip in ips] == [2, 3, 4]
    assert [incidents[ip].affected_customers for ip in ips] == [(), ("KH-10",), ("KH-20", "KH-21")]


async def test_a_replayed_finding_is_applied_once(store: IncidentStore) -> None:
    await store.record([finding(T0, "auth.log:0")])
    replay = await store.record([finding(T0, "auth.log:0")])
    assert replay == []
    (incident,) = await store.list()
    assert incident.event_count == 1


async def test_after_the_suppression_window_a_new_incident_opens(store: IncidentStore) -> None:
    (first,) = await store.record([finding(T0, "a:1")])
    (later,) = await store.record([finding(T0 + timedelta(hours=2), "a:2")])
    assert later.state == "created"
    assert later.incident_id != first.incident_id


async def test_acknowledge_then_resolve(store: IncidentStore) -> None:
    (change,) = await store.record([finding(T0, "a:1", Severity.HIGH)])
    acknowledged = await Lifecycle(store).acknowledge(change.incident_id, "hoa", "looking")
    assert acknowledged.status is Status.ACKNOWLEDGED
    resolved = await Lifecycle(store).resolve(
        change.incident_id, "hoa", Classification.TRUE_POSITIVE, "blocked at firewall"
    )
    assert resolved.status is Status.RESOLVED
    assert [entry["by"] for entry in resolved.timeline] == ["vigil", "hoa", "hoa"]
    assert await store.list(Status.OPEN) == []
    assert [i.id for i in await store.list(Status.RESOLVED, Severity.HIGH)] == [change.incident_id]
    with pytest.raises(TransitionRefused, match="resolved"):
        await Lifecycle(store).acknowledge(change.incident_id, "hoa")
    with pytest.raises(TransitionRefused, match="no incident"):
        await Lifecycle(store).resolve("0000000000-9", "hoa")


async def test_new_evidence_soon_after_resolve_reopens(store: IncidentStore) -> None:
    (change,) = await store.record([finding(T0, "a:1")])
    await Lifecycle(store).resolve(change.incident_id, "hoa")
    (again,) = await store.record([finding(T0 + timedelta(minutes=1), "a:2")])
    assert (again.state, again.incident_id) == ("reopened", change.incident_id)
    incident = await store.get(change.incident_id)
    assert incident is not None and incident.status is Status.OPEN
    assert incident.timeline[-1]["action"] == "reopened"
    assert [i.id for i in await store.list(Status.OPEN)] == [change.incident_id]


async def test_evidence_long_after_resolve_opens_a_new_incident(
    redis: aioredis.Redis, keys: Keys, settings: Settings
) -> None:
    now = [datetime.now(UTC)]
    store = IncidentStore(redis, keys, settings.incidents, clock=lambda: now[0])
    (change,) = await store.record([finding(T0, "a:1")])
    await Lifecycle(store).resolve(change.incident_id, "hoa")
    now[0] += settings.incidents.reopen_window + timedelta(minutes=1)
    (again,) = await store.record([finding(T0 + timedelta(minutes=1), "a:2")])
    assert again.state == "created" and again.incident_id != change.incident_id


async def test_the_incident_json_has_the_public_fields(store: IncidentStore) -> None:
    (change,) = await store.record([finding(T0, "a:1")])
    incident = await store.get(change.incident_id)
    assert incident is not None
    assert set(incident.to_dict()) == {
        "id",
        "detector",
        "family",
        "severity",
        "status",
        "title",
        "entities",
        "first_seen",
        "last_seen",
        "event_count",
        "affected_customers",
        "affected_customers_count",
        "evidence",
        "timeline",
        "owner",
        "classification",
    }


async def test_resolve_records_the_classification(store: IncidentStore) -> None:
    (change,) = await store.record([finding(T0, "a:1")])
    resolved = await Lifecycle(store).resolve(
        change.incident_id, "hoa", Classification.FALSE_POSITIVE, "office NAT"
    )
    assert resolved.classification == "false_positive"
    assert resolved.timeline[-1]["classification"] == "false_positive"


async def test_assign_and_comment_go_on_the_timeline(store: IncidentStore) -> None:
    (change,) = await store.record([finding(T0, "a:1")])
    lifecycle = Lifecycle(store)
    await lifecycle.assign(change.incident_id, "lan", by="hoa")
    incident = await lifecycle.comment(change.incident_id, "lan", "checking the firewall")
    assert incident.owner == "lan"
    assert [(e["action"], e["by"]) for e in incident.timeline[1:]] == [
        ("assigned", "hoa"),
        ("comment", "lan"),
    ]


async def test_merge_folds_evidence_counts_and_resolves_the_source(store: IncidentStore) -> None:
    (first,) = await store.record([finding(T0, "a:1", ip="203.0.113.7")])
    (second,) = await store.record([finding(T0 - timedelta(minutes=3), "b:1", ip="203.0.113.8")])
    merged = await Lifecycle(store).merge(first.incident_id, [second.incident_id], by="hoa")
    assert merged.event_count == 2
    assert merged.first_seen.startswith("2026-03-01T01:57:00")
    assert [r["id"] for r in merged.evidence] == ["a:1", "b:1"]
    source = await store.get(second.incident_id)
    assert source is not None and source.status is Status.RESOLVED
    assert source.classification == "duplicate"
    assert merged.timeline[-1] == {
        **merged.timeline[-1],
        "action": "merged",
        "note": second.incident_id,
    }
