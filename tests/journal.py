"""Real journal files for the tests: entries in journald's export format, written by
systemd-journal-remote (Debian package systemd-journal-remote; `make test` installs it)."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

JOURNAL_REMOTE = next(
    (
        path
        for path in (
            "/lib/systemd/systemd-journal-remote",
            "/usr/lib/systemd/systemd-journal-remote",
        )
        if Path(path).exists()
    ),
    None,
)
needs_journal_remote = pytest.mark.skipif(
    JOURNAL_REMOTE is None, reason="make test installs systemd-journal-remote"
)
MACHINE = "5c0f1d2e3a4b5c6d7e8f90a1b2c3d4e5"
BOOT = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
START = datetime(2026, 1, 5, 3, 0, 0, tzinfo=UTC)

Field = str | bytes


def sshd_entry(
    message: Field, second: int, *, pid: int = 2201, comm: str = "sshd", boot: str = BOOT
) -> dict[str, Field]:
    """An entry as journald stores what sshd logged through syslog()."""
    micros = int(START.timestamp()) * 1_000_000 + second * 1_000_000 + 250
    return {
        "__REALTIME_TIMESTAMP": str(micros),
        "__MONOTONIC_TIMESTAMP": str(second * 1_000_000 + 1),
        "_BOOT_ID": boot,
        "_MACHINE_ID": MACHINE,
        "_HOSTNAME": "web-01",
        "_COMM": comm,
        "_PID": str(pid),
        "SYSLOG_IDENTIFIER": comm,
        "SYSLOG_FACILITY": "10",
        "PRIORITY": "6",
        "MESSAGE": message,
    }


def export(entries: Iterable[Mapping[str, Field]]) -> bytes:
    """journald's export format: KEY=value lines, binary values length-prefixed."""
    out = bytearray()
    for entry in entries:
        for key, value in entry.items():
            if isinstance(value, str) and "\n" not in value:
                out += f"{key}={value}\n".encode()
            else:
                data = value.encode() if isinstance(value, str) else value
                out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        out += b"\n"
    return bytes(out)


def write_journal(path: Path, entries: Iterable[Mapping[str, Field]]) -> None:
    """Append entries to the journal file at `path` (created when missing)."""
    if JOURNAL_REMOTE is None:
        raise RuntimeError("systemd-journal-remote is not installed")
    subprocess.run(
        [JOURNAL_REMOTE, f"--output={path}", "-"],
        input=export(entries),
        check=True,
        capture_output=True,
    )


def journal_json(path: Path) -> list[str]:
    """What `journalctl -o json --file PATH` prints, line by line."""
    result = subprocess.run(
        ["journalctl", f"--file={path}", "--output=json", "--all", "--quiet"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.splitlines()
