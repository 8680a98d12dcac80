"""A batch parsed again after a failed commit is marked as it was the first time: the
attempts a file's parser learnt go back to where they were before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import build_log
from monitor.parsers import FORMATS, LineContext
from monitor.parsers.batch import FileParser
from monitor.sources.follower import Line

ATTEMPT = (
    "sshd[{pid}]: Invalid user {user} from 203.0.113.9 port 4000",
    "sshd[{pid}]: Failed password for invalid user {user} from 203.0.113.9 port 4000 ssh2",
)


def test_a_batch_parsed_again_after_a_failed_commit_is_marked_as_the_first_time(
    tmp_path: Path,
) -> None:
    log = tmp_path / "auth.log"
    build_log(log, 2000)
    texts = log.read_text().splitlines()
    for n in range(2000):  # attempts of two lines each, in connections that interleave
        message = ATTEMPT[n % 2].format(pid=100 + n // 2 % 40, user=f"u{n // 80}")
        texts.append(f"Mar 29 10:{n // 60 % 60:02d}:{n % 60:02d} web-01 {message}")
    lines = [Line(n, text) for n, text in enumerate(texts)]
    context = LineContext(str(log), UTC, datetime(2026, 6, 1, tzinfo=UTC))
    once, twice = FileParser(FORMATS["sshd"]), FileParser(FORMATS["sshd"])
    marks = []
    for parser, tries in ((once, 1), (twice, 3)):
        for start in range(0, len(lines), 700):
            for _ in range(tries):  # the commit failed: read again
                parsed = parser.parse(context, lines[start : start + 700])
            parser.commit()
            marks.append([event.extra.get("ssh.counted") for event in parsed.events])
    half = len(marks) // 2
    assert marks[:half] == marks[half:]
    assert any(counted is False for batch in marks for counted in batch)
