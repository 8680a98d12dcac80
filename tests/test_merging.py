"""Folding a batch's findings per fingerprint: the incident counts what one at a time would."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from msgspec.structs import replace

from monitor.events import reference_mark
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from monitor.incidents.merging import fold
from monitor.settings import Settings
from monitor.store.keys import Keys

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def mark(second: int) -> str:
    at = T0 + timedelta(seconds=second)
    return reference_mark({"id": f"auth.log:{second:04d}", "@timestamp": at.isoformat()})


def crossing(seconds: list[int]) -> Finding:
    """A threshold crossing counting the failures at `seconds` (its last one is its own)."""
    at = T0 + timedelta(seconds=seconds[-1])
    return Finding(
        detector="account_takeover.brute_force",
        family="account_takeover",
        severity=Severity.LOW,
        title="Brute force from 203.0.113.7",
        key="ip=203.0.113.7",
        entities={"ip": "203.0.113.7"},
        first_seen=at,
        last_seen=at,
        evidence=({"id": f"auth.log:{seconds[-1]:04d}", "@timestamp": at.isoformat()},),
        marks=tuple(mark(second) for second in seconds),
    )


def extension(second: int) -> Finding:
    at = T0 + timedelta(seconds=second)
    return replace(crossing([second]), entities={}, evidence=(), extends_only=True, last_seen=at)


def test_rising_extensions_fold_into_one_group() -> None:
    found = fold([extension(s) for s in (1, 2, 5)], evidence_limit=10)
    assert found.marks == (mark(1), mark(2), mark(5))
    assert found.first_seen == T0 + timedelta(seconds=1)
    assert found.last_seen == T0 + timedelta(seconds=5)
    assert found.extends_only


def test_a_group_falling_behind_keeps_its_separator() -> None:
    found = fold([crossing([1, 2, 3]), extension(2), extension(4)], evidence_limit=10)
    assert found.marks == (mark(1), mark(2), mark(3), "|", mark(2), mark(4))
    assert not found.extends_only


async def counted(store: IncidentStore, batches: list[list[Finding]]) -> int:
    for batch in batches:
        await store.record(batch)
    (incident,) = await store.list()
    return incident.event_count


@pytest.mark.parametrize("seed", range(6))
async def test_a_batch_counts_what_one_finding_at_a_time_counts(
    redis: aioredis.Redis, keys: Keys, settings: Settings, seed: int
) -> None:
    # A crossing, then extensions and later crossings whose windows reach back over events
    # already counted, some out of order (a late line of another file).
    rng = random.Random(seed)
    findings = [crossing([1, 2, 3, 4, 5])]
    for second in range(6, 40):
        if rng.random() < 0.2:
            findings.append(crossing([*sorted(rng.sample(range(1, second), 5)), second]))
        else:
            findings.append(extension(second if rng.random() < 0.8 else rng.randrange(1, second)))
    store = IncidentStore(redis, keys, settings.incidents)
    one_at_a_time = await counted(store, [[finding] for finding in findings])
    await redis.flushdb()
    cut = rng.randrange(1, len(findings))
    assert await counted(store, [findings[:cut], findings[cut:]]) == one_at_a_time
    await redis.flushdb()
    assert await counted(store, [findings]) == one_at_a_time


async def test_a_mark_holding_the_separator_is_counted_once(
    redis: aioredis.Redis, keys: Keys, settings: Settings
) -> None:
    # An event read without a file offset is known by its text (a user name may hold
    # anything): its extension still counts once, and the other incidents' go on.
    store = IncidentStore(redis, keys, settings.incidents)
    await store.record([crossing([1, 2, 3, 4, 5])])
    odd = replace(extension(6), marks=(f"{mark(6)}\x1eroot",))
    await store.record([odd, extension(7)])
    await store.record([odd])
    (incident,) = await store.list()
    assert incident.event_count == 7
