"""Every annotated sample line parses to what its comment says (fail2ban-style samples)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.parsers import FORMATS, LineContext, Malformed, detect_format

SAMPLES = Path(__file__).parent / "samples"
REFERENCE = datetime(2026, 6, 1, tzinfo=UTC)


def annotated(name: str) -> list[tuple[str, Any, str]]:
    """(line, expectation, id) for every line of a sample file that follows `# expect:`."""
    cases = []
    expectation: Any = None
    waiting = False
    for number, line in enumerate((SAMPLES / name).read_text().splitlines(), 1):
        if line.startswith("# expect:"):
            expectation, waiting = json.loads(line.removeprefix("# expect:")), True
        elif not line.startswith("#") and waiting:
            cases.append((line, expectation, f"{name}:{number}"))
            waiting = False
    return cases


SAMPLE_FILES = (
    ("sshd.log", "sshd"),
    ("sshd-forms.log", "sshd"),
    ("sshd-probes.log", "sshd"),
    ("sshd-framing.log", "sshd"),
    ("sshd-injection.log", "sshd"),
    ("sshd-time.log", "sshd"),
    ("sshd-flood.log", "sshd"),
    ("nginx.log", "nginx"),
    ("audit.json", "ecs"),
    ("nginx-access.log", "nginx"),
    ("apache-access.log", "apache"),
    ("access-json.log", "nginx"),
    ("nginx-error.log", "nginx"),
    ("apache-error.log", "apache"),
    ("journald.json", "journald"),
)
CASES = [(fmt, *case) for name, fmt in SAMPLE_FILES for case in annotated(name)]


@pytest.mark.parametrize(
    ("form", "line", "expected", "where"), CASES, ids=[case[3] for case in CASES]
)
def test_sample_line(form: str, line: str, expected: Any, where: str) -> None:
    context = LineContext("/var/log/sample", ZoneInfo("Asia/Ho_Chi_Minh"), REFERENCE)
    if expected == "malformed":
        with pytest.raises(Malformed):
            FORMATS[form].parse(line, 0, context)
        return
    event = FORMATS[form].parse(line, 0, context)
    if expected is None:
        assert event is None
        return
    assert event is not None
    flat = event.flat()
    for key, value in expected.items():
        assert flat.get(key) == value, f"{where}: {key}"


def test_every_sample_file_has_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("name", "form"), SAMPLE_FILES)
def test_format_is_detected_from_the_first_lines(name: str, form: str) -> None:
    form = "nginx" if form == "apache" else form  # one detector for both: same lines
    lines = [line for line in (SAMPLES / name).read_text().splitlines() if not line.startswith("#")]
    detected = detect_format(lines)
    assert detected is not None and detected.name == form


def test_unknown_text_has_no_format() -> None:
    assert detect_format(["hello", "world"]) is None


def test_journal_json_and_ecs_json_are_told_apart() -> None:
    """Both are JSON lines; a journal entry carrying an ECS document in MESSAGE is still journal."""
    lines = (SAMPLES / "journald.json").read_text().splitlines()[:-1]  # the last is broken
    journal = [line for line in lines if not line.startswith("#")]
    audit = [line for line in (SAMPLES / "audit.json").read_text().splitlines() if line[:1] == "{"]
    ecs_in_journal = json.dumps(
        {"__CURSOR": "s=1;i=2", "MESSAGE": json.dumps({"@timestamp": "2026-01-05T03:00:00Z"})}
    )
    assert not any(FORMATS["ecs"].sniff(line) for line in [*journal, ecs_in_journal])
    assert not any(FORMATS["journald"].sniff(line) for line in audit)
    detected = detect_format([ecs_in_journal])
    assert detected is not None and detected.name == "journald"


CDN_LINE = (
    '64.252.86.23 - - [23/Aug/2020:12:09:56 +0000] "GET /phpmyadmin/print.css HTTP/1.1" 200 706'
    ' "-" "Amazon CloudFront" "185.234.218.239"'
)


def test_behind_the_sources_trusted_proxies_the_client_is_forwarded() -> None:
    """A CDN's edge (public) is believed only once the source names its network."""
    alone = LineContext("/var/log/nginx/access.log", UTC, REFERENCE)
    behind = LineContext(alone.path, UTC, REFERENCE, (ip_network("64.252.64.0/18"),))
    edge = FORMATS["nginx"].parse(CDN_LINE, 0, alone)
    assert edge is not None and edge.source_ip == "64.252.86.23"
    event = FORMATS["nginx"].parse(CDN_LINE, 0, behind)
    assert event is not None and event.source_ip == "185.234.218.239"
    assert event.extra["labels.proxy_ip"] == "64.252.86.23"
