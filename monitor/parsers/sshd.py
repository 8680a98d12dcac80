"""OpenSSH authentication lines in syslog (BSD, RFC 5424, ISO) and journal short-iso text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from monitor.events import Event, Outcome
from monitor.parsers.base import Format, LineContext, Malformed

MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}

BSD = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?:(?P<year>\d{4}) )?"
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.\d+)? (?:(?P<year2>\d{4}) )?"
    r"(?P<host>\S+) (?P<app>[^\s\[:]+)(?:\[\d+\])?: (?P<msg>.*)"
)
ISO = re.compile(
    r"(?:<\d{1,3}>)?(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?) "
    r"(?P<host>\S+) (?P<app>[^\s\[:]+)(?:\[\d+\])?: (?P<msg>.*)"
)
RFC5424 = re.compile(
    r"<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+)"
    r"(?: (?P<msg>.*))?"
)

ADDRESS = r"(?P<ip>[0-9A-Fa-f:.]+)"
PORT = r"port (?P<port>\d+)"
MESSAGES: tuple[tuple[re.Pattern[str], str, Outcome], ...] = (
    (
        re.compile(
            rf"Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from {ADDRESS} {PORT}"
        ),
        "ssh-login",
        Outcome.FAILURE,
    ),
    (
        re.compile(rf"Accepted (?P<method>\S+) for (?P<user>.*?) from {ADDRESS} {PORT}"),
        "ssh-login",
        Outcome.SUCCESS,
    ),
    (
        re.compile(rf"Invalid user (?P<user>.*?) from {ADDRESS}(?: {PORT})?"),
        "ssh-invalid-user",
        Outcome.FAILURE,
    ),
    (
        re.compile(
            rf"pam_unix\(sshd:auth\): authentication failure;.*? rhost={ADDRESS}"
            r"(?:\s+user=(?P<user>\S+))?"
        ),
        "ssh-pam-failure",
        Outcome.FAILURE,
    ),
    (
        re.compile(
            rf"error: maximum authentication attempts exceeded for (?:invalid user )?"
            rf"(?P<user>.*?) from {ADDRESS} {PORT}"
        ),
        "ssh-max-auth-attempts",
        Outcome.FAILURE,
    ),
    (
        re.compile(
            rf"(?:Connection closed by|Disconnected from) (?:authenticating|invalid) user "
            rf"(?P<user>.*?) {ADDRESS} {PORT}(?: \[preauth\])?$"
        ),
        "ssh-preauth-disconnect",
        Outcome.FAILURE,
    ),
)


def sniff(line: str) -> bool:
    return " sshd" in line and any(p.match(line) for p in (BSD, RFC5424, ISO))


def parse(line: str, offset: int, context: LineContext) -> Event | None:
    """Parse one sshd line; None for a well-formed line of another program or message."""
    timestamp, app, message = frame(line, context)
    if not app.startswith("sshd"):
        return None
    return message_event(message, timestamp, path=context.path, offset=offset)


def frame(line: str, context: LineContext) -> tuple[datetime, str, str]:
    """(time, program, message) of a syslog or journal line."""
    if match := BSD.match(line):
        return bsd_time(match, context), match["app"], match["msg"]
    if match := RFC5424.match(line):
        return iso_time(match["ts"]), match["app"], match["msg"] or ""
    if match := ISO.match(line):
        return iso_time(match["ts"].replace(" ", "T", 1)), match["app"], match["msg"]
    raise Malformed("not a syslog or journal line")


def message_event(
    message: str,
    timestamp: datetime,
    *,
    path: str,
    offset: int,
    pid: int | None = None,
    host: str | None = None,
) -> Event | None:
    """The event of one sshd message (the text after `sshd[pid]: `), from any framing."""
    for pattern, action, outcome in MESSAGES:
        if match := pattern.match(message):
            groups = match.groupdict()
            extra: dict[str, object] = (
                {"ssh.method": groups["method"]} if groups.get("method") else {}
            )
            if pid is not None:
                extra["process.pid"] = pid
            if host is not None:
                extra["host.hostname"] = host
            return Event(
                timestamp=timestamp,
                action=action,
                outcome=outcome,
                category="authentication",
                dataset="sshd",
                user=groups.get("user") or None,
                source_ip=normalize_ip(groups["ip"]),
                source_port=int(groups["port"]) if groups.get("port") else None,
                file_path=path,
                offset=offset,
                extra=extra,
            )
    return None


def normalize_ip(text: str) -> str:
    """IPv4-mapped IPv6 (::ffff:192.0.2.1) is the IPv4 address it maps."""
    lowered = text.lower()
    return text[7:] if lowered.startswith("::ffff:") and "." in text else lowered


def iso_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise Malformed(f"bad timestamp {text[:40]!r}") from error
    if moment.tzinfo is None:
        raise Malformed("ISO timestamp without zone")  # rsyslog and journald always write one
    return moment.astimezone(UTC)


def bsd_time(match: re.Match[str], context: LineContext) -> datetime:
    """Syslog time in the configured zone; without a year, the latest year not after the file."""
    mon, day, hour, minute, second, year, year2 = match.group(
        "mon", "day", "h", "m", "s", "year", "year2"
    )
    explicit = year or year2
    month = MONTHS.get(mon)
    if month is None:
        raise Malformed("bad syslog month")
    start = hour_start(
        context.zone, int(explicit or context.reference.year), month, int(day), int(hour)
    )
    if not explicit and start - context.reference > ONE_DAY:
        last_year = int(context.reference.year) - 1  # a December line read in January
        start = hour_start(context.zone, last_year, month, int(day), int(hour))
    return start + timedelta(seconds=int(minute) * 60 + int(second))


ONE_DAY = timedelta(days=1)
HOUR_STARTS: dict[tuple[tzinfo, int, int, int, int], datetime] = {}


def hour_start(zone: tzinfo, year: int, month: int, day: int, hour: int) -> datetime:
    """The UTC moment a local hour starts: zone arithmetic once per hour of log, not per line."""
    key = (zone, year, month, day, hour)
    start = HOUR_STARTS.get(key)
    if start is None:
        if len(HOUR_STARTS) > 100_000:
            HOUR_STARTS.clear()
        try:
            start = datetime(year, month, day, hour, tzinfo=zone).astimezone(UTC)
        except ValueError as error:
            raise Malformed("bad syslog date") from error
        HOUR_STARTS[key] = start
    return start


FORMAT = Format("sshd", sniff, parse)
