"""Syslog and journal text framing: the time, host, program and pid around a message."""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

from monitor.parsers.base import LineContext, Malformed, in_utc

MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
PRI = re.compile(r"<\d{1,3}>")
# host (optional) and program[pid]: the host never holds `[` nor ends in `:`, so an absent
# host cannot swallow the program.
TAIL = r"(?:(?P<host>[^\s\[]*[^\s\[:]) )?(?P<app>[^\s\[:]+)(?:\[(?P<pid>\d{1,10})\])?: ?(?P<msg>.*)"
BSD = re.compile(
    r"(?P<stamp>(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?:(?P<year>\d{4}) )?"
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?P<frac>\.\d{1,9})?(?: (?P<year2>\d{4}))?) " + TAIL,
    re.DOTALL,
)
ISO = re.compile(
    r"(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}(?::?\d{2})?)?)"
    r"\s+" + TAIL,
    re.DOTALL,
)
# journalctl -o short-full: `Mon 2026-01-05 10:00:01 +07 host sshd[1]: ...`
FULL = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) "
    r"(?P<zone>[A-Za-z]{1,6}|[+-]\d{2}(?::?\d{2})?) " + TAIL,
    re.DOTALL,
)
# journalctl -o short-unix: `1767582001.123456 host sshd[1]: ...`
UNIX = re.compile(r"(?P<epoch>\d{9,11}(?:\.\d{1,9})?) " + TAIL, re.DOTALL)
# RFC 5424: SD-ELEMENTs escape `]` inside values; a quoted value is read whole (some senders
# leave `]` unescaped there), so a `]` in the free-text MESSAGE never ends the header.
RFC5424 = re.compile(
    r"1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) \S+ "
    r'(?:-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)(?: (?P<msg>.*))?',
    re.DOTALL,
)
SOLARIS_ID = "[ID "  # `sshd[1234]: [ID 800047 auth.info] Failed ...`


class Frame(NamedTuple):
    """One framed line: when, where, which program and process, and the message text."""

    timestamp: datetime
    program: str
    message: str
    pid: int | None = None
    host: str | None = None


def frame(line: str, context: LineContext, programs: Container[str] | None = None) -> Frame | None:
    """The frame of a syslog or journal text line; None for journalctl's `-- ...` notes.

    With `programs`, a line of any other program is None before its time is even read.
    """
    if line.startswith("<"):
        pri = PRI.match(line)
        if pri is None:
            raise Malformed("bad syslog priority")
        line = line[pri.end() :]
        if line.startswith("1 "):
            return rfc5424_frame(line, programs)
    elif line.startswith("-- "):
        return None  # journalctl: `-- Boot 3f2a... --`, `-- No entries --`
    for pattern, read_time in TIMES:
        if match := pattern.fullmatch(line):
            program, message, pid, host = match.group("app", "msg", "pid", "host")
            if programs is not None and program not in programs:
                return None
            if message.startswith(SOLARIS_ID):
                message = strip_solaris_id(message)
            return Frame(read_time(match, context), program, message, pid_of(pid), host)
    raise Malformed("not a syslog or journal line")


def rfc5424_frame(line: str, programs: Container[str] | None) -> Frame | None:
    match = RFC5424.fullmatch(line)
    if match is None:
        raise Malformed("bad RFC 5424 header")
    program = match["app"]
    if programs is not None and program not in programs:
        return None
    if match["ts"] == "-":
        raise Malformed("RFC 5424 line without a timestamp")
    message = (match["msg"] or "").removeprefix("\ufeff")
    host = match["host"]
    return Frame(
        iso_time(match["ts"], UTC),
        program,
        strip_solaris_id(message),
        pid_of(match["pid"]),
        None if host == "-" else host,
    )


