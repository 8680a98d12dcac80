"""A batch parsed again after a failed commit is marked as it was the first time: the
attempts a file's parser learnt go back to where they were before it."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bench.ingest import build_log
from monitor.parsers import FORMATS, LineContext, attempts
from monitor.parsers.batch import FileParser
from monitor.pipeline.journals import Journals
from monitor.settings import Settings, SourceSettings, SourceType
from monitor.sources.follower import Line
from monitor.sources.journald import JournalRead, JournalReader, Record
from monitor.store.keys import Keys

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
    marks = marks_with_retries([Line(n, text) for n, text in enumerate(texts)], 700)
    assert marks[0] == marks[1]
    assert False in marks[0]


def test_connections_pushed_out_come_back_in_their_place_when_a_batch_is_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the limit the least recently heard connection goes: whether an attempt's second
    line still finds its first depends on every connection's place in that order, which
    an undone batch puts back as it was."""
    monkeypatch.setattr(attempts, "CONNECTIONS", 25)
    rng = random.Random(3)
    messages: list[str] = []
    waiting: list[tuple[int, str]] = []  # second lines, and after how many lines they come
    for n in range(3000):
        pid = 100 + rng.randrange(30)
        messages.append(ATTEMPT[0].format(pid=pid, user="u"))
        waiting.append((n + rng.randrange(1, 40), ATTEMPT[1].format(pid=pid, user="u")))
        messages += [second for due, second in waiting if due == n]
    texts = [
        f"Mar 29 10:{n // 60 % 60:02d}:{n % 60:02d} web-01 {m}" for n, m in enumerate(messages)
    ]
    marks = marks_with_retries([Line(n, text) for n, text in enumerate(texts)], 97)
    assert marks[0] == marks[1]
    seconds = [mark for text, mark in zip(texts, marks[0], strict=True) if "Failed" in text]
    assert True in seconds and False in seconds  # some first lines pushed out, some kept


def marks_with_retries(lines: list[Line], size: int) -> list[list[object]]:
    """Each line's ssh.counted parsed in batches of `size` once, and each batch three times
    (the first two commits failed)."""
    context = LineContext("/var/log/auth.log", UTC, datetime(2026, 6, 1, tzinfo=UTC))
    marks: list[list[object]] = []
    for tries in (1, 3):
        parser, found = FileParser(FORMATS["sshd"]), []
        for start in range(0, len(lines), size):
            for _ in range(tries):
                parsed = parser.parse(context, lines[start : start + size])
            parser.commit()
            found += [event.extra.get("ssh.counted") for event in parsed.events]
        marks.append(found)
    return marks


async def test_a_journal_read_staged_again_after_a_failed_commit_is_marked_as_the_first_time(
    redis: aioredis.Redis, settings: Settings
) -> None:
    """The journal's reads: staged on a transaction that never ran, then staged again."""
    reader = JournalReader(SourceSettings(type=SourceType.JOURNALD), None)

    def records(start: int) -> list[Record]:
        return [
            Record(
                {
                    "SYSLOG_IDENTIFIER": "sshd",
                    "_PID": str(100 + n // 2 % 7),
                    "_HOSTNAME": "web-01",
                    "MESSAGE": ATTEMPT[n % 2].format(pid=0, user=f"u{n // 14}").split(": ", 1)[1],
                    "__REALTIME_TIMESTAMP": str(1_780_000_000_000_000 + n * 1_000_000),
                }
            )
            for n in range(start, start + 37)
        ]

    marks = []
    for tries in (1, 3):
        journals, found = Journals([reader]), []
        for start in range(0, 300, 37):
            read = JournalRead(reader, records(start), None)
            reader.pending.extend(read.records)  # as journalctl handed them over
            for _ in range(tries):  # the transactions of the first tries never ran
                events = journals.stage(redis.pipeline(), Keys("retry"), settings.ingest, [read])
            journals.commit([read])
            found += [event.extra.get("ssh.counted") for event in events]
        marks.append(found)
    assert marks[0] == marks[1]
    assert True in marks[0] and False in marks[0]
