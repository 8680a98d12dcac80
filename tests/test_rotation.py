"""Files as logrotate and people leave them: rename rotation inside a glob, delaycompress,
late writers, rotations while Vigil was stopped, swapped symlinks, thousands of files."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from pathlib import Path

from monitor.sources.tailer import Book, Tailer
from tests.test_tailer import Clock, append, drain, tail


def numbered(first: int, count: int) -> str:
    """Access-log lines numbered by their AWB (a cargo waybill), 90 bytes each or so."""
    return "".join(
        f'203.0.113.9 - - [01/Mar/2026:09:00:00 +0700] "GET /track?awb={n:08d} HTTP/1.1" 200 5\n'
        for n in range(first, first + count)
    )


def rotate(folder: Path, name: str, keep: int, compress_from: int | None = None) -> None:
    """logrotate's rename rotation: name.N -> name.N+1 ..., name -> name.1, a new empty name.
    With `compress_from` (delaycompress: 2), name.K for K >= it is gzipped and removed."""
    for n in range(keep - 1, 0, -1):
        for suffix in ("", ".gz"):
            older = folder / f"{name}.{n}{suffix}"
            if older.exists():
                older.rename(folder / f"{name}.{n + 1}{suffix}")
    (folder / name).rename(folder / f"{name}.1")
    (folder / name).touch()
    if compress_from is None:
        return
    for n in range(compress_from, keep + 1):
        plain = folder / f"{name}.{n}"
        if plain.exists():
            (folder / f"{name}.{n}.gz").write_bytes(gzip.compress(plain.read_bytes()))
            plain.unlink()


def read_through_rotations(tmp_path: Path, compress_from: int | None) -> list[str]:
    log = tmp_path / "access.log"
    log.touch()
    clock = Clock()
    tailer = tail(tmp_path / "access.log*", clock=clock)
    texts: list[str] = []
    for round_ in range(8):
        append(log, numbered(round_ * 100, 100))
        texts += drain(tailer)
        rotate(tmp_path, "access.log", keep=4, compress_from=compress_from)
        texts += drain(tailer)
        clock.now += 60  # the rotated file has been quiet long enough to be let go
        texts += drain(tailer)
    return texts


def test_a_glob_source_reads_each_line_once_through_rename_rotations(tmp_path: Path) -> None:
    """`access.log*` with rename rotation: access.log.1 becomes access.log.2 and so on, all
    inside the glob; none of them is read again."""
    texts = read_through_rotations(tmp_path, compress_from=None)
    assert texts == numbered(0, 800).splitlines()


def test_a_glob_source_reads_each_line_once_with_delaycompress(tmp_path: Path) -> None:
    texts = read_through_rotations(tmp_path, compress_from=2)
    assert texts == numbered(0, 800).splitlines()


def test_a_writer_still_writing_to_the_renamed_file_loses_nothing(tmp_path: Path) -> None:
    """nginx writes to the old file until its reopen signal: those lines are read too, until
    the old file has been quiet for close_inactive."""
    log = tmp_path / "access.log"
    log.write_text("a\n")
    clock = Clock()
    tailer = tail(log, clock=clock)
    assert drain(tailer) == ["a"]
    log.rename(tmp_path / "access.log.1")
    log.write_text("c\n")
    assert drain(tailer) == ["c"]
    for late in ("b1", "b2", "b3"):  # the old file keeps growing after the rotation
        clock.now += 2
        append(tmp_path / "access.log.1", late + "\n")
        assert drain(tailer) == [late]
    clock.now += 6
    assert drain(tailer) == []
    assert len(tailer.followers) == 1  # quiet for close_inactive: the old file is let go
    append(log, "d\n")
    assert drain(tailer) == ["d"]


def test_two_rotations_while_stopped_lose_no_file(tmp_path: Path) -> None:
    """Stopped with auth.log half read; rotated twice meanwhile: the rest of the first file,
    the whole middle one (never seen) and the new one are read, in that order."""
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 10))
    old = tmp_path / "auth.log.1"
    old.write_text("an old rotation, read long ago\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    first = tail(log)
    first.discover()
    (read,) = first.read(4)
    checkpoint = first.commit(read, at=time.time())  # lines 0..3 committed, Vigil stops
    book = Book({checkpoint.identity.key: checkpoint}, {str(log): checkpoint.identity.key})
    for follower in first.followers.values():
        follower.close()
    append(log, numbered(10, 5))
    rotate(tmp_path, "auth.log", keep=5)
    log.write_text(numbered(15, 10))
    rotate(tmp_path, "auth.log", keep=5)
    log.write_text(numbered(25, 5))
    assert drain(tail(log, book=book)) == numbered(4, 26).splitlines()


def test_a_symlink_swapped_back_and_forth_reads_each_target_once(tmp_path: Path) -> None:
    blue, green = tmp_path / "blue.log", tmp_path / "green.log"
    link = tmp_path / "app.log"
    blue.write_text("blue 1\n")
    green.write_text("green 1\n")
    link.symlink_to(blue)
    clock = Clock()
    tailer = tail(link, clock=clock)
    texts = drain(tailer)
    for n in range(2, 6):
        target = green if n % 2 == 0 else blue
        link.unlink()
        link.symlink_to(target)
        append(target, f"{target.stem} {n}\n")
        texts += drain(tailer)
        clock.now += 60
        texts += drain(tailer)
    assert sorted(texts) == ["blue 1", "blue 3", "blue 5", "green 1", "green 2", "green 4"]


def test_thousands_of_files_are_read_with_a_bounded_number_open(tmp_path: Path) -> None:
    """(10,000 files under a real ulimit: tests/test_rotation_faults.py.)"""
    for n in range(3_000):
        (tmp_path / f"session-{n:05d}.log").write_text(f"file {n}\n")
    tailer = tail(tmp_path / "session-*.log", max_open=100)
    texts: list[str] = []
    while batch := drain_some(tailer):
        texts += batch
        assert len(tailer.followers) <= 100
    assert sorted(texts) == sorted(f"file {n}" for n in range(3_000))
    append(tmp_path / "session-00007.log", "again\n")  # a closed file that grows is reopened
    assert drain(tailer) == ["again"]


def drain_some(tailer: Tailer) -> list[str]:
    """One ingest step: discover, read, commit."""
    tailer.discover()
    texts: list[str] = []
    for read in tailer.read(5000):
        texts += [line.text for line in read.lines]
        tailer.commit(read)
    return texts


def test_files_that_only_start_alike_are_each_read(tmp_path: Path) -> None:
    """Not copies: 300 session logs, each holding the same header line when first seen."""
    for n in range(300):
        (tmp_path / f"session-{n:03d}.log").write_text("#Fields: date time\n")
    tailer = tail(tmp_path / "session-*.log", max_open=50)
    texts = drain_some(tailer)
    for n in range(300):
        append(tmp_path / f"session-{n:03d}.log", f"session {n}\n")
    while batch := drain_some(tailer):
        texts += batch
    assert sorted(t for t in texts if t.startswith("session")) == sorted(
        f"session {n}" for n in range(300)
    )


def test_inode_reused_by_a_new_file_is_read_from_the_start(tmp_path: Path) -> None:
    """A file deleted and another created that gets its inode: the first bytes tell them apart."""
    log = tmp_path / "auth.log"
    log.write_text("first file\n")
    tailer = tail(log)
    assert drain(tailer) == ["first file"]
    inode = log.stat().st_ino
    os.unlink(log)
    assert drain(tailer) == []
    log.write_text("other text!\n")
    reused = log.stat().st_ino == inode
    assert drain(tailer) == ["other text!"], f"inode reused: {reused}"


def copytruncate(log: Path, copy: Path, *, truncate: bool = True) -> None:
    """logrotate's copytruncate: the file copied to its rotated name, then emptied in place."""
    shutil.copyfile(log, copy)
    if truncate:
        with log.open("r+") as handle:
            handle.truncate(0)


