"""sshd's entries in a real journal, read by journalctl, reach the stream with their cursor."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis as sync_redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from monitor.events import Event
from monitor.incidents import IncidentStore
from monitor.pipeline.ingest import Ingest
from monitor.service import Vigil
from monitor.settings import Settings, SourceSettings, SourceType
from monitor.status import collect
from monitor.store.keys import Keys
from monitor.wire import decode_events
from tests.journal import MACHINE, journal_json, needs_journal_remote, sshd_entry, write_journal
from tests.processes import start_vigil, wait_for, write_config
from tests.test_cli import vigil

pytestmark = needs_journal_remote


def failures(first: int, count: int, ip: str = "203.0.113.7") -> list[dict[str, str | bytes]]:
    return [
        sshd_entry(f"Failed password for root from {ip} port {40000 + i} ssh2", i, pid=3000 + i)
        for i in range(first, first + count)
    ]


def journald(settings: Settings, **source: Any) -> Settings:
    return settings.model_copy(
        update={"sources": (SourceSettings(type=SourceType.JOURNALD, **source),)}
    )


async def stream_events(redis: aioredis.Redis, keys: Keys) -> list[Event]:
    entries = await redis.xrange(keys.events)
    return [event for _, fields in entries for event in decode_events(fields[b"events"])]


async def until_events(redis: aioredis.Redis, keys: Keys, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(await stream_events(redis, keys)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} events"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def reading(redis: aioredis.Redis, keys: Keys, settings: Settings) -> AsyncIterator[Ingest]:
    """An ingest whose journalctl readers run for the block (the service's run() does this)."""
    ingest = Ingest(redis, keys, settings)
    await ingest.start()
    async with ingest.journals.reading(asyncio.Event()):
        yield ingest


async def step_until(ingest: Ingest, entries: int, limit: float = 15.0) -> int:
    """Step until `entries` journal entries were committed; what was committed in all."""
    done = 0
    deadline = time.monotonic() + limit
    while done < entries and time.monotonic() < deadline:
        done += await ingest.step()
        await asyncio.sleep(0.05)
    return done


async def test_sshd_entries_become_events_with_their_cursor(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    journal = tmp_path / "system.journal"
    other = sshd_entry("Started session-7.scope - Session 7 of User hoa.", 3, comm="systemd")
    silent = {k: v for k, v in sshd_entry("", 4).items() if k != "MESSAGE"}
    write_journal(journal, [*failures(0, 3), other, silent])
    # Matches wider than sshd's own: other programs' entries come through, and are ignored.
    source = journald(settings, file=str(journal), matches=("_HOSTNAME=web-01",))
    async with reading(redis, keys, source) as ingest:
        assert await step_until(ingest, 5) == 5

    events = await stream_events(redis, keys)
    assert [(e.user, e.source_ip, e.source_port) for e in events] == [
        ("root", "203.0.113.7", 40000),
        ("root", "203.0.113.7", 40001),
        ("root", "203.0.113.7", 40002),
    ]
    first = events[0]
    assert first.timestamp == datetime(2026, 1, 5, 3, 0, 0, 250, tzinfo=UTC)
    assert first.extra["process.pid"] == 3000 and first.extra["host.hostname"] == "web-01"
    assert [e.id for e in events] == [f"journald:{MACHINE}:{n}" for n in (1, 2, 3)]

    last_cursor = json.loads(journal_json(journal)[-1])["__CURSOR"]
    name = f"journald:{journal}"
    assert await redis.hget(keys.checkpoints, name) == last_cursor.encode()
    stats = {k.decode(): int(v) for k, v in (await redis.hgetall(keys.source_stats)).items()}
    assert {key.split("|")[1]: value for key, value in stats.items()} == {
        "lines": 5,
        "events": 3,
        "ignored": 1,
        "malformed": 1,
    }
    (dead,) = await redis.xrange(keys.dead_letters)
    assert dead[1][b"path"] == name.encode() and dead[1][b"reason"].startswith(b"no MESSAGE")


async def test_a_restart_resumes_after_the_cursor(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    journal = tmp_path / "system.journal"
    write_journal(journal, failures(0, 4))
    settings = journald(settings, file=str(journal))
    async with reading(redis, keys, settings) as ingest:
        assert await step_until(ingest, 4) == 4

    write_journal(journal, failures(4, 3))  # while Vigil is down
    async with reading(redis, keys, settings) as ingest:
        assert await step_until(ingest, 3) == 3
        await asyncio.sleep(0.3)
        assert await ingest.step() == 0  # nothing read twice

    offsets = [event.offset for event in await stream_events(redis, keys)]
    assert offsets == [1, 2, 3, 4, 5, 6, 7]


async def test_entries_written_while_following_arrive(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, tmp_path: Path
) -> None:
    journal = tmp_path / "system.journal"
    write_journal(journal, failures(0, 1))
    settings = journald(settings, file=str(journal))
    stop = asyncio.Event()
    task = asyncio.create_task(Ingest(redis, keys, settings).run(stop, asyncio.Event()))
    try:
        await until_events(redis, keys, 1)
        for first, count in ((1, 2), (3, 3)):
            write_journal(journal, failures(first, count))
            await until_events(redis, keys, first + count)
        (status,) = (await collect(Vigil(settings, redis, keys, store, "")))["journals"]
    finally:
        stop.set()
        await task
    assert status["state"] == "following" and status["events"] == 6
    assert len({event.id for event in await stream_events(redis, keys)}) == 6


async def test_a_failed_transaction_moves_no_cursor(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    journal = tmp_path / "system.journal"
    write_journal(journal, failures(0, 3))
    async with reading(redis, keys, journald(settings, file=str(journal))) as ingest:
        (reader,) = ingest.journals.readers
        deadline = time.monotonic() + 15
        while len(reader.pending) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        reads = ingest.journals.take(100)
        gone = str(tmp_path / "no-server.sock")
        ingest.redis = aioredis.Redis(unix_socket_path=gone, retry=Retry(NoBackoff(), 0))
        with pytest.raises(RedisError):
            await ingest.commit([], reads)  # Redis gone before EXEC
        await ingest.redis.aclose()
        assert reader.committed is None and len(reader.pending) == 3
        ingest.redis = redis
        assert await step_until(ingest, 3) == 3
    assert len(await stream_events(redis, keys)) == 3
    committed = await redis.hget(keys.checkpoints, f"journald:{journal}")
    assert committed is not None and committed.decode() == reader.committed


async def test_a_directory_is_read_across_boots_and_from_its_end(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    """journalctl --follow alone keeps to the last boot: entries of earlier ones still count."""
    folder = tmp_path / "journal"
    folder.mkdir()
    earlier = [sshd_entry("Invalid user ops from 192.0.2.9 port 22", 0, boot="1" * 32)]
    write_journal(folder / "remote.journal", [*earlier, *failures(1, 2)])
    async with reading(redis, keys, journald(settings, directory=str(folder))) as ingest:
        assert await step_until(ingest, 3) == 3
        rebooted = sshd_entry("Invalid user ops from 192.0.2.9 port 23", 9, boot="3" * 32)
        write_journal(folder / "remote.journal", [rebooted])  # the machine rebooted
        assert await step_until(ingest, 1) == 1
    actions = [e.action for e in await stream_events(redis, keys)]
    assert actions == ["ssh-invalid-user", "ssh-login", "ssh-login", "ssh-invalid-user"]

    await redis.flushdb()
    tail = journald(settings, directory=str(folder), start_at="end", name="tail")
    async with reading(redis, keys, tail) as ingest:
        await asyncio.sleep(1.0)  # the reader has found the end
        write_journal(folder / "remote.journal", failures(3, 2, ip="198.51.100.23"))
        assert await step_until(ingest, 2) == 2
    assert {e.source_ip for e in await stream_events(redis, keys)} == {"198.51.100.23"}


async def test_journalctl_missing_or_failing_is_shown_and_retried(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    store: IncidentStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal = tmp_path / "system.journal"  # not there yet: journalctl exits with an error
    settings = journald(settings, file=str(journal))
    vigil = Vigil(settings, redis, keys, store, "")
    monkeypatch.setenv("PATH", str(tmp_path))  # no journalctl on the PATH
    async with reading(redis, keys, settings) as ingest:
        (status,) = await journal_status_after(ingest, vigil, "failed")
        assert "cannot run journalctl" in str(status["detail"])
        print("undo", time.monotonic(), flush=True)
        monkeypatch.undo()
        (status,) = await journal_status_after(ingest, vigil, "failed", "exited with status 1")
        write_journal(journal, failures(0, 2))
        assert await step_until(ingest, 2, limit=20) == 2


async def journal_status_after(
    ingest: Ingest, vigil: Vigil, state: str, detail: str = ""
) -> list[dict[str, object]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        await ingest.step()
        journals: list[dict[str, object]] = (await collect(vigil))["journals"]
        if journals[0]["state"] == state and detail in str(journals[0]["detail"]):
            return journals
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {state} {detail}")


@pytest.mark.slow
def test_kill_9_while_following_loses_and_doubles_no_entry(tmp_path: Path, redis_url: str) -> None:
    journal = tmp_path / "system.journal"
    write_journal(journal, failures(0, 300))
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [{"type": "journald", "file": str(journal)}],
            "ingest": {"batch_lines": 7},
        },
    )
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "journald-kill"}
    client = sync_redis.Redis.from_url(redis_url)
    keys = Keys("journald-kill")
    client.delete(keys.events, keys.checkpoints, keys.source_stats, keys.source_health)

    def offsets() -> list[int | None]:
        entries = client.xrange(keys.events)
        return [e.offset for _, fields in entries for e in decode_events(fields[b"events"])]

    first = start_vigil(config, "ingest", env)
    assert wait_for(lambda: len(offsets()) >= 30), "ingest is stuck"
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    write_journal(journal, failures(300, 200))

    second = start_vigil(config, "ingest", env)
    try:
        assert wait_for(lambda: len(offsets()) >= 500, limit=60)
        time.sleep(0.5)  # anything extra (a duplicate) would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert offsets() == list(range(1, 501))
    client.close()


def test_saved_journal_json_is_parsed_and_scanned(tmp_path: Path, redis_url: str) -> None:
    """`journalctl -o json > FILE`, then `vigil parse` and `vigil scan` (format auto-detected)."""
    journal = tmp_path / "system.journal"
    write_journal(journal, failures(0, 6))
    saved = tmp_path / "sshd.json"
    saved.write_text("\n".join(journal_json(journal)) + "\n")

    parsed = vigil("parse", "--format", "journald", str(saved), "--json")
    assert parsed.returncode == 0, parsed.stderr
    first = json.loads(parsed.stdout.splitlines()[0])
    assert first["source"]["ip"] == "203.0.113.7" and first["process"]["pid"] == 3000
    assert first["log"] == {"file": {"path": f"journald:{MACHINE}"}, "offset": 1}

    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "journald-scan"}
    scanned = vigil("scan", str(saved), "--json", env=env)
    assert scanned.returncode == 0, scanned.stderr
    (incident,) = map(json.loads, scanned.stdout.splitlines())
    assert incident["detector"] == "account_takeover.brute_force"
    assert incident["first_seen"] == "2026-01-05T03:00:00.000Z"
