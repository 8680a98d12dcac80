"""kill -9 while a breach's notices go out: after the restart the rest go, nobody gets two."""

from __future__ import annotations

import asyncio
import signal
from collections import defaultdict
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


@pytest.mark.slow
async def test_kill_9_half_way_through_the_notices(
    tmp_path: Path, redis_url: str, settings: Settings, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    customers = write_customers(tmp_path / "customers.csv", 200)
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [],
            "smtp": {"port": port},
            "web": {"port": free_port()},
            "directories": {"staff": str(CONFIG / "staff.csv"), "customers": str(customers)},
            "outbox": {"rate_per_second": 40},
        },
    )
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": PREFIX, "VIGIL_SECRET_KEY": "k"}
    redis = aioredis.Redis.from_url(redis_url)
    keys = Keys(PREFIX)
    async for key in redis.scan_iter(f"{PREFIX}:*"):
        await redis.delete(key)
    store = IncidentStore(redis, keys, settings.incidents)
    incident_id = await incident(store, [f"C-{n}" for n in range(200)])
    declare = await asyncio.create_subprocess_exec(
        *vigil_command(config, "breach", "declare", incident_id, "--summary", "kill test"),
        env=with_env(env),
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await declare.wait() == 0

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
