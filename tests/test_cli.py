"""The public contracts of `vigil parse` and `vigil scan`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from detectors.account_takeover.logins import failures
from monitor.events import Outcome

BRUTE_FORCE_THEN_LOGIN = (
    "\n".join(
        [
            f"Mar  1 09:00:{s:02d} web-01 sshd[77]: Failed password for root from 203.0.113.7 port "
            f"{40000 + s} ssh2"
            for s in range(0, 42, 6)
        ]
        + [
            "Mar  1 09:00:50 web-01 sshd[77]: Accepted password for root from 203.0.113.7 "
            "port 40100 ssh2",
            "Mar  1 09:00:51 web-01 sshd[78]: Failed password for hoa from 192.0.2.5 "
            "port 40101 ssh2",
            "garbage that is no syslog line",
        ]
    )
    + "\n"
)


def vigil(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_parse_prints_one_ecs_object_per_parsed_line(samples: Path, tmp_path: Path) -> None:
    lines = [
        line
        for line in (samples / "nginx.log").read_text().splitlines()
        if not line.startswith("#")
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    result = vigil("parse", str(log), "--json")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0
    assert len(events) == 3  # five log lines, two malformed
    first = events[0]
    assert first["@timestamp"] == "2026-01-05T03:00:01.000Z"
    assert first["http"]["request"]["method"] == "GET"
    assert first["source"]["ip"] == "203.0.113.50"
    assert first["log"]["file"]["path"] == str(log)
    assert first["log"]["offset"] == 0
    assert events[1]["log"]["offset"] == len(lines[0]) + 1
    assert "2 malformed" in result.stderr


def test_parse_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = vigil("parse", str(tmp_path / "missing.log"))
    assert result.returncode == 1
    assert "missing.log" in result.stderr and "Traceback" not in result.stderr


def test_scan_raises_and_stores_the_incidents(tmp_path: Path, redis_url: str) -> None:
    log = tmp_path / "auth.log"
    log.write_text(BRUTE_FORCE_THEN_LOGIN)
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "scan-test"}
    result = vigil("scan", str(log), "--json", env=env)
    assert result.returncode == 0, result.stderr
    incidents = {i["detector"]: i for i in map(json.loads, result.stdout.splitlines())}
    assert set(incidents) == {
        "account_takeover.brute_force",
        "account_takeover.compromise_after_failures",
    }
    brute = incidents["account_takeover.brute_force"]
    assert brute["entities"] == {"ip": "203.0.113.7", "user": "root"}  # both crossed at once
    assert brute["event_count"] == 7  # every attempt, not only the five that crossed
    assert brute["first_seen"] == "2026-03-01T02:00:00.000Z"
    assert brute["last_seen"] == "2026-03-01T02:00:36.000Z"  # the last attempt
    takeover = incidents["account_takeover.compromise_after_failures"]
    assert takeover["severity"] == "high"
    assert takeover["entities"] == {"user": "root", "ip": "203.0.113.7"}
    assert "1 malformed" in result.stderr
    listed = vigil("incidents", "list", "--json", env=env)
    assert {json.loads(line)["id"] for line in listed.stdout.splitlines()} == {
        i["id"] for i in incidents.values()
    }
    acked = vigil("incidents", "ack", brute["id"], "--by", "hoa", env=env)
    assert acked.returncode == 0 and "acknowledged" in acked.stdout
    shown = json.loads(vigil("incidents", "show", brute["id"], "--json", env=env).stdout)
    assert shown["status"] == "acknowledged"
    assert shown["timeline"][-1]["by"] == "hoa"


def test_examples_helpers_make_distinct_events() -> None:
    events = failures("203.0.113.7", 3)
    assert len({event.id for event in events}) == 3
    assert all(event.outcome is Outcome.FAILURE for event in events)


def test_outbox_retry_sends_a_form_08_back_through_the_breach_playbook(redis_url: str) -> None:
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "outbox-retry"}
    refused = vigil("outbox", "retry", "breach:BR-20261130-0001:authority:1", env=env)
    assert refused.returncode == 2
    assert "use `vigil breach retry BR-20261130-0001`" in refused.stdout
    other = vigil("outbox", "retry", "breach:BR-20261130-0001:customer:C-1", env=env)
    assert other.returncode == 1 and "is not dead" in other.stdout
