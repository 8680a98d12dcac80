"""A detect process keeps copies of the window groups it wrote, and reads them instead of Redis
only while they are what Redis holds: another process's batch, or a key gone, and it reads
Redis again. Whatever happens, a batch sees exactly what a process without copies sees."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.engine import Detection
from detectors.held import Held, weight
from detectors.windows import SMALLEST_COPIED, Series, load_series, shard_of
from monitor.events import Event, Outcome
from monitor.settings import Settings
from monitor.store.keys import Keys

START = datetime(2026, 3, 1, 9, tzinfo=UTC)
SCANNERS = ["203.0.113.7", "203.0.113.8", "198.51.100.20"]
USERS = ["root", "admin", "oracle"]


def attempts(seed: int, count: int) -> list[Event]:
    """A scanner flood over forty minutes: many failures a group (past the windows' caps),
    some successes, a few lines logged up to two minutes late, several in one millisecond."""
    rng = random.Random(seed)
    events = []
    for offset in range(count):
        moment = START + timedelta(milliseconds=offset * 900 - rng.choice([0] * 9 + [120_000]))
        events.append(
            Event(
                timestamp=moment.replace(microsecond=moment.microsecond // 1000 * 1000),
                action="ssh-login",
                outcome=Outcome.SUCCESS if rng.random() < 0.05 else Outcome.FAILURE,
                category="authentication",
                dataset="sshd",
                user=rng.choice(USERS),
                source_ip=rng.choice(SCANNERS),
                source_port=1024 + offset,
                file_path="/var/log/auth.log",
                offset=offset * 100,
            )
        )
    return events


def batches(events: list[Event], rng: random.Random) -> list[list[Event]]:
    """The events cut into runs of 1 to 400, each in the engine's order."""
    runs, start = [], 0
    while start < len(events):
        size = rng.randint(1, 400)
        run = events[start : start + size]
        runs.append(sorted(run, key=lambda event: (event.epoch_ms, event.reference_key())))
        start += size
    return runs


def plain(
    series: dict[tuple[str, str], Series],
) -> dict[tuple[str, str], tuple[list[int], list[bytes]]]:
    return {group: (found.scores, found.members) for group, found in series.items()}


async def test_copies_stand_in_for_redis_only_while_they_hold_what_it_holds(
    redis: aioredis.Redis, settings: Settings
) -> None:
    windows = Detection(redis, Keys("held"), build_detectors(settings)).windows
    for seed in range(3):
        await redis.flushdb()
        rng = random.Random(seed)
        copied, fresh = Keys("copied"), Keys("fresh")
        mine, theirs = Held(), Held()
        for number, run in enumerate(batches(attempts(seed, 3_000), rng)):
            # Mostly this process; now and then another one writes the batch instead, or a
            # key is lost (expired, or Redis restarted without it).
            held = theirs if rng.random() < 0.15 else mine
            if rng.random() < 0.05:
                keys = sorted(await redis.keys(f"{copied.prefix}:win:*"))
                if keys:
                    lost = rng.sample(keys, max(1, len(keys) // 2))
                    await redis.delete(*lost)
                    await redis.delete(*(key.replace(b"copied", b"fresh", 1) for key in lost))
            # A batch still in flight earlier in the stream holds back the trims at times.
            settled = run[0].epoch_ms - rng.choice([0, 0, 0, 90_000])
            found = await load_series(redis, copied, windows, run, settled, held)
            expected = await load_series(redis, fresh, windows, run, settled, Held())
            assert plain(found) == plain(expected), f"seed {seed}, batch {number}"
            for key in await redis.keys(f"{copied.prefix}:win:*"):
                assert await redis.pttl(key) > 0, f"seed {seed}, batch {number}: {key!r} has no TTL"
                twin = key.replace(b"copied", b"fresh", 1)
                assert await redis.zrange(key, 0, -1) == await redis.zrange(twin, 0, -1), (
                    f"seed {seed}, batch {number}: {key!r} is trimmed otherwise than without copies"
                )
            indexed = {key for keys in held.shards.values() for key in keys}
            assert set(held.shard_mark_of) == indexed == set(held.copies)
            assert held.size == sum(map(weight, held.copies.values()))
            for key, copy in held.copies.items():
                # The script trusts a copy while the shard's mark is the process's own and the
                # key holds as many members (a shard another process wrote since, or a key
                # lost, is read again): such a copy must be what Redis holds.
                shard_mark = held.shard_mark_of[key]
                if (await redis.get(shard_mark) or b"").decode() != held.claim(shard_mark):
                    continue
                if await redis.zcard(key) != len(copy.members):
                    continue
                stored = await redis.zrange(key, 0, -1, withscores=True)
                assert [(m, int(s)) for m, s in stored] == list(
                    zip(copy.members, copy.scores, strict=True)
                ), f"seed {seed}, batch {number}: the copy of {key} is not what Redis holds"


async def test_a_second_batch_of_a_flood_reads_no_window_members_from_redis(
    redis: aioredis.Redis, settings: Settings
) -> None:
    windows = Detection(redis, Keys("held"), build_detectors(settings)).windows
    events = sorted(attempts(7, 800), key=lambda event: (event.epoch_ms, event.reference_key()))
    held = Held()
    await load_series(redis, Keys("held"), windows, events[:400], None, held)
    keys = await redis.keys("held:win:*")
    small = [key for key in keys if await redis.zcard(key) < SMALLEST_COPIED]
    before = await redis.info("commandstats")
    await load_series(redis, Keys("held"), windows, events[400:], None, held)
    after = await redis.info("commandstats")
    reads = "cmdstat_zrevrangebyscore"
    # Only keys too small to be worth a copy are read again.
    assert after[reads]["calls"] - before[reads]["calls"] <= len(small) < len(keys) // 2
    assert held.copies, "the process holds its windows"


async def test_a_batch_another_process_wrote_is_read_even_when_the_key_kept_its_size(
    redis: aioredis.Redis, settings: Settings
) -> None:
    """A window at its cap stays the same size when another process adds to it: only the
    shard's mark tells the copy is out of date."""
    windows = Detection(redis, Keys("held"), build_detectors(settings)).windows
    flood = [
        Event(
            timestamp=START + timedelta(seconds=second),
            action="ssh-login",
            outcome=Outcome.FAILURE,
            dataset="sshd",
            user="root",
            source_ip="203.0.113.7",
            file_path="/var/log/auth.log",
            offset=second * 100,
        )
        for second in range(211)
    ]
    mine, theirs = Held(), Held()
    await load_series(redis, Keys("held"), windows, flood[:200], None, mine)
    await load_series(redis, Keys("held"), windows, flood[200:210], None, theirs)
    found = await load_series(redis, Keys("held"), windows, flood[210:], None, mine)
    group = ("login_failures_by_source_ip", "203.0.113.7")
    newest = found[group].scores[-11:-1]
    assert newest == [event.epoch_ms for event in flood[200:210]]


async def test_a_copy_is_not_trusted_once_another_process_wrote_its_shard(
    redis: aioredis.Redis, settings: Settings
) -> None:
    """Another process adds to a full window (it holds as many members after), then this
    process writes another key of that shard: the shard's mark is its own again, yet its
    copy of the first key is stale and must not stand in for it."""
    windows = Detection(redis, Keys("held"), build_detectors(settings)).windows
    scanner = "203.0.113.7"
    neighbour = next(
        ip for ip in (f"198.51.100.{n}" for n in range(256)) if shard_of(ip) == shard_of(scanner)
    )

    def failure(ip: str, second: int) -> Event:
        return Event(
            timestamp=START + timedelta(seconds=second),
            action="ssh-login",
            outcome=Outcome.FAILURE,
            dataset="sshd",
            user="root",
            source_ip=ip,
            file_path="/var/log/auth.log",
            offset=second * 100,
        )

    full = [failure(scanner, second) for second in range(130)]  # past the cap of 120
    runs = [full, [failure(scanner, 130)], [failure(neighbour, 131)], [failure(scanner, 132)]]
    mine, theirs = Held(), Held()
    for run, held in zip(runs, (mine, theirs, mine, mine), strict=True):
        found = await load_series(redis, Keys("copied"), windows, run, None, held)
        expected = await load_series(redis, Keys("fresh"), windows, run, None, Held())
        assert plain(found) == plain(expected)
    group = ("login_failures_by_source_ip", scanner)
    assert found[group].scores[-2:] == [full[0].epoch_ms + 130_000, full[0].epoch_ms + 132_000]
