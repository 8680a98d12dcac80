"""sshd connections read in order count one attempt per password or key tried."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.events import Event
from monitor.parsers import FORMATS, LineContext
from monitor.parsers.batch import FileParser
from monitor.sources.follower import Line

SAMPLES = Path(__file__).parent / "samples"
CONTEXT = LineContext(
    "/var/log/auth.log", ZoneInfo("Asia/Ho_Chi_Minh"), datetime(2026, 6, 1, tzinfo=UTC)
)


def in_order(name: str, size: int = 0, tries: int = 1) -> list[tuple[Any, list[Event], str]]:
    """(expectation, the events of the line, where) for every annotated line, parsed in order:
    in one batch, or in batches of `size` lines, each parsed `tries` times (the commits
    before the last failed)."""
    expected: dict[int, tuple[Any, str]] = {}
    lines, waiting, offset = [], None, 0
    for number, text in enumerate((SAMPLES / name).read_text().splitlines(), 1):
        if text.startswith("# expect:"):
            waiting = json.loads(text.removeprefix("# expect:"))
        elif not text.startswith("#"):
            lines.append(Line(offset, text))
            expected[offset] = (waiting, f"{name}:{number}")
        offset += len(text.encode()) + 1
    parser = FileParser(FORMATS["sshd"])
    by_offset: dict[int, list[Event]] = {}
    for start in range(0, len(lines), size or len(lines)):
        for _ in range(tries):
            parsed = parser.parse(CONTEXT, lines[start : start + (size or len(lines))])
        parser.commit()
        assert not parsed.dead
        for event in parsed.events:
            by_offset.setdefault(event.offset or 0, []).append(event)
    return [(want, by_offset.get(at, []), where) for at, (want, where) in expected.items()]


CASES = [
    *in_order("sshd-attempts.log"),
    *in_order("sshd-interleaved.log"),
    *in_order("messages-pam-only.log"),
    # Cut every two lines, each cut read three times: attempts span the cuts.
    *[
        (want, events, f"{where} in batches")
        for want, events, where in in_order("sshd-interleaved.log", 2, 3)
    ],
]


@pytest.mark.parametrize(("expected", "events", "where"), CASES, ids=[c[2] for c in CASES])
def test_each_line_counts_as_its_comment_says(
    expected: Any, events: list[Event], where: str
) -> None:
    if expected is None:
        assert all(e.extra.get("ssh.counted") is None for e in events), where
        return
    assert len(events) == expected.get("events", 1), where
    for event in events:
        flat = event.flat()
        for key, value in expected.items():
            if key != "events":
                assert flat.get(key) == value, f"{where}: {key}"


def test_repeats_are_distinct_attempts() -> None:
    repeated = next(events for _, events, _ in CASES if len(events) == 3)
    assert len({event.id for event in repeated}) == 3
    assert len({event.reference_key() for event in repeated}) == 3
