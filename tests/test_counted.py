"""Windows read as counts: below its detectors' thresholds a visitor's page window comes back
as a count of the members no question can tell apart (or, below every threshold, of all of
them), and every crossing and incident is the same as when the window is read whole."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from msgspec import to_builtins
from msgspec.structs import replace

from detectors import build_detectors
from detectors.counted import CountedOnly, read_whole
from detectors.engine import Detection
from detectors.history import RedisHistory
from detectors.intrusion.web import T0, request
from detectors.windows import TTL_SLACK_MS, Series, load_series
from monitor.detector_settings import ScrapingSettings
from monitor.events import Event
from monitor.incidents import IncidentStore
from monitor.intrusion_settings import CrawlingSettings
from monitor.parsers import FORMATS, LineContext
from monitor.parsers.batch import FileParser
from monitor.settings import Settings
from monitor.sources.follower import Line
from monitor.store.keys import Keys
from tests.test_distinct_crossing import views, with_rereads

VISITOR = "203.0.113.61"
STEPS = (timedelta(seconds=5), timedelta(0))  # a visit every 5 s from T0
FUZZED = ("bulk_access.crawling", "bulk_access.scraping")
Row = tuple[str, tuple[tuple[str, str], ...], int, str, str, tuple[str, ...]]


def visits(ip: str, count: int, step: timedelta, start: timedelta, first: int) -> list[Event]:
    return [
        request(ip, f"/tracking/{n}", at=T0 + start + n * step, offset=first + n)
        for n in range(count)
    ]


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


def sample_crawl() -> list[Event]:
    """tests/samples/nginx-crawl.log as nginx wrote it: a person, Googlebot and a crawler."""
    sample = Path(__file__).parent / "samples" / "nginx-crawl.log"
    context = LineContext(str(sample), UTC, datetime(2026, 6, 1, tzinfo=UTC))
    lines, offset = [], 0
    for text in sample.read_text().splitlines():
        if not text.startswith("#"):
            lines.append(Line(offset, text))
        offset += len(text.encode()) + 1
    parsed = FileParser(FORMATS["nginx"]).parse(context, lines)
    assert len(parsed.events) == len(lines)
    return parsed.events


def scraping() -> list[Event]:
    """150 record views of 130 customers from one address and session."""
    return views(with_rereads())


async def incidents(
    redis: aioredis.Redis, settings: Settings, events: list[Event], size: int, whole: bool
) -> list[Row]:
    keys = Keys(f"counted-{size}-{whole}")
    detection = Detection(redis, keys, build_detectors(settings), isolate=False)
    if whole:
        detection.windows = read_whole(detection.windows)
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
@pytest.mark.parametrize("traffic", [crawling, sample_crawl, scraping])
async def test_counted_windows_raise_what_whole_windows_raise(
    redis: aioredis.Redis, settings: Settings, size: int, traffic: Callable[[], list[Event]]
) -> None:
    events = traffic()
    counted = await incidents(redis, settings, events, size, whole=False)
    whole = await incidents(redis, settings, events, size, whole=True)
    assert counted == whole
    assert any(count >= 40 for _, _, count, *_ in whole)  # incidents that kept counting


def tight(settings: Settings, variant: int) -> Settings:
    """Small thresholds, and burst spans shorter than, longer than and equal to the run's."""
    burst_window, window = [(10, 120), (180, 60), (60, 60)][variant]
    crawl = CrawlingSettings(
        burst_pages=8,
        burst_window=timedelta(seconds=burst_window),
        pages=25,
        window=timedelta(seconds=window),
    )
    scrape = ScrapingSettings(records=6, window=timedelta(minutes=1))
    update = {"crawling": crawl, "scraping": scrape}
    return settings.model_copy(update={"detectors": settings.detectors.model_copy(update=update)})


def mixed(rng: random.Random) -> list[list[Event]]:
    """Pages and record views from six addresses, ties on whole seconds, in batches of 1 to
    50 with some lines logged late (in a later batch)."""
    events, offset = [], 0
    for n in range(6):
        ip, moment = f"198.51.100.{n + 1}", T0 + timedelta(seconds=rng.randrange(60))
        for _ in range(rng.randrange(20, 90)):
            moment += timedelta(milliseconds=rng.choice([0, 0, 200, 1000, 3000, 9000, 30000]))
            offset += 1
            if rng.random() < 0.5:
                events.append(request(ip, f"/p/{rng.randrange(40)}", at=moment, offset=offset))
            else:
                view = views([f"C-{rng.randrange(12)}"], moment, offset)[0]
                events.append(replace(view, source_ip=ip, session_id=f"s-{n % 3}"))
    events.sort(key=lambda event: event.epoch_ms)
    batches: list[list[Event]] = []
    late: list[Event] = []
    start = 0
    while start < len(events):
        size = rng.choice([1, 3, 7, 20, 50])
        batch: list[Event] = []
        for event in events[start : start + size]:
            (late if rng.random() < 0.08 else batch).append(event)
        if late and rng.random() < 0.5:
            batch, late = batch + late, []
        batches.append(batch)
        start += size
    return [batch for batch in [*batches, late] if batch]


@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize("seed", range(3))
async def test_counted_and_whole_windows_agree_on_late_lines_replays_and_spans(
    redis: aioredis.Redis, settings: Settings, variant: int, seed: int
) -> None:
    rng = random.Random(seed)
    tuned, batches = tight(settings, variant), mixed(rng)
    replayed = {n for n in range(len(batches)) if rng.random() < 0.2}  # after a crash
    found: dict[bool, list[list[object]]] = {}
    held: dict[bool, dict[str, list[tuple[bytes, float]]]] = {}
    for whole in (False, True):
        keys = Keys(f"fuzz-{whole}")
        detectors = [d for d in build_detectors(tuned) if d.id in FUZZED]
        detection = Detection(redis, keys, detectors, isolate=False)
        if whole:
            detection.windows = read_whole(detection.windows)
        found[whole] = []
        for n, batch in enumerate(batches):
            settled = min(event.epoch_ms for event in batch)
            for _ in range(2 if n in replayed else 1):
                findings = await detection.process(batch, settled=settled)
            found[whole].append([to_builtins(finding) for finding in findings])
        held[whole] = {
            key.decode().split(":", 1)[1]: await redis.zrange(key, 0, -1, withscores=True)
            async for key in redis.scan_iter(match=f"{keys.prefix}:win:*")
        }
    assert found[False] == found[True]
    assert any(found[True])
    assert held[False] == held[True]  # the trims left the same members


async def test_a_visitors_window_keeps_its_ttl_and_gets_it_again_when_it_runs_low(
    redis: aioredis.Redis, settings: Settings
) -> None:
    detection = Detection(redis, Keys("counted"), build_detectors(settings))
    await load_series(redis, Keys("counted"), detection.windows, visits(VISITOR, 3, *STEPS, 0))
    (key,) = [k async for k in redis.scan_iter("counted:*pages_by_ip*")]
    crawling = next(d for d in detection.detectors if d.id == "bulk_access.crawling")
    whole = crawling.windows[0].span_ms + TTL_SLACK_MS
    assert whole - 60_000 < await redis.pttl(key) <= whole
    await redis.pexpire(key, 120_000)  # as if the visitor had come back 50 minutes later
    later = visits(VISITOR, 1, *STEPS, 3)
    await load_series(redis, Keys("counted"), detection.windows, later)
    assert await redis.pttl(key) > whole - 60_000
