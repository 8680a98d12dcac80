"""Parsers meet arbitrary input: a line parses, is ignored, or is refused as Malformed."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.events import decode_events, encode_events
from monitor.parsers import FORMATS, LineContext, Malformed

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
