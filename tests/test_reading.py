"""How `vigil parse` and `vigil scan` read files: the configured zone, and file order in ties."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import vigil

LINE = "Jan  5 10:00:01 web-01 sshd[1234]: Failed password for root from 203.0.113.7 port 5 ssh2"


def test_parse_reads_a_file_in_the_zone_of_the_source_that_names_it(tmp_path: Path) -> None:
    logs = tmp_path / "london"
    logs.mkdir()
    (logs / "auth.log").write_text(LINE + "\n")
    (tmp_path / "auth.log").write_text(LINE + "\n")
    config = tmp_path / "vigil.yaml"
    config.write_text(f"sources:\n  - path: {logs}/*.log\n    timezone: Europe/London\n")
    parsed = vigil("--config", str(config), "parse", "--json", str(logs / "auth.log"))
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["@timestamp"].endswith("T10:00:01.000Z")
    # A file no source names is read in the default zone, Asia/Ho_Chi_Minh (UTC+7).
    other = vigil("--config", str(config), "parse", "--json", str(tmp_path / "auth.log"))
    assert json.loads(other.stdout)["@timestamp"].endswith("T03:00:01.000Z")


def burst_at(padding: int) -> str:
    """Five failures and then the success, all in one second, after `padding` bytes of
    other programs' lines (offsets of 3 to 5 digits: their text order is not file order)."""
    filler = "Jan  5 09:59:59 web-01 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)\n"
    lines = [
        f"Jan  5 10:00:01 web-01 sshd[{100 + i}]: Failed password for deploy from "
        f"203.0.113.9 port {4000 + i} ssh2"
        for i in range(5)
    ]
    lines.append(
        "Jan  5 10:00:01 web-01 sshd[200]: Accepted password for deploy from 203.0.113.9 "
        "port 4100 ssh2"
    )
    return filler * (padding // len(filler)) + "\n".join(lines) + "\n"


def test_a_burst_in_one_second_raises_the_same_wherever_it_sits(
    tmp_path: Path, redis_url: str
) -> None:
    raised = []
    for padding in (0, 9_900, 99_950):
        log = tmp_path / f"auth-{padding}.log"
        log.write_text(burst_at(padding))
        env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": f"order-{padding}"}
        result = vigil("scan", "--json", str(log), env=env)
        assert result.returncode == 0, result.stderr
        incidents = [json.loads(line) for line in result.stdout.splitlines()]
        raised.append(sorted((i["detector"], i["severity"], i["event_count"]) for i in incidents))
    assert raised[0] == raised[1] == raised[2]
    assert ("account_takeover.compromise_after_failures", "high", 6) in raised[0]
