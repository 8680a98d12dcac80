"""The one-match path for common sshd lines makes exactly the events the full parser makes,
and leaves every line it is unsure of (hostile text, odd times, ports, hosts) to it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.ingest import build_log
from monitor.events import Event
from monitor.parsers import LineContext, Malformed, sshd_fast
from monitor.parsers.sshd import parse, parse_framed

SAMPLES = Path(__file__).parent / "samples"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CONTEXTS = [
    LineContext("/var/log/auth.log", UTC, datetime(2026, 6, 1, tzinfo=UTC)),
    LineContext("/var/log/auth.log", HANOI, datetime(2025, 12, 31, 23, 10, tzinfo=UTC)),
    LineContext("/var/log/secure", HANOI, datetime(2028, 2, 28, 12, tzinfo=UTC)),
]


def full(line: str, context: LineContext) -> Event | Malformed | None:
    try:
        return parse_framed(line, 7, context)
    except Malformed as error:
        return error


def assert_same(line: str, context: LineContext) -> bool:
    """Whether the one-match path took the line; when it did, the full parser agrees."""
    try:
        fast = sshd_fast.parse(line, 7, context)
    except Malformed:
        assert isinstance(full(line, context), Malformed), line
        return True
    if fast is None:
        return False
    expected = full(line, context)
    assert isinstance(expected, Event), line
    assert fast == expected, line
    assert fast.flat() == expected.flat(), line
    assert list(fast.extra) == list(expected.extra), line
    assert fast.timestamp.tzinfo is expected.timestamp.tzinfo, line
    return True


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_sample_line_it_takes_is_read_as_the_full_parser_reads_it(
    context: LineContext,
) -> None:
    taken = 0
    for sample in sorted(SAMPLES.glob("*.log")):
        for line in sample.read_text(errors="replace").splitlines():
            taken += assert_same(line.rstrip(), context)
    assert taken > 20


def test_it_takes_every_line_of_the_benchmark_log(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    build_log(log, 3000)
    context = CONTEXTS[1]
    for line in log.read_text().splitlines():
        assert assert_same(line, context), line


FORMS = [
    "Failed password for {invalid}{user} from {ip} port {port} ssh2",
    "Accepted publickey for {user} from {ip} port {port} ssh2: RSA SHA256:{user}",
    "Failed {user} for {user} from {ip} port {port}{preauth}",
    "Invalid user {user} from {ip} port {port}{preauth}",
    "Illegal user {user} from {ip} port {port}",
    "Connection closed by authenticating user {user} {ip} port {port}{preauth}",
    "Connection reset by invalid user {user} {ip} port {port}{preauth}",
    "Disconnected from invalid user {user} {ip} port {port}{preauth}",
    "Received disconnect from {ip} port {port}:11: {user} [preauth]",
    "Received disconnect from {ip} port {port}: 11: {user}{preauth}",
]
FIELD = st.text(alphabet=st.sampled_from("aZ09.-_:@ %\r\t\x1b[]\u200ef fromport"), max_size=20)


@settings(max_examples=400, deadline=None)
@given(
    form=st.sampled_from(FORMS),
    stamp=st.sampled_from(
        [
            "Mar  1 00:00:00",
            "Jan  1 05:59:00",
            "Feb 29 10:00:60",
            "Mar 01 10:75:00",
            "Dec 31 23:59:61",
        ]
    ),
    host=st.sampled_from(["web-01 ", "", "2024 ", "sshd ", "Web.example.org ", "a:b "]),
    program=st.sampled_from(["sshd", "sshd-session", "sshd(pam_unix)", "sshd-auth", "cron"]),
    pid=st.sampled_from(["1000", "0001", "12345678901", ""]),
    user=FIELD,
    invalid=st.sampled_from(["", "invalid user ", "invalid user invalid user "]),
    ip=st.one_of(
        st.sampled_from(
            ["203.0.113.7", "010.0.0.1", "::ffff:1.2.3.4", "2001:DB8::1", "fe80::1%eth0", "abc"]
        ),
        FIELD,
    ),
    port=st.sampled_from(["22", "65535", "65536", "99999", "123456", "0"]),
    preauth=st.sampled_from(["", " [preauth]"]),
    context=st.sampled_from(CONTEXTS),
)
@example(
    form=FORMS[0], stamp="Mar  1 00:00:00", host="web-01 ", program="sshd", pid="1000",
    user="root from 1.2.3.4 port 22 ssh2:", invalid="", ip="203.0.113.7", port="22",
    preauth="", context=CONTEXTS[0],
)  # fmt: skip
def test_a_line_it_takes_reads_as_the_full_parser_reads_it(
    form: str,
    stamp: str,
    host: str,
    program: str,
    pid: str,
    user: str,
    invalid: str,
    ip: str,
    port: str,
    preauth: str,
    context: LineContext,
) -> None:
    process = f"{program}[{pid}]" if pid else program
    message = form.format(invalid=invalid, user=user, ip=ip, port=port, preauth=preauth)
    assert_same(f"{stamp} {host}{process}: {message}", context)


def test_hostile_or_unusual_lines_go_to_the_full_parser() -> None:
    context = CONTEXTS[0]
    for line in [
        "Mar  1 00:00:00 web-01 sshd[1]: Failed password for a b from 203.0.113.7 port 22 ssh2",
        "Mar  1 00:00:00 web-01 sshd[1]: Failed password for root from host.example port 22",
        "Mar  1 00:00:00 web-01 sshd[1]: Failed password for root from 203.0.113.7 port 70000",
        "Mar  1 00:00:00 2024 sshd[1]: Invalid user admin from 203.0.113.7 port 22",
        "Mar  1 00:00:00.5 web-01 sshd[1]: Invalid user admin from 203.0.113.7 port 22",
        "Mar  1 00:00:00 web-01 sshd[1]: Invalid user ad\x1bmin from 203.0.113.7 port 22",
    ]:
        assert sshd_fast.parse(line, 0, context) is None, line
    event = parse(
        "Mar  1 00:00:00 web-01 sshd[1]: Failed password for a b from 203.0.113.7 port 22 ssh2",
        0,
        context,
    )
    assert event is not None and event.user == "a b"
