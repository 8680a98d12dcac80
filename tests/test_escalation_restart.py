"""A real restart: kill -9 the service after the first page; the escalation still fires, once."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import redis as sync_redis

from monitor.demo_mail import free_port
from tests.mailbox import Mailbox
from tests.processes import start_vigil, wait_for, write_config

CONFIG = Path(__file__).parents[1] / "config"


@pytest.mark.slow
def test_escalation_survives_kill_9_and_pages_each_level_once(
    tmp_path: Path, redis_url: str, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    prefix = "restart-test"
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [],
            "smtp": {"port": port},
            "web": {"port": free_port()},
            "directories": {"staff": str(CONFIG / "staff.csv")},
            "alerts": {
                "group_wait": "0s",
                "escalation": {
                    "loops": 1,
                    "levels": [
                        {"after": "0s", "notify": ["oncall"]},
                        {"after": "6s", "notify": ["backup"]},
                    ],
                },
            },
        },
    )
    env = {
        "REDIS_URL": redis_url,
        "VIGIL_REDIS_PREFIX": prefix,
        "VIGIL_SECRET_KEY": "restart-test-secret",
    }
    client = sync_redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)

    first = start_vigil(config, "respond", env)
    try:
        assert wait_for(lambda: any(g["name"] == b"alerts" for g in groups(client, prefix)))
        raise_incident(client, prefix)
        assert wait_for(lambda: len(mailbox.messages) >= 1), "no first page"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = start_vigil(config, "respond", env)
    try:
        assert wait_for(lambda: len(mailbox.messages) >= 2), "the escalation was lost"
        time.sleep(2.0)  # a duplicate page would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert [m["To"] for m in mailbox.messages] == ["hoa.nguyen@als.com.vn", "lan.tran@als.com.vn"]
    assert len(set(mailbox.ids())) == 2
    client.close()


def groups(client: sync_redis.Redis, prefix: str) -> list[dict[str, object]]:
    try:
        return list(client.xinfo_groups(f"{prefix}:{{incidents}}:changes"))
    except sync_redis.ResponseError:
        return []


def raise_incident(client: sync_redis.Redis, prefix: str) -> None:
    """What a detector worker does when it raises a high incident: the hash and the change."""
    key = f"{prefix}:incident:{{0a0a0a0a0a}}:1"
    client.hset(
        key,
        mapping={
            "id": "0a0a0a0a0a-1",
            "detector": "account_takeover.compromise_after_failures",
            "family": "account_takeover",
            "title": "Login as root after 9 failures",
            "entities": json.dumps({"user": "root", "ip": "203.0.113.7"}),
            "severity": "high",
            "severity_rank": 3,
            "status": "open",
            "first_seen": "2026-03-02T02:00:00.000Z",
            "last_seen": "2026-03-02T02:00:30.000Z",
            "event_count": 10,
        },
    )
    client.xadd(
        f"{prefix}:{{incidents}}:changes",
        {"id": "0a0a0a0a0a-1", "state": "created", "severity": "high"},
    )
