"""The tailer follows files across rotation, truncation, partial lines, late files and deletion."""

from __future__ import annotations

import os
from pathlib import Path

from monitor.settings import SourceSettings, StartAt
from monitor.sources.tailer import Book, Limits, Tailer


class Clock:
    """The tailer's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tail(
    pattern: Path | str,
    start_at: StartAt = StartAt.BEGINNING,
    book: Book | None = None,
    clock: Clock | None = None,
    max_open: int = 1024,
) -> Tailer:
    source = SourceSettings(path=str(pattern), start_at=start_at)
    limits = Limits(max_line_bytes=100, close_inactive=5.0, max_open=max_open)
    return Tailer(source, book or Book(), limits, clock or Clock())


def drain(tailer: Tailer) -> list[str]:
    """Everything readable now, committed as the ingest loop would after Redis said yes."""
    texts: list[str] = []
    tailer.discover()
    while reads := tailer.read(1000):
        for read in reads:
            texts += [line.text for line in read.lines]
            tailer.commit(read)
    return texts


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


def test_reads_lines_and_waits_for_a_partial_last_line(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("one\ntwo\nthr")
    tailer = tail(log)
    assert drain(tailer) == ["one", "two"]
    append(log, "ee\n")
    assert drain(tailer) == ["three"]


def test_start_at_end_skips_what_was_there(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("old\n")
    tailer = tail(log, StartAt.END)
    assert drain(tailer) == []
    append(log, "new\n")
    assert drain(tailer) == ["new"]


def test_rename_rotation_drains_the_old_file_then_reads_the_new(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("a\n")
    tailer = tail(log)
    assert drain(tailer) == ["a"]
    append(log, "b\n")  # written before rotation, not yet read
    log.rename(tmp_path / "auth.log.1")
    append(tmp_path / "auth.log.1", "c\n")  # a late write through the old handle
    log.write_text("d\n")
    assert drain(tailer) == ["b", "c", "d"]


def test_copytruncate_restarts_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("first line\nsecond line\n")
    tailer = tail(log)
    assert drain(tailer) == ["first line", "second line"]
    with log.open("r+") as handle:
        handle.truncate(0)
    append(log, "after\n")
    assert drain(tailer) == ["after"]


def test_files_that_appear_later_are_picked_up(tmp_path: Path) -> None:
    tailer = tail(tmp_path / "access.log*")
    assert drain(tailer) == []
    (tmp_path / "access.log").write_text("x\n")
    assert drain(tailer) == ["x"]


def test_a_rotated_file_matching_the_glob_is_not_read_twice(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("a\n")
    tailer = tail(tmp_path / "access.log*")
    assert drain(tailer) == ["a"]
    log.rename(tmp_path / "access.log.1")
    log.write_text("b\n")
    (tmp_path / "access.log.2.gz").write_bytes(b"\x1f\x8b binary")
    assert drain(tailer) == ["b"]
    assert drain(tailer) == []


def test_deleted_file_is_drained_then_let_go(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("a\n")
    tailer = tail(log)
    tailer.discover()
    append(log, "b\n")
    os.unlink(log)
    assert drain(tailer) == ["a", "b"]
    assert tailer.followers == {}
    assert [checkpoint.offset for checkpoint in tailer.released] == [4]
    assert tailer.book.files == {}


def test_an_overlong_line_is_cut_and_marked(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("x" * 250 + "\nshort\n")
    tailer = tail(log)
    tailer.discover()
    reads = tailer.read(10)
    lines = [line for read in reads for line in read.lines]
    assert [(len(line.text), line.truncated) for line in lines] == [(100, True), (5, False)]


def test_resumes_from_a_checkpoint_and_finds_a_file_rotated_while_down(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("a\nb\n")
    first = tail(log)
    first.discover()
    (read,) = first.read(1)
    checkpoint = read.follower.checkpoint(read.end)  # only "a" was committed
    book = Book({checkpoint.identity.key: checkpoint}, {str(log): checkpoint.identity.key})
    log.rename(tmp_path / "auth.log.1")
    log.write_text("c\n")
    assert drain(tail(log, StartAt.END, book)) == ["b", "c"]