def test_copytruncate_inside_the_glob_reads_each_line_once(tmp_path: Path) -> None:
    """access.log* with copytruncate: access.log.1 is a copy of what was read, plus the
    lines written just before the copy, which are read from the copy and only from it."""
    log = tmp_path / "access.log"
    log.write_text(numbered(0, 100))
    clock = Clock()
    tailer = tail(tmp_path / "access.log*", clock=clock)
    texts = drain(tailer)
    for round_ in range(1, 5):
        append(log, numbered(round_ * 100, 50))  # not read before the copy
        rotated = tmp_path / "access.log.1"
        if rotated.exists():
            rotated.rename(tmp_path / f"access.log.{round_ + 1}")
        copytruncate(log, rotated, truncate=round_ % 2 == 0)
        texts += drain(tailer)  # odd rounds: copied, not yet truncated
        if round_ % 2:
            with log.open("r+") as handle:
                handle.truncate(0)
        append(log, numbered(round_ * 100 + 50, 50))
        texts += drain(tailer)
        clock.now += 60
        texts += drain(tailer)
    assert texts == numbered(0, 500).splitlines()


def test_copytruncate_while_stopped_reads_the_copy_from_the_checkpoint(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(numbered(0, 10))
    first = tail(tmp_path / "access.log*")
    first.discover()
    (read,) = first.read(4)
    checkpoint = first.commit(read, at=time.time())
    book = Book({checkpoint.identity.key: checkpoint}, {str(log): checkpoint.identity.key})
    for follower in first.followers.values():
        follower.close()
    append(log, numbered(10, 5))
    copytruncate(log, tmp_path / "access.log.1")
    append(log, numbered(15, 5))
    assert sorted(drain(tail(tmp_path / "access.log*", book=book))) == sorted(
        numbered(4, 16).splitlines()
    )
