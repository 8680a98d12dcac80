"""A window key holds what its trims leave, whichever way the script gets there: nothing older
than the span before the batch's settled time, and no more than the cap up to it (the oldest
go first). Keys the script finds holding only what it read and added skip both trims."""

from __future__ import annotations

import random
from datetime import timedelta

import redis.asyncio as aioredis
from msgspec.structs import replace

from detectors import build_detectors
from detectors.engine import Detection
from detectors.held import Held
from detectors.windows import load_series, shard_of, touch
from monitor.events import Event, Outcome
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.test_held import START, attempts, batches


def pages(seed: int, count: int) -> list[Event]:
    """Page requests from a few visitors at a time, new ones coming as others leave, in bursts
    and pauses longer than the page window (ten minutes), now and then a line logged late."""
    rng = random.Random(seed)
    events, moment = [], START
    for offset in range(count):
        moment += timedelta(milliseconds=rng.choice([200, 900, 4_000, 300_000, 700_000]))
        late = rng.choice([0] * 9 + [90_000])
        events.append(
            Event(
                timestamp=moment - timedelta(milliseconds=late),
                action="http-request",
                outcome=Outcome.SUCCESS,
                category="web",
                dataset="nginx.access",
                source_ip=f"2001:db8::{offset // 50 + rng.randint(0, 2):x}",
                url_path=f"/tracking/{offset}",
                http_method="GET",
                status_code=200,
                file_path="/var/log/nginx/access.log",
                offset=offset * 120,
            )
        )
    return events


def trimmed(
    held: set[tuple[int, bytes]], added: dict[str, int], keep: int, settled: int, cap: int
) -> set[tuple[int, bytes]]:
    """What the key holds after a batch adds to it: the batch's members added, those older
    than `keep` removed, then the oldest of those up to `settled` past the cap."""
    after = held | {(score, member.encode()) for member, score in added.items()}
    after = {pair for pair in after if pair[0] >= keep}
    old = sorted(pair for pair in after if pair[0] <= settled)
    return after - set(old[: max(0, len(old) - cap)])


async def test_window_keys_hold_what_the_trims_leave(
    redis: aioredis.Redis, settings: Settings
) -> None:
    keys = Keys("trims")
    windows = Detection(redis, keys, build_detectors(settings)).windows
    by_name = {window.name: window for group in windows.values() for window in group}
    for seed in range(5):
        await redis.flushdb()
        rng = random.Random(seed)
        events = sorted(
            attempts(seed, 1_500) + pages(seed, 1_500), key=lambda event: event.epoch_ms
        )
        model: dict[bytes, set[tuple[int, bytes]]] = {}
        for number, run in enumerate(batches(events, rng)):
            # A batch still in flight earlier in the stream holds back the trims at times;
            # without one (None) they go up to each group's latest event.
            settled = rng.choice([None, run[0].epoch_ms, run[0].epoch_ms - 90_000])
            await load_series(redis, keys, windows, run, settled, Held())
            for (name, group), seen in touch(windows, run).items():
                if not seen.added:
                    continue  # a batch that adds nothing trims nothing
                window = by_name[name]
                done = seen.latest if settled is None else min(seen.latest, settled)
                key = keys.window(shard_of(group), name, group).encode()
                model[key] = trimmed(
                    model.get(key, set()), seen.added, done - window.span_ms, done, window.cap
                )
            for key, expected in model.items():
                stored = await redis.zrange(key, 0, -1, withscores=True)
                assert {(int(score), member) for member, score in stored} == expected, (
                    f"seed {seed}, batch {number}: {key!r}"
                )


async def test_pages_read_for_a_batch_go_once_it_moves_a_span_past_them(
    redis: aioredis.Redis, settings: Settings
) -> None:
    """Three pages, then a batch five and fifteen minutes later: its first page still counts
    them (a ten-minute window), its last does not, so they are gone after it."""
    keys = Keys("trims")
    windows = Detection(redis, keys, build_detectors(settings)).windows
    base = replace(pages(0, 1)[0], timestamp=START)

    def page(seconds: int, offset: int) -> Event:
        return replace(base, timestamp=START + timedelta(seconds=seconds), offset=offset)

    await load_series(redis, keys, windows, [page(0, 1), page(0, 2), page(0, 3)], None, Held())
    series = await load_series(redis, keys, windows, [page(300, 4), page(900, 5)], None, Held())
    (group,) = series
    assert series[group].scores == [base.epoch_ms + ms for ms in (0, 0, 0, 300_000, 900_000)]
    key = keys.window(shard_of(group[1]), *group)
    stored = await redis.zrange(key, 0, -1, withscores=True)
    assert [int(score) - base.epoch_ms for _, score in stored] == [300_000, 900_000]
