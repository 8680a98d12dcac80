"""Parsers meet arbitrary input: a line parses, is ignored, or is refused as Malformed."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.parsers import FORMATS, LineContext, Malformed
from monitor.wire import decode_events, encode_events

CONTEXT = LineContext(
    "/var/log/fuzz", ZoneInfo("Asia/Ho_Chi_Minh"), datetime(2026, 6, 1, tzinfo=UTC)
)
SSHD_LIKE = st.builds(
    lambda month, day, user, ip, tail: (
        f"{month} {day:2d} 10:00:01 web-01 sshd[1]: "
        f"Failed password for {user} from {ip} port 22{tail}"
    ),
    st.sampled_from(["Jan", "Feb", "Foo", "Dec"]),
    st.integers(0, 40),
    st.text(max_size=30),
    st.text(max_size=40),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)


def parse_or_refuse(form: str, line: str) -> None:
    """Any exception but Malformed fails the test: it would stop a tailer.

    What parses must also travel on the stream unchanged (a value the stream cannot carry
    would stop the ingest loop at its commit).
    """
    with contextlib.suppress(Malformed):
        event = FORMATS[form].parse(line, 0, CONTEXT)
        if event is not None:
            (back,) = decode_events(encode_events([event]))
            assert encode_events([back]) == encode_events([event])


@pytest.mark.parametrize("form", ["sshd", "nginx", "ecs"])
@settings(max_examples=300, deadline=None)
@given(line=st.text(max_size=300))
def test_any_text_is_parsed_ignored_or_refused(form: str, line: str) -> None:
    parse_or_refuse(form, line)


@settings(max_examples=300, deadline=None)
@given(line=SSHD_LIKE)
def test_near_sshd_lines_are_parsed_or_refused(line: str) -> None:
    parse_or_refuse("sshd", line)


@settings(max_examples=300, deadline=None)
@given(
    document=st.dictionaries(
        st.sampled_from(
            ["@timestamp", "event", "event.action", "user", "source.port", "log.offset", "labels"]
        ),
        JSON_VALUES,
        max_size=6,
    )
)
def test_any_json_object_is_parsed_or_refused(document: dict[str, object]) -> None:
    parse_or_refuse("ecs", json.dumps(document))


def test_deep_nesting_and_huge_numbers_are_refused_not_crashing() -> None:
    deep = '{"@timestamp": "2026-01-01T00:00:00Z", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    parse_or_refuse("ecs", deep)
    huge = '{"@timestamp": "2026-01-01T00:00:00Z", "source": {"port": 1' + "0" * 5000 + "}}"
    parse_or_refuse("ecs", huge)
    beyond_64_bits = '{"@timestamp": "2026-01-01T00:00:00Z", "labels": {"n": 1' + "0" * 30 + "}}"
    parse_or_refuse("ecs", beyond_64_bits)


# The hostile shapes that once escaped a parser and stopped `--role ingest` (issue 14).
HUGE_NUMBERS = st.one_of(
    st.sampled_from(
        ["Infinity", "-Infinity", "NaN", "1e300", "-1e300", "1e-300", "-0", "0x10", "²", "٣"]
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.text(alphabet="0123456789", min_size=19, max_size=400),
)
EXTREME_TIMES = st.builds(
    lambda year, date, offset: f"{year:04d}-{date}{offset}",
    st.sampled_from([1, 2, 1969, 1970, 2038, 9998, 9999]),
    st.sampled_from(["01-01T00:00:00", "12-31T23:59:59.999999", "06-15T12:00:00"]),
    st.sampled_from(["", "Z", "+00:00", "+05:00", "-05:00", "+14:00", "-12:00", "+23:59"]),
)
CLF_TIMES = st.builds(
    lambda year, date, offset: (
        f"{date}/{year:04d}:{'00:00:00' if date == '01/Jan' else '23:59:59'} {offset}"
    ),
    st.sampled_from([1, 1970, 9999]),
    st.sampled_from(["01/Jan", "31/Dec"]),
    st.sampled_from(["+0000", "+0500", "-0500", "+1400"]),
)
BAD_UNICODE = st.sampled_from(["\\ud800", "\\udfff", "\\ud83d", "\\udc00x", "\\u0000", "\ufffd"])


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@settings(max_examples=200, deadline=None)
@given(time=EXTREME_TIMES, port=HUGE_NUMBERS, user=st.sampled_from(["root", "\ufffd", "a b"]))
def test_sshd_lines_with_extreme_times_and_ports_are_parsed_or_refused(
    time: str, port: str, user: str
) -> None:
    line = f"{time} web-01 sshd[1]: Failed password for {user} from 203.0.113.9 port {port} ssh2"
    parse_or_refuse("sshd", line)
    parse_or_refuse(
        "sshd",
        f"Mar  1 10:00:01 web-01 sshd[1]: Accepted password for root from "
        f"203.0.113.9 port {port} ssh2",
    )


@settings(max_examples=200, deadline=None)
@given(time=CLF_TIMES, status=HUGE_NUMBERS, size=HUGE_NUMBERS)
@example(time="01/Mar/2026:09:00:00 +0700", status="200", size="9" * 30)  # found by the fuzz
def test_access_lines_with_extreme_times_and_numbers_are_parsed_or_refused(
    time: str, status: str, size: str
) -> None:
    parse_or_refuse("nginx", f'203.0.113.9 - - [{time}] "GET / HTTP/1.1" {status} {size} "-" "-"')
    parse_or_refuse(
        "nginx",
        f'{{"time_iso8601": "{time}", "remote_addr": "203.0.113.9", '
        f'"request": "GET / HTTP/1.1", "status": {status}, "body_bytes_sent": "{size}"}}',
    )


@settings(max_examples=300, deadline=None)
@given(
    time=EXTREME_TIMES,
    port=HUGE_NUMBERS,
    quoted=st.booleans(),
    depth=st.integers(0, 600),
    text=BAD_UNICODE,
)
def test_ecs_lines_with_hostile_values_are_parsed_or_refused(
    time: str, port: str, quoted: bool, depth: int, text: str
) -> None:
    value = f'"{port}"' if quoted else port
    parse_or_refuse(
        "ecs",
        f'{{"@timestamp": "{time}", "event": {{"action": "user-login", "outcome": "failure"}}, '
        f'"source": {{"ip": "203.0.113.9", "port": {value}}}, "user": {{"name": "{text}"}}, '
        f'"labels": {{"deep": {nested(depth)}}}}}',
    )


@settings(max_examples=200, deadline=None)
@given(
    micros=HUGE_NUMBERS,
    number=HUGE_NUMBERS,
    text=BAD_UNICODE,
    depth=st.integers(0, 600),
    hexadecimal=st.text(alphabet="0123456789abcdef", min_size=1, max_size=40),
)
def test_journal_entries_with_hostile_values_are_parsed_or_refused(
    micros: str, number: str, text: str, depth: int, hexadecimal: str
) -> None:
    message = f"Failed password for {text} from 203.0.113.9 port 22 ssh2"
    parse_or_refuse(
        "journald",
        f'{{"__REALTIME_TIMESTAMP": "{micros}", "_COMM": "sshd", "MESSAGE": "{message}", '
        f'"X": {nested(depth)}}}',
    )
    parse_or_refuse(
        "journald",
        f'{{"__CURSOR": "s=1;i={hexadecimal}", "__SEQNUM": "{number}", "_MACHINE_ID": "ab", '
        f'"_PID": "{number}", "__REALTIME_TIMESTAMP": "1772330400000000", "_COMM": "sshd", '
        f'"MESSAGE": "{message}"}}',
    )
