"""Thresholds on distinct customers fire as the distinct count crosses, whatever the rereads."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.base import Detector, Example, History, Window, crossed
from detectors.engine import Detection
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.settings import load_settings
from monitor.store.keys import Keys

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
DETECTORS = {detector.id: detector for detector in build_detectors(load_settings())}


def views(customers: list[str], start: datetime = T0, first: int = 0) -> list[Event]:
    return [
        Event(
            timestamp=start + n * timedelta(seconds=2),
            action="customer-record-view",
            category="database",
            dataset="ecs",
            user="ngoc.pham",
            source_ip="198.51.100.9",
            session_id="s-77",
            customer_id=customer or None,
            file_path="/var/log/als/audit.json",
            offset=first + n,
        )
        for n, customer in enumerate(customers)
    ]


def with_rereads() -> list[str]:
    """150 views of 130 customers: every sixth view of the first 120 rereads the one before."""
    customers: list[str] = []
    for n in range(150):
        customers.append(customers[-1] if n % 6 == 5 and n < 120 else f"C-{len(set(customers))}")
    return customers


def hundredth_distinct(customers: list[str]) -> int:
    seen: set[str] = set()
    for index, customer in enumerate(customers):
        seen.add(customer)
        if len(seen) == 100:
            return index
    raise AssertionError("never 100 distinct")


async def openings(
    redis: aioredis.Redis, detector: Detector, events: list[Event], batch: int
) -> list[tuple[int, Finding]]:
    """The findings that may open an incident, with the index of the event that raised each."""
    detection = Detection(redis, Keys("vigil"), [detector], isolate=False)
    index = {event.timestamp: n for n, event in enumerate(events)}
    found: list[tuple[int, Finding]] = []
    for start in range(0, len(events), batch):
        for finding in await detection.process(events[start : start + batch]):
            if not finding.extends_only:
                found.append((index[finding.last_seen], finding))
    return found


@pytest.mark.parametrize("batch", [1, 7, 150])
@pytest.mark.parametrize("detector_id", ["bulk_access.scraping", "bulk_access.volume_anomaly"])
async def test_150_views_of_130_customers_fire_at_the_100th_distinct(
    redis: aioredis.Redis, detector_id: str, batch: int
) -> None:
    customers = with_rereads()
    assert (len(customers), len(set(customers))) == (150, 130)
    fired = await openings(redis, DETECTORS[detector_id], views(customers), batch)
    crossing = hundredth_distinct(customers)
    assert crossing == 118  # the 119th view: neither the 100th nor a doubling of it
    assert [n for n, _ in fired] == [crossing]
    assert len(fired[0][1].affected_customers) == 100


@pytest.mark.parametrize("batch", [1, 150])
@pytest.mark.parametrize("detector_id", ["bulk_access.scraping", "bulk_access.volume_anomaly"])
async def test_150_views_of_the_same_20_customers_raise_nothing(
    redis: aioredis.Redis, detector_id: str, batch: int
) -> None:
    customers = [f"C-{n % 20}" for n in range(150)]
    assert await openings(redis, DETECTORS[detector_id], views(customers), batch) == []


@pytest.mark.parametrize("detector_id", ["bulk_access.scraping", "bulk_access.volume_anomaly"])
async def test_views_after_the_crossing_extend_the_incident(
    redis: aioredis.Redis, detector_id: str
) -> None:
    customers = with_rereads()
    events = views(customers)
    detection = Detection(redis, Keys("vigil"), [DETECTORS[detector_id]], False)
    findings = await detection.process(events)
    opening = next(f for f in findings if not f.extends_only)
    # The crossing counts every view before it, and starts at the first one.
    assert (len(opening.counted), opening.first_seen) == (119, T0)
    after = [f for f in findings if f.last_seen > events[118].timestamp]
    # Each later view extends the incident, once (scraping: the IP's window; the session's
    # adds none), with its customer: the incident names all 130 that were read.
    assert len(after) == 150 - 119 and all(f.extends_only for f in after)
    assert {c for f in after for c in f.affected_customers} == set(customers[119:])


async def test_a_window_sliding_past_old_views_counts_only_what_is_inside(
    redis: aioredis.Redis,
) -> None:
    # 99 customers, ten minutes of quiet (the window's span), then 60 new ones: never 100.
    first = views([f"C-{n}" for n in range(99)])
    later = views([f"C-{n}" for n in range(99, 159)], T0 + timedelta(minutes=15), 1000)
    fired = await openings(redis, DETECTORS["bulk_access.scraping"], first + later, 20)
    assert fired == []


@pytest.mark.parametrize(
    ("before", "now", "fires"),
    [(99, 100, True), (100, 100, False), (100, 101, False), (199, 200, True), (90, 150, True)],
)
def test_crossed_names_the_threshold_and_its_doublings(before: int, now: int, fires: bool) -> None:
    assert crossed(before, now, 100, 5000) is fires


@dataclass(frozen=True, slots=True)
class Probe:
    """Asserts, at every view, that the sliding tally is what a count of the members gives."""

    checked: list[str]
    id: str = "test.probe"
    family: str = "bulk_access"
    title: str = "Probe"
    severity: Severity = Severity.LOW
    mitre: str = "T0000"
    runbook: str = "none"
    actions: frozenset[str] = frozenset({"customer-record-view"})
    windows: tuple[Window, ...] = (
        Window("probe_views", "source_ip", timedelta(minutes=1), lambda e: True, cap=5000),
    )

    def evaluate(self, event: Event, history: History) -> Finding | None:
        window, group = self.windows[0], str(event.source_ip)
        tally = dict(history.distinct(window, group, event, "customer_id"))
        values = history.values(window, group, event, "customer_id", window.cap)
        assert tally == Counter(filter(None, values)), event.offset
        self.checked.append(event.id)
        return None

    def examples(self) -> tuple[Example, ...]:
        return ()


async def test_the_tally_carried_from_batch_to_batch_is_a_true_count(
    redis: aioredis.Redis,
) -> None:
    rng = random.Random(13)
    moment, events = T0, []
    for n in range(3000):
        # Bursts and pauses, some longer than the window; late lines now and then.
        moment += timedelta(milliseconds=rng.choice([5, 50, 400, 2000, 70_000]))
        at = moment - timedelta(seconds=rng.choice([0] * 9 + [30]))
        customer = rng.choice([f"C-{rng.randrange(60)}", None])
        events.append(views([customer or ""], at, n)[0])
    probe = Probe([])
    detection = Detection(redis, Keys("vigil"), [probe], isolate=False)
    start = 0
    while start < len(events):
        size = rng.choice([1, 3, 40, 300])
        await detection.process(events[start : start + size])
        start += size
    assert len(probe.checked) == len(events)


async def test_an_export_names_the_customers_it_carried_not_the_hours_views(
    redis: aioredis.Redis,
) -> None:
    read = views(["C-1", "C-2", "C-3"])
    carried = [f"C-{n}" for n in range(1000, 1900)]
    export = Event(
        timestamp=T0 + timedelta(minutes=5),
        action="customer-record-export",
        user="ngoc.pham",
        source_ip="198.51.100.9",
        file_path="/var/log/als/audit.json",
        offset=10,
        extra={"labels.record_count": 900, "labels.customer_ids": carried},
    )
    fired = await openings(redis, DETECTORS["bulk_access.volume_anomaly"], [*read, export], 10)
    assert [set(f.affected_customers) for _, f in fired] == [set(carried)]
