"""Windows read as counts: below its detectors' thresholds a visitor's page window comes back
as a count of the members no question can tell apart, and every count, crossing and incident
is the same as when the window is read whole."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.counted import CountedOnly
from detectors.engine import Detection
from detectors.history import RedisHistory
from detectors.intrusion.web import T0, request
from detectors.windows import Series, load_series
from monitor.events import Event
from monitor.incidents import IncidentStore
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.test_distinct_crossing import views, with_rereads

VISITOR = "203.0.113.61"
Row = tuple[str, tuple[tuple[str, str], ...], int, str, str, tuple[str, ...]]


def visits(ip: str, count: int, step: timedelta, start: timedelta, first: int) -> list[Event]:
    return [
        request(ip, f"/tracking/{n}", at=T0 + start + n * step, offset=first + n)
        for n in range(count)
    ]


def read_whole(detection: Detection) -> None:
    """The same detection with every window read whole, as before counted windows."""
    detection.windows = {
        action: tuple(dataclasses.replace(w, counted_below=0, limits=()) for w in group)
        for action, group in detection.windows.items()
    }


async def series_after(
    redis: aioredis.Redis, detection: Detection, earlier: list[Event], now: list[Event]
) -> dict[tuple[str, str], Series]:
    """The series of the batch `now`, after a batch of `earlier` events."""
    await load_series(redis, Keys("counted"), detection.windows, earlier)
    return await load_series(redis, Keys("counted"), detection.windows, now)


async def test_a_visitors_page_window_comes_back_as_a_count_that_counts_the_same(
    redis: aioredis.Redis, settings: Settings
) -> None:
    detection = Detection(redis, Keys("counted"), build_detectors(settings))
    now = visits(VISITOR, 2, timedelta(seconds=1), timedelta(minutes=5, seconds=5), 60)
    earlier = visits(VISITOR, 60, timedelta(seconds=5), timedelta(0), 0)
    series = await series_after(redis, detection, earlier, now)
    found = series[("pages_by_ip", VISITOR)]
    start, end = found.blank
    # The visits of the 15 s before the batch (290 s and 295 s) and the batch's own are
    # read; the 58 before them are not.
    assert end - start == 58
    assert len(found.members) == 62
    history = RedisHistory(series)
    crawling = next(d for d in detection.detectors if d.id == "bulk_access.crawling")
    assert history.counts(crawling.windows, VISITOR, now[-1]) == [62, 3]
    with pytest.raises(CountedOnly):
        history.members(crawling.windows[0], VISITOR, now[-1])
    # A shorter span's members are all read: asking for them is fine.
    assert len(history.members(crawling.windows[1], VISITOR, now[-1])) == 3


async def test_a_visitor_far_below_every_threshold_has_no_member_read(
    redis: aioredis.Redis, settings: Settings
) -> None:
    detection = Detection(redis, Keys("counted"), build_detectors(settings))
    now = visits(VISITOR, 2, timedelta(seconds=1), timedelta(seconds=31), 30)
    earlier = visits(VISITOR, 30, timedelta(seconds=1), timedelta(0), 0)
    found = (await series_after(redis, detection, earlier, now))[("pages_by_ip", VISITOR)]
    # 32 pages cannot make the 40 of a burst nor the 300 of a crawl, whenever they came.
    assert found.blank == (0, 30)
    assert found.members[30:] == [event.reference_key().encode() for event in now]


def crawling() -> list[Event]:
    """A person, a slow crawler past 300 pages in ten minutes, a burst after a slow start."""
    person = visits(VISITOR, 80, timedelta(seconds=8), timedelta(0), 0)
    crawler = visits("198.51.100.61", 340, timedelta(seconds=1.5), timedelta(seconds=3), 1000)
    burst = visits("198.51.100.60", 30, timedelta(seconds=9), timedelta(seconds=1), 2000)
    burst += visits("198.51.100.60", 50, timedelta(milliseconds=200), timedelta(minutes=5), 2030)
    return sorted(person + crawler + burst, key=lambda event: event.epoch_ms)


def scraping() -> list[Event]:
    """150 record views of 130 customers from one address and session."""
    return views(with_rereads())


async def incidents(
    redis: aioredis.Redis, settings: Settings, events: list[Event], size: int, whole: bool
) -> list[Row]:
    keys = Keys(f"counted-{size}-{whole}")
    detection = Detection(redis, keys, build_detectors(settings), isolate=False)
    if whole:
        read_whole(detection)
    store = IncidentStore(redis, keys, settings.incidents)
    touched: set[str] = set()
    for start in range(0, len(events), size):
        findings = await detection.process(events[start : start + size])
        touched.update(change.incident_id for change in await store.record(findings))
    return sorted(
        (
            i.detector,
            tuple(sorted(i.entities.items())),
            i.event_count,
            i.first_seen,
            i.last_seen,
            tuple(sorted(i.affected_customers)),
        )
        for i in await store.get_many(sorted(touched))
    )


@pytest.mark.parametrize("size", [1, 9, 64])
@pytest.mark.parametrize("traffic", [crawling, scraping])
async def test_counted_windows_raise_what_whole_windows_raise(
    redis: aioredis.Redis, settings: Settings, size: int, traffic: Callable[[], list[Event]]
) -> None:
    events = traffic()
    counted = await incidents(redis, settings, events, size, whole=False)
    whole = await incidents(redis, settings, events, size, whole=True)
    assert counted == whole
    assert any(count >= 40 for _, _, count, *_ in whole)  # incidents that kept counting
