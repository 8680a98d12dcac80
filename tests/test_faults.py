"""Faults while lines flow: each test states what was lost (nothing) and what was doubled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from pydantic import SecretStr
from redis.exceptions import RedisError

from detectors import build_detectors
from detectors.account_takeover.logins import T0, failures
from detectors.engine import Detection
from monitor.breach_commands import build_playbook
from monitor.dashboard.api import ApiParts
from monitor.dashboard.app import create_app
from monitor.dashboard.users import Users
from monitor.incidents import IncidentStore
from monitor.pipeline.ingest import Ingest
from monitor.service import Role, Vigil, open_vigil, run
from monitor.settings import Settings
from monitor.status import collect
from monitor.store import embedded
from monitor.store.keys import Keys
from tests.test_pipeline import stream_events, with_source

LINES = 12_000
OUTAGE_SECONDS = 60  # the slowest test of the suite: about a minute


def numbered(first: int, count: int) -> str:
    """sshd lines whose source port numbers them: each line says which one it is."""
    return "".join(
        f"Mar  1 09:00:{n % 60:02d} web-01 sshd[9]: Failed password for root from "
        f"203.0.113.{n % 250 + 1} port {n} ssh2\n"
        for n in range(first, first + count)
    )


async def test_rotation_every_100_ms_under_load_loses_and_doubles_nothing(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "auth.log"
    log.touch()
    ingest = Ingest(redis, keys, with_source(settings, log, batch_lines=500))
    await ingest.start()
    written = asyncio.Event()

    async def write() -> None:
        """100 lines every 5 ms, the file renamed away (auth.log.1, .2, ...) every 100 ms."""
        rotated = 0
        for chunk in range(LINES // 100):
            with log.open("a") as handle:
                handle.write(numbered(chunk * 100, 100))
            if chunk % 20 == 19:
                rotated += 1
                log.rename(tmp_path / f"auth.log.{rotated}")
                log.touch()
            await asyncio.sleep(0.005)
        written.set()

    async def read() -> None:
        idle = 0
        while idle < 50:  # after the writer stops, until nothing is left to read
            idle = 0 if await ingest.step() or not written.is_set() else idle + 1
            await asyncio.sleep(0.002)

    await asyncio.gather(write(), read())
    ports = [event.source_port for event in await stream_events(redis, keys)]
    assert len(ports) == LINES  # nothing doubled ...
    assert set(ports) == set(range(LINES))  # ... and nothing lost


async def test_redis_restarted_between_batches_loses_and_doubles_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    """A Valkey of its own, shut down and started again from its append-only file."""
    data = tmp_path / "redis"
    url = embedded.ensure_server(data)
    redis = aioredis.Redis.from_url(url)
    keys = Keys("restart")
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 3000))
    ingest = Ingest(redis, keys, with_source(settings, log, batch_lines=1000))
    await ingest.start()
    assert await ingest.step() == 1000
    embedded.release_server(data, force=True)  # SHUTDOWN: the append-only file is complete
    assert not embedded.answers(url)
    log.write_text(log.read_text() + numbered(3000, 1000))
    embedded.ensure_server(data)
    while await step_as_the_service_does(ingest):
        pass
    ports = [event.source_port for event in await stream_events(redis, keys)]
    await redis.aclose()
    embedded.release_server(data, force=True)
    assert sorted(-1 if port is None else port for port in ports) == list(range(4000))


async def step_as_the_service_does(ingest: Ingest) -> int:
    """Ingest.run's loop: a Redis error pauses and retries (the client reconnects); the
    checkpoint, written with the events, says where to go on."""
    for _ in range(20):
        try:
            return await ingest.step()
        except RedisError:
            await asyncio.sleep(0.1)
    raise AssertionError("Redis did not come back")


async def test_a_clock_jumping_back_and_forward_still_counts_each_burst(
    redis: aioredis.Redis, keys: Keys, settings: Settings
) -> None:
    """A host's clock reset a day back, then a year ahead: each burst of five is a brute
    force of its own, whatever came before it in the stream."""
    (brute_force,) = [d for d in build_detectors(settings) if d.id.endswith("brute_force")]
    detection = Detection(redis, keys, [brute_force], isolate=False)
    crossings = 0
    for start in (T0, T0 - timedelta(days=1), T0 + timedelta(days=365)):
        for event in failures("203.0.113.77", 5, start=start):
            found = await detection.process([event])
            crossings += sum(not finding.extends_only for finding in found)
    assert crossings == 3


async def test_a_flood_of_garbage_keeps_the_dead_letters_bounded_and_counted(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    """20,000 malformed lines and a 2 MiB one: every one counted, the dead letters kept to
    their cap, the long line cut, and the good lines after them still read."""
    log = tmp_path / "audit.json"
    garbage = "".join(f'{{"not an event": {n}}}\n' for n in range(20_000))
    huge = '{"@timestamp": "2026-03-01T02:00:00Z", "x": "' + "A" * (2 << 20) + '"}\n'
    good = '{"@timestamp": "2026-03-01T02:00:01Z", "event": {"action": "user-logout"}}\n'
    log.write_text(garbage + huge + good)
    configured = with_source(settings, log, dead_letter_maxlen=1000)
    # Garbage first lines would leave the format unrecognised: the source names it.
    source = configured.sources[0].model_copy(update={"format": "ecs"})
    ingest = Ingest(redis, keys, configured.model_copy(update={"sources": (source,)}))
    await ingest.start()
    while await ingest.step():
        pass
    assert [e.action for e in await stream_events(redis, keys)] == ["user-logout"]
    assert await redis.xlen(keys.dead_letters) <= 1100  # trimmed near its cap
    stats = await redis.hgetall(keys.source_stats)
    assert int(stats[f"{log}|malformed".encode()]) == 20_001
    newest = (await redis.xrevrange(keys.dead_letters, count=1))[0][1]
    assert newest[b"reason"] == b"line too long, cut"
    assert len(newest[b"line"]) <= 4096  # what a dead letter keeps of a line


async def test_redis_away_for_a_minute_while_lines_arrive_loses_and_doubles_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    """The service (ingest and detect) runs while its Valkey is shut down for a minute
    and lines keep coming: ingest waits and resumes from its checkpoint, the worker
    reconnects, every line arrives once and the brute force written during the outage is
    raised."""
    data = tmp_path / "redis"
    url = embedded.ensure_server(data)
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 1000))
    configured = with_source(settings, log, poll_interval=timedelta(milliseconds=100))
    configured = configured.model_copy(
        update={"redis": configured.redis.model_copy(update={"url": SecretStr(url)})}
    )
    stop = asyncio.Event()
    async with open_vigil(configured) as vigil:
        ingest = asyncio.create_task(run(vigil, Role.INGEST, stop))
        worker = asyncio.create_task(run(vigil, Role.DETECT, stop))
        await until(lambda: read_lines(vigil), 1000)
        embedded.release_server(data, force=True)  # Valkey goes away ...
        with log.open("a") as handle:
            handle.write(numbered(1000, 1000))
            handle.write(sshd_burst("198.51.100.99", 6))
        await asyncio.sleep(OUTAGE_SECONDS)
        embedded.ensure_server(data)  # ... and comes back
        await until(lambda: read_lines(vigil), 2006)
        await until(lambda: acknowledged(vigil), 0)
        stop.set()
        await asyncio.gather(ingest, worker)
        # Lines are counted in the transaction that streams them: exactly 2,006 means each
        # line of the file went into the stream once (the worker trims what it acknowledged).
        lines = await read_lines(vigil)
        dead = await vigil.redis.xlen(vigil.keys.dead_letters)
        raised = {i.title.partition(" — ")[0] for i in await vigil.store.list(limit=1000)}
    embedded.release_server(data, force=True)
    assert (lines, dead) == (2006, 0)
    assert "Brute force from 198.51.100.99" in raised


def sshd_burst(ip: str, count: int) -> str:
    return "".join(
        f"Mar  1 09:01:{n:02d} web-01 sshd[9]: Failed password for root from {ip} port 5{n} ssh2\n"
        for n in range(count)
    )


async def read_lines(vigil: Vigil) -> int:
    stats = await vigil.redis.hgetall(vigil.keys.source_stats)
    return sum(int(v) for k, v in stats.items() if k.endswith(b"|lines"))


async def acknowledged(vigil: Vigil) -> int:
    """Entries not yet acknowledged by the detect group (0: all done)."""
    groups = await vigil.redis.xinfo_groups(vigil.keys.events)
    return int(groups[0]["pending"]) + int(groups[0]["lag"] or 0) if groups else 1


async def until(probe: Callable[[], Awaitable[int]], target: int) -> None:
    """Wait (at most a minute) until the probe, which may meet Redis away, says `target`."""
    for _ in range(600):
        try:
            if await probe() == target:
                return
        except RedisError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"never reached {target}")


async def test_the_dashboard_says_when_redis_is_away(settings: Settings, tmp_path: Path) -> None:
    """Pages and the API answer 503 with what is wrong, instead of an error page."""
    data = tmp_path / "redis"
    url = embedded.ensure_server(data)
    redis = aioredis.Redis.from_url(url)
    keys = Keys("away")
    store = IncidentStore(redis, keys, settings.incidents)
    vigil = Vigil(settings, redis, keys, store, url)
    parts = ApiParts(
        store, Users(redis, keys), build_playbook(vigil), frozenset(), lambda: collect(vigil)
    )
    app = create_app(store, keys, b"k" * 32, frozenset(), api=parts)
    embedded.release_server(data, force=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://vigil", cookies={"vigil_session": "x"}
    ) as client:
        page = await client.get("/")
        api = await client.get("/api/incidents", headers={"Authorization": "Bearer x"})
    await redis.aclose()
    assert page.status_code == 503 and "cannot reach its Redis" in page.text
    assert api.status_code == 503 and "Nothing is lost" in api.json()["detail"]
