"""What log content may do: a user name carrying separators or terminal escapes stays one
value in the evidence, on the pages, in the JSON and on the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.terminal import printable

FORGED = "cust-1003\u001f10.66.66.66\u001fforged-session\u001fC-6666"
ANSI = "cust-1004\u001b[2J\u001b[1;1HAll clear"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def takeover(user: str, ip: str) -> list[str]:
    return [
        json.dumps(
            {
                "@timestamp": (T0 + timedelta(seconds=n)).isoformat(),
                "event": {"action": "user-login", "outcome": "success" if n == 5 else "failure"},
                "user": {"name": user},
                "source": {"ip": ip},
                "labels": {"customer_id": "C-1003"},
            }
        )
        for n in range(6)
    ]


def vigil(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def test_a_forged_user_name_adds_no_address_session_or_customer(
    tmp_path: Path, redis_url: str
) -> None:
    log = tmp_path / "audit.json"
    log.write_text("\n".join(takeover(FORGED, "198.51.100.23") + takeover(ANSI, "198.51.100.24")))
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "forged-test"}
    scanned = vigil("scan", "--format", "ecs", str(log), "--json", env=env)
    assert scanned.returncode == 0, scanned.stderr
    incidents = [json.loads(line) for line in scanned.stdout.splitlines()]
    evidence = [item for i in incidents for item in i["evidence"]]
    assert evidence
    assert {item.get("source.ip") for item in evidence} == {"198.51.100.23", "198.51.100.24"}
    assert all("session.id" not in item for item in evidence)
    assert {item.get("labels.customer_id") for item in evidence} == {"C-1003"}
    # The separator kept, or escaped where references are packed: never split into fields.
    names = {item["user.name"].replace("\\x1f", "\u001f") for item in evidence}
    assert names == {FORGED, ANSI}
    listed = vigil("incidents", "list", env=env)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 4
    assert "\u001b" not in listed.stdout


def test_the_terminal_shows_escapes_instead_of_obeying_them() -> None:
    line = printable(f"Login as {ANSI} after 5 failures\u009b2J")
    assert line == "Login as cust-1004\\x1b[2J\\x1b[1;1HAll clear after 5 failures\\x9b2J"
