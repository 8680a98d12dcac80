"""kill -9 while a breach's notices go out: after the restart the rest go, nobody gets two."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from monitor.demo_mail import free_port
from monitor.incidents import IncidentStore
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.breach_parts import incident, write_customers
from tests.mailbox import Mailbox
from tests.processes import start_vigil, vigil_command, wait_for, with_env, write_config

CONFIG = Path(__file__).parents[1] / "config"
PREFIX = "breach-kill"


class Setup:
    """A config for Vigil processes on the test's Valkey and mailbox, and a declared breach."""

    def __init__(self, folder: Path, redis_url: str, prefix: str, port: int) -> None:
        self.folder, self.redis_url, self.prefix, self.port = folder, redis_url, prefix, port
        self.env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": prefix, "VIGIL_SECRET_KEY": "k"}
        self.config = folder / "vigil.yaml"

    async def clean(self) -> aioredis.Redis:
        redis = aioredis.Redis.from_url(self.redis_url)
        async for key in redis.scan_iter(f"{self.prefix}:*"):
            await redis.delete(key)
        return redis

    async def declare(self, settings: Settings, count: int, outbox: dict[str, object]) -> str:
        """Declare, through the CLI, a breach on an incident naming `count` customers."""
        customers = write_customers(self.folder / "customers.csv", count)
        write_config(
            self.config,
            {
                "sources": [],
                "smtp": {"port": self.port},
                "web": {"port": free_port()},
                "directories": {"staff": str(CONFIG / "staff.csv"), "customers": str(customers)},
                "outbox": outbox,
                "redis": {"data_dir": str(self.folder / "var" / "redis")},
            },
        )
        redis = aioredis.Redis.from_url(self.redis_url)
        store = IncidentStore(redis, Keys(self.prefix), settings.incidents)
        incident_id = await incident(store, [f"C-{n}" for n in range(count)])
        await redis.aclose()
        declare = await asyncio.create_subprocess_exec(
            *vigil_command(self.config, "breach", "declare", incident_id, "--summary", "kills"),
            env=with_env(self.env),
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await declare.communicate()
        assert declare.returncode == 0
        return output.decode().split()[1].rstrip(";")


@pytest.mark.slow
async def test_kill_9_half_way_through_the_notices(
    tmp_path: Path, redis_url: str, settings: Settings, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    setup = Setup(tmp_path, redis_url, PREFIX, port)
    redis = await setup.clean()
    await setup.declare(settings, 200, {"rate_per_second": 40, "lease": "5s"})
    config, env = setup.config, setup.env

    first = start_vigil(config, "respond", env)
    try:
        assert await asyncio.to_thread(wait_for, lambda: len(mailbox.messages) >= 80)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    half = len(mailbox.messages)
    second = start_vigil(config, "respond", env)
    try:
        expected = 199 + 1  # C-4 has no safe address; the draft Form 08 to the officer
        assert await asyncio.to_thread(
            wait_for, lambda: len({str(m["To"]) for m in mailbox.messages}) >= expected
        )
        await asyncio.sleep(1.0)  # a second notice to anyone would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    ids: dict[str, set[str]] = defaultdict(set)
    for message in mailbox.messages:
        ids[str(message["To"])].add(str(message["Message-ID"]))
    assert half < len(ids) == 200
    # One notice each: a copy the server took just as Vigil died carries the same Message-ID.
    assert all(len(message_ids) == 1 for message_ids in ids.values())
    await redis.aclose()


KILLS = 6


def notice_ids(mailbox: Mailbox) -> list[str]:
    """The Message-ID of each breach notice received (the incident's own page aside)."""
    return [
        str(m["Message-ID"])
        for m in mailbox.messages
        if not str(m["Subject"]).startswith("[Vigil]")
    ]


def arrivals(mailbox: Mailbox, count: int) -> Callable[[], bool]:
    """True once `count` more messages have arrived than when it was made."""
    before = len(mailbox.messages)
    return lambda: len(mailbox.messages) >= before + count


@pytest.mark.slow
async def test_each_kill_resends_at_most_one_notice_and_every_send_is_on_the_record(
    tmp_path: Path, redis_url: str, settings: Settings, smtp: tuple[Mailbox, int]
) -> None:
    """kill -9 of the respond role, again and again, while 400 notices go out."""
    mailbox, port = smtp
    setup = Setup(tmp_path, redis_url, "kills", port)
    redis = await setup.clean()
    # A short lease: what a killed sender held is claimed again within the test.
    breach_id = await setup.declare(settings, 400, {"rate_per_second": 100, "lease": "2s"})
    config, env = setup.config, setup.env
    expected = 399 + 1  # C-4 has no safe address; the draft to the officer
    for _ in range(KILLS):
        process = start_vigil(config, "respond", env)
        try:
            await asyncio.to_thread(wait_for, arrivals(mailbox, 30))
            # Killed just as a message arrives: mid-batch, the worst moment for resends.
            await asyncio.to_thread(wait_for, arrivals(mailbox, 1), 10.0)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    last = start_vigil(config, "respond", env)
    due = Keys("kills").outbox("due")
    try:
        assert await asyncio.to_thread(wait_for, lambda: len(notice_ids(mailbox)) >= expected)
        while await redis.zcard(due):  # the messages killed senders held, sent again
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
    finally:
        last.send_signal(signal.SIGTERM)
        last.wait(timeout=30)
    copies = Counter(notice_ids(mailbox))
    resent = sum(n - 1 for n in copies.values())
    print(f"{KILLS} kills: {resent} notices delivered twice ({resent / KILLS:.2f} per kill)")
    assert len(copies) == expected and resent <= KILLS
    verify = await asyncio.create_subprocess_exec(
        *vigil_command(config, "breach", "verify", breach_id),
        env=with_env(env),
        stdout=asyncio.subprocess.PIPE,
    )
    said, _ = await verify.communicate()
    assert verify.returncode == 0, said.decode()  # outbox and record agree, chain intact
    record = await redis.lrange(Keys("kills").breach(breach_id, "record"), 0, -1)
    sent = [json.loads(raw)["data"] for raw in record if b'"notice-sent"' in raw]
    assert {entry["key"] for entry in sent} >= {f"breach:{breach_id}:customer:C-0"}
    print(f"{sum(1 for e in sent if e.get('recovered'))} notice-sent entries written after a kill")
    await redis.aclose()