def pid_of(text: str | None) -> int | None:
    """The pid as a number; None for `-` or anything but up to ten ASCII digits."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text)


def strip_solaris_id(message: str) -> str:
    """Solaris/illumos put a message id before the text: `[ID 800047 auth.info] `."""
    if message.startswith(SOLARIS_ID):
        head, found, rest = message.partition("] ")
        if found and " " in head:
            return rest
    return message


def iso_match_time(match: re.Match[str], context: LineContext) -> datetime:
    return iso_time(match["ts"], context.zone)


def full_match_time(match: re.Match[str], context: LineContext) -> datetime:
    return full_time(match["ts"], match["zone"], context.zone)


def unix_time(match: re.Match[str], context: LineContext) -> datetime:
    try:
        return datetime.fromtimestamp(float(match["epoch"]), UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise Malformed("time out of range") from error


def iso_time(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time in UTC; a time without an offset is read in the source's zone."""
    try:
        moment = datetime.fromisoformat(text.replace(",", ".").replace("Z", "+00:00"))
    except ValueError as error:
        raise Malformed(f"bad timestamp {text[:40]!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return in_utc(moment)


def full_time(text: str, zone_name: str, zone: tzinfo) -> datetime:
    """journalctl short-full time: a numeric offset, UTC, or the source's own zone name."""
    if zone_name[0] in "+-":
        return iso_time(text + zone_name, zone)
    if zone_name in ("UTC", "GMT", "Z"):
        return iso_time(text, UTC)
    return iso_time(text, zone)  # `CET`, `ICT`: the abbreviation of the zone configured


def bsd_time(match: re.Match[str], context: LineContext) -> datetime:
    """Syslog time in the source's zone, remembered: consecutive lines share their second."""
    key = (context.zone, context.reference, match["stamp"])
    moment = STAMPS.get(key)
    if moment is None:
        if len(STAMPS) > 100_000:
            STAMPS.clear()
        moment = STAMPS[key] = read_bsd_time(match, context)
    return moment


STAMPS: dict[tuple[tzinfo, datetime, str], datetime] = {}


def read_bsd_time(match: re.Match[str], context: LineContext) -> datetime:
    """Syslog time in the source's zone; without a year, the year the source was in."""
    mon, day, hour, minute, second, frac = match.group("mon", "day", "h", "m", "s", "frac")
    year = match["year"] or match["year2"]
    return clock_time(context, year, mon, day, hour, minute, second, frac)


def clock_time(
    context: LineContext,
    year: str | None,
    mon: str,
    day: str,
    hour: str,
    minute: str,
    second: str,
    frac: str | None = None,
) -> datetime:
    """The UTC moment of a syslog stamp's parts (digits as the stamp wrote them)."""
    minutes, seconds = int(minute), int(second)
    if minutes > 59 or seconds > 60:
        raise Malformed("bad syslog time")
    start = hour_start(context, year, mon, day, hour)
    micros = int(frac[1:7].ljust(6, "0")) if frac else 0
    return start + timedelta(seconds=minutes * 60 + seconds, microseconds=micros)


ONE_DAY = timedelta(days=1)
HourKey = tuple[tzinfo, datetime | str, str, str, str]
HOUR_STARTS: dict[HourKey, datetime] = {}


def hour_start(context: LineContext, year: str | None, mon: str, day: str, hour: str) -> datetime:
    """The UTC moment a local hour starts: zone arithmetic once per hour of log, not per line."""
    key: HourKey = (context.zone, year or context.reference, mon, day, hour)
    start = HOUR_STARTS.get(key)
    if start is None:
        if len(HOUR_STARTS) > 100_000:
            HOUR_STARTS.clear()
        month = MONTHS.get(mon)
        if month is None:
            raise Malformed("bad syslog month")
        if year is None:
            local = local_hour_without_year(context, month, int(day), int(hour))
        else:
            local = local_hour(int(year), month, int(day), int(hour))
        start = HOUR_STARTS[key] = in_utc(local.replace(tzinfo=context.zone))
    return start


def local_hour(year: int, month: int, day: int, hour: int) -> datetime:
    try:
        return datetime(year, month, day, hour)
    except ValueError as error:
        raise Malformed("bad syslog date") from error


def local_hour_without_year(context: LineContext, month: int, day: int, hour: int) -> datetime:
    """The latest year in which this local hour is at most a day after the reference.

    The reference (the file's mtime) is read as a local date in the source's zone, so a
    `Jan  1 05:59` line written just after New Year is in the new year; `Feb 29` goes back to
    the latest leap year that fits.
    """
    latest = context.reference.astimezone(context.zone).replace(tzinfo=None) + ONE_DAY
    for year in range(latest.year, latest.year - 9, -1):
        try:
            candidate = datetime(year, month, day, hour)
        except ValueError:
            continue
        if candidate <= latest:
            return candidate
    raise Malformed("bad syslog date")


# The time-first framings, most common first, each with how its time is read.
TIMES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], LineContext], datetime]], ...] = (
    (BSD, bsd_time),
    (ISO, iso_match_time),
    (FULL, full_match_time),
    (UNIX, unix_time),
)
