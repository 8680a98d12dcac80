"""A bad configuration gets one clear message naming the file and the key, and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.settings import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vigil.yaml"
    path.write_text(text)
    return path


def test_defaults_load_and_durations_read() -> None:
    settings = load_settings()
    assert settings.detectors.brute_force.window == timedelta(minutes=10)
    assert settings.redis.url is None


def test_a_file_and_the_environment_override_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "detectors:\n  brute_force:\n    failures: 8\n")
    settings = load_settings(path, {"REDIS_URL": "redis://:pw-7Hq2@db:6379/0", "SMTP_PORT": "2525"})
    assert settings.detectors.brute_force.failures == 8
    assert settings.detectors.brute_force.window == timedelta(minutes=10)
    assert settings.smtp.port == 2525
    assert "pw-7Hq2" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "detectors:\n  brute_force:\n    window: ten minutes\n",
            "detectors.brute_force.window: a duration is a number and a unit",
        ),
        (
            "detectors:\n  brute_force:\n    failurez: 3\n",
            "detectors.brute_force.failurez: unknown key",
        ),
        ("sources:\n  - path: /x\n    format: syslog\n", "sources.0.format: format is one of"),
        ("ingest:\n  timezone: Mars/Olympus\n", "ingest.timezone: unknown time zone"),
        (
            "sources:\n  - type: journald\n    path: /var/log/auth.log\n",
            "sources.0: path: not a key of a journald source",
        ),
        ("sources:\n  - directory: /srv/journal\n", "sources.0: directory: not a key of a file"),
        ("sources:\n  - format: sshd\n", "sources.0: path: a file source needs a path"),
        (
            "sources:\n  - path: /var/log/nginx/access.log\n    trusted_proxies: [cloudfront]\n",
            "sources.0.trusted_proxies: 'cloudfront' is not an address or network",
        ),
        (
            "sources:\n  - path: /var/log/nginx/access.log\n    trusted_proxies: [0.0.0.0/0]\n",
            "sources.0.trusted_proxies: '0.0.0.0/0' is wider than a CDN's ranges",
        ),
        (
            "sources:\n  - path: /var/log/nginx/access.log\n    trusted_proxies: [203.0.113.7/8]\n",
            "sources.0.trusted_proxies: '203.0.113.7/8' is not an address or network",
        ),
        (
            "sources:\n  - type: journald\n    unit: ssh.service\n    matches: [_COMM=sshd]\n",
            "sources.0: unit: give matches or unit, not both",
        ),
        (
            "sources:\n  - type: journald\n    directory: /a\n    file: /b.journal\n",
            "sources.0: file: give directory or file, not both",
        ),
        (
            "sources:\n  - type: journald\n    matches: [comm=sshd]\n",
            "sources.0.matches: 'comm=sshd' is not a journal match",
        ),
        (
            "sources:\n  - type: journald\n  - type: journald\n    unit: sshd.service\n",
            "sources: two journald sources named 'system'",
        ),
        ("redis: [1, 2\n", "not valid YAML"),
        ("- just a list\n", "the top level must be a mapping"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_the_cli_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "worker:\n  batch_entries: -1\n")
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "--config", str(path), "status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert f"{path}: worker.batch_entries" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml: cannot read"):
        load_settings(tmp_path / "nope.yaml")


def test_a_journald_source_reads_sshd_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - type: journald\n  - path: /var/log/auth.log\n")
    journal, auth_log = load_settings(path).sources
    assert journal.matches == ("_COMM=sshd", "_COMM=sshd-session")
    assert journal.journal == "system"
    assert auth_log.type == "file"
