"""`vigil scan` over logs as real servers write them raises what each file's header expects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).parent / "samples"
SCANNED = [
    "messages-centos.log",
    "messages-rhel-pam.log",
    "auth-injection.log",
    "auth-ubuntu.log",
    "auth-loghub.log",
    "secure-rhel-sssd.log",
    "nginx-wordpress.log",
    "nginx-crawl.log",
    "sshd-flood.log",
]


def expectations(sample: Path) -> tuple[list[dict[str, Any]], str]:
    """The incidents a sample's header expects, and the log without its comments."""
    expected, lines = [], []
    for line in sample.read_bytes().decode().split("\n"):
        if line.startswith("# expect-incident:"):
            expected.append(json.loads(line.removeprefix("# expect-incident:")))
        elif not line.startswith("#"):
            lines.append(line)
    return expected, "\n".join(lines)


def scan(log: Path, redis_url: str, prefix: str) -> tuple[list[dict[str, Any]], str]:
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "scan", str(log), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": prefix},
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


@pytest.mark.parametrize("name", SCANNED)
def test_scan_raises_exactly_what_the_sample_expects(
    name: str, tmp_path: Path, redis_url: str
) -> None:
    expected, text = expectations(SAMPLES / name)
    log = tmp_path / name
    log.write_bytes(text.encode())
    incidents, stderr = scan(log, redis_url, f"real-{name}")
    assert " 0 malformed" in stderr, stderr
    assert len(incidents) == len(expected), [(i["detector"], i["entities"]) for i in incidents]
    for want in expected:
        found = [
            i
            for i in incidents
            if i["detector"] == want["detector"] and i["entities"] == want["entities"]
        ]
        assert len(found) == 1, want
        for key, value in want.items():
            assert found[0][key] == value, (want["detector"], key)
