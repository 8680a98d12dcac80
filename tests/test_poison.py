"""Poison input never stops ingest: each hostile line is a dead letter, the lines around it
are read, and a source that cannot be read is reported while the others go on."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import redis as sync_redis
import redis.asyncio as aioredis

from monitor.events import Event
from monitor.parsers.batch import Parsed, sift_unencodable
from monitor.pipeline.ingest import Ingest
from monitor.service import open_vigil
from monitor.settings import Settings, SourceSettings
from monitor.sources.follower import Line
from monitor.status import collect
from monitor.store.keys import Keys
from tests.processes import start_vigil, vigil_command, wait_for, with_env, write_config
from tests.test_pipeline import stream_events

PREFIX = "poison"


def good(n: int) -> str:
    return (
        f"Mar  1 09:00:{n:02d} web-01 sshd[9]: Failed password for root from "
        f"203.0.113.{n + 1} port {40000 + n} ssh2\n"
    )


SSHD_POISON = [
    "Mar  1 09:00:00 web-01 sshd[9]: Failed password for root from 203.0.113.1 "
    "port 99999999999999999999999 ssh2\n",
    "9999-12-31T23:59:59.999999-05:00 web-01 sshd[9]: Failed password for root from "
    "203.0.113.1 port 22 ssh2\n",
    "0001-01-01T00:00:00+05:00 web-01 sshd[9]: Failed password for root from "
    "203.0.113.1 port 22 ssh2\n",
]
ECS_GOOD = '{"@timestamp": "2026-03-01T02:00:00Z", "event": {"action": "user-logout"}}\n'
ECS_POISON = [
    '{"@timestamp": "2026-03-01T02:00:00Z", "event": {"action": "user-login"}, '
    f'"source": {{"ip": "203.0.113.1", "port": {port}}}}}\n'
    for port in ("Infinity", "1e300", '"' + "9" * 5000 + '"')
] + [
    '{"@timestamp": "9999-12-31T23:59:59-05:00", "event": {"action": "user-login"}}\n',
    '{"@timestamp": "0001-01-01T00:00:00+05:00", "event": {"action": "user-login"}}\n',
    '{"@timestamp": "2026-03-01T02:00:00Z", "event": {"action": "user-login"}, "x": '
    + "[" * 500
    + "]" * 500
    + "}\n",
    '{"@timestamp": "2026-03-01T02:00:00Z", "event": {"action": "user-login"}, '
    '"user": {"name": "\\ud800"}}\n',
]


def interleave(poison: list[str], clean: list[str]) -> str:
    return "".join(c + p for c, p in zip(clean, poison, strict=False)) + "".join(
        clean[len(poison) :]
    )


async def test_poison_lines_are_dead_letters_and_the_lines_around_them_are_read(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    auth, audit = tmp_path / "auth.log", tmp_path / "audit.json"
    auth.write_text(interleave(SSHD_POISON, [good(n) for n in range(5)]))
    audit.write_text(interleave(ECS_POISON, [ECS_GOOD] * 8))
    sources = (SourceSettings(path=str(auth)), SourceSettings(path=str(audit), format="ecs"))
    ingest = Ingest(redis, keys, settings.model_copy(update={"sources": sources}))
    await ingest.start()
    while await ingest.step():
        pass
    events = await stream_events(redis, keys)
    assert sorted(e.source_port or 0 for e in events if e.dataset == "sshd") == [
        40000 + n for n in range(5)
    ]
    assert [e.action for e in events if e.dataset == "ecs"] == ["user-logout"] * 8
    reasons = [fields[b"reason"].decode() for _, fields in await redis.xrange(keys.dead_letters)]
    assert len(reasons) == len(SSHD_POISON) + len(ECS_POISON)
    assert "time out of range" in reasons and "port out of range" in reasons


async def test_ingest_as_a_process_outlives_poison_and_reads_what_follows(
    redis_url: str, tmp_path: Path
) -> None:
    """`vigil run --role ingest`, as the systemd unit runs it: poison first, good lines after;
    the process is still up and every good line is in the stream."""
    auth, audit = tmp_path / "auth.log", tmp_path / "audit.json"
    auth.write_text("".join(SSHD_POISON) + "".join(good(n) for n in range(5)))
    audit.write_text("".join(ECS_POISON) + ECS_GOOD * 3)
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [{"path": str(auth)}, {"path": str(audit), "format": "ecs"}],
            "ingest": {"poll_interval": "100ms"},
        },
    )
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": PREFIX, "VIGIL_SECRET_KEY": "k"}
    redis = aioredis.Redis.from_url(redis_url)
    keys = Keys(PREFIX)
    async for key in redis.scan_iter(f"{PREFIX}:*"):
        await redis.delete(key)
    process = start_vigil(config, "ingest", env)
    try:
        total = len(SSHD_POISON) + 5 + len(ECS_POISON) + 3
        assert await asyncio.to_thread(wait_for, lambda: lines_read(redis_url, keys) == total)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert len(await stream_events(redis, keys)) == 5 + 3
    assert await redis.xlen(keys.dead_letters) == len(SSHD_POISON) + len(ECS_POISON)
    await redis.aclose()


def lines_read(url: str, keys: Keys) -> int:
    with sync_redis.Redis.from_url(url) as client:
        stats = client.hgetall(keys.source_stats)
    return sum(int(v) for k, v in stats.items() if k.endswith(b"|lines"))


async def test_a_source_that_cannot_be_read_is_reported_and_the_others_go_on(
    settings: Settings, tmp_path: Path, redis_url: str
) -> None:
    """/proc/self/mem answers every read at offset 0 with an I/O error, as a failing disk
    would: `vigil status` says that source is stalled and why; auth.log is read."""
    auth = tmp_path / "auth.log"
    auth.write_text(good(1))
    configured_sources = ({"path": "/proc/self/mem"}, {"path": str(auth)})
    sources = tuple(SourceSettings.model_validate(source) for source in configured_sources)
    configured = settings.model_copy(update={"sources": sources})
    async with open_vigil(configured) as vigil:
        await vigil.redis.flushdb()
        ingest = Ingest(vigil.redis, vigil.keys, configured)
        await ingest.start()
        assert await ingest.step() == 1
        report = await collect(vigil)
        config = write_config(
            tmp_path / "vigil.yaml", {"sources": [dict(s) for s in configured_sources]}
        )
        env = with_env({"REDIS_URL": redis_url, "VIGIL_SECRET_KEY": "k"})
        shown = subprocess.run(
            vigil_command(config, "status"), env=env, capture_output=True, text=True, check=True
        )
    states = {s["path"]: (s["state"], s["detail"]) for s in report["file_sources"]}
    assert states[str(auth)] == ("reading", "")
    assert states["/proc/self/mem"][0] == "stalled"
    assert "Input/output error" in states["/proc/self/mem"][1]
    assert "/proc/self/mem  STALLED  Input/output error" in shown.stdout


def test_an_event_the_stream_cannot_carry_becomes_a_dead_letter() -> None:
    """A value past 64 bits that some parser let through: that line is dead-lettered."""
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    fine = Event(moment, "user-login", file_path="/a", offset=0)
    huge = Event(moment, "user-login", file_path="/a", offset=10, extra={"n": 2**70})
    parsed = Parsed(events=[fine, huge])
    sift_unencodable(parsed, [Line(0, "fine"), Line(10, "huge")])
    assert parsed.events == [fine]
    (dead,) = parsed.dead
    assert (dead.offset, dead.line) == (10, "huge")
    assert dead.reason.startswith("a value the event stream cannot carry")
    assert json.dumps(dead.reason)
