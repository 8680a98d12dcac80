"""Journal entries as `journalctl -o json` writes them: sshd's messages become events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.events import Event
from monitor.parsers.base import Format, LineContext, Malformed, json_object
from monitor.parsers.sshd import message_event

Entry = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Place:
    """Where an entry is said to be when the entry cannot say it itself."""

    path: str
    offset: int | None = None  # None: the entry's realtime in µs


def decode_entry(line: str) -> Entry:
    """One JSON line of `journalctl -o json` as a mapping of field to value."""
    return json_object(line)


def entry_event(entry: Entry, fallback: Place) -> Event | None:
    """The event of an sshd entry; None for other programs' entries and sshd's other messages."""
    program = text(entry.get("SYSLOG_IDENTIFIER")) or text(entry.get("_COMM")) or ""
    if not program.startswith("sshd"):
        return None
    message = text(entry.get("MESSAGE"))
    if message is None:
        raise Malformed("no MESSAGE (exported without --all, or not a log message)")
    micros = realtime(entry)
    path, offset = identity(entry, fallback, micros)
    return message_event(
        message,
        moment(micros),
        path=path,
        offset=offset,
        pid=number(entry.get("_PID")) or number(entry.get("SYSLOG_PID")),
        host=text(entry.get("_HOSTNAME")),
    )


def identity(entry: Entry, fallback: Place, micros: int) -> tuple[str, int]:
    """`journald:<machine id>` and the entry's sequence number where the entry has both.

    The sequence number (the cursor's `i=`, or `__SEQNUM`) increases by one per entry
    of a journal and survives copying the journal files; the same entry read live, from a
    copied directory or from exported JSON is then the same event.
    """
    machine = text(entry.get("_MACHINE_ID"))
    seqnum = sequence_number(entry)
    if machine and seqnum is not None:
        return f"journald:{machine}", seqnum
    return fallback.path, micros if fallback.offset is None else fallback.offset


def sequence_number(entry: Entry) -> int | None:
    for part in (text(entry.get("__CURSOR")) or "").split(";"):
        if part.startswith("i="):
            try:
                seqnum = int(part[2:], 16)
            except ValueError:
                return None
            return seqnum if seqnum < 2**63 else None  # journald's are 64-bit
    return number(entry.get("__SEQNUM"))


def realtime(entry: Entry) -> int:
    micros = number(entry.get("__REALTIME_TIMESTAMP"))
    if micros is None:
        raise Malformed("no __REALTIME_TIMESTAMP")
    return micros


def moment(micros: int) -> datetime:
    """µs since the epoch (UTC), exactly: no float on the way."""
    try:
        seconds = datetime.fromtimestamp(micros // 1_000_000, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise Malformed("__REALTIME_TIMESTAMP out of range") from error
    return seconds.replace(microsecond=micros % 1_000_000)


def text(value: Any) -> str | None:
    """A field's text: journalctl writes a string, a byte array (not UTF-8), or a list of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(b, int) for b in value):
        try:
            return bytes(value).decode("utf-8", "replace")
        except ValueError:  # numbers outside 0..255: not a byte array
            return None
    if isinstance(value, list) and value:
        return text(value[0])  # a field the entry has several times: the first
    return None


def number(value: Any) -> int | None:
    """A field's unsigned number; None where there is none or it is past 64 bits (forged)."""
    raw = text(value)
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


def sniff(line: str) -> bool:
    start = line.lstrip()
    return start.startswith("{") and ('"__CURSOR"' in start or '"__REALTIME_TIMESTAMP"' in start)


def parse(line: str, offset: int, context: LineContext) -> Event | None:
    """One line of saved `journalctl -o json` output (for `vigil parse` and `vigil scan`)."""
    return entry_event(decode_entry(line), Place(context.path, offset))


FORMAT = Format("journald", sniff, parse)
