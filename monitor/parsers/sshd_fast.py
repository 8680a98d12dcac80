"""The common sshd lines in one anchored match: the same events as the full parser, cheaper.

Most of an attacked server's auth.log is a handful of forms (`Failed password`, `Invalid
user`, the pre-authentication close, the client's disconnect). One pattern over the whole
line reads them without the layered syslog frame, message dispatch and field checks. It
admits only text those checks would pass unchanged: a user name of plain name characters,
an address of IP characters that canonical_ip accepts, a port up to 65535. Anything else,
or any doubt, is left to the full parser (sshd.parse), which reads every form, dead-letters
what is broken, and decides what attacker-written text means; tests/test_sshd_fast.py
holds this path to its events.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from monitor.events import Event, Outcome
from monitor.parsers.base import LineContext
from monitor.parsers.fields import canonical_ip
from monitor.parsers.syslog import clock_time

# No spaces, no control characters, at most 100 characters (OpenSSH logs no more): a name
# that cannot be split two ways around ` from `, and that bounded() would return as it is.
USER = r"[A-Za-z0-9._@$+-]{1,100}"
IP = r"[0-9A-Fa-f][0-9A-Fa-f:.]{1,44}"
PORT = r"[0-9]{1,5}"
PREAUTH = r"(?: \[preauth\])?"
LINE = re.compile(
    # Syslog's stamp without year or fraction; the host starts with a letter, so a year
    # after the time (read as such by the full parser) is never taken for the host.
    r"(?P<minute>(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>[0-9]{1,2}) (?P<h>[0-9]{2}):(?P<m>[0-9]{2})):"
    r"(?P<s>[0-9]{2}) (?:(?P<host>[A-Za-z][A-Za-z0-9._-]{0,252}) )?"
    r"sshd(?:-session|-auth)?\[(?P<pid>[0-9]{1,10})\]: (?:"
    rf"(?P<login>Failed|Accepted) (?P<method>[a-z][a-z/-]{{0,39}}) for (?:invalid user )?"
    rf"(?P<luser>{USER}) from (?P<lip>{IP}) port (?P<lport>{PORT})(?: ssh[12])?"
    rf"(?:: [A-Z][A-Za-z0-9@.-]* [^\s,]+)?{PREAUTH}"
    rf"|(?:Invalid|Illegal) user (?P<iuser>{USER}) from (?P<iip>{IP}) port (?P<iport>{PORT})"
    rf"{PREAUTH}"
    r"|(?:Connection (?:closed|reset) by|Disconnected from) (?:authenticating|invalid) user "
    rf"(?P<guser>{USER}) (?P<gip>{IP}) port (?P<gport>{PORT}){PREAUTH}"
    rf"|Received disconnect from (?P<rip>{IP}) port (?P<rport>{PORT}): ?[0-9]+: .*\[preauth\]"
    r")",
    re.DOTALL,
)
OUTCOMES = {"Failed": Outcome.FAILURE, "Accepted": Outcome.SUCCESS}
SECONDS = {f"{second:02d}": timedelta(seconds=second) for second in range(61)}
MINUTES_KEPT = 10_000


class Clock:
    """Syslog minutes of one line context to UTC moments: one zone computation a minute."""

    def __init__(self) -> None:
        self.context: LineContext | None = None
        self.minutes: dict[str, datetime] = {}

    def minute(self, context: LineContext, match: re.Match[str]) -> datetime:
        if context is not self.context:
            self.context, self.minutes = context, {}
        key = match["minute"]
        start = self.minutes.get(key)
        if start is None:
            if len(self.minutes) > MINUTES_KEPT:
                self.minutes.clear()
            mon, day, hour, minute = match.group("mon", "day", "h", "m")
            start = self.minutes[key] = clock_time(context, None, mon, day, hour, minute, "00")
        return start


CLOCK = Clock()


def parse(line: str, offset: int, context: LineContext) -> Event | None:
    """The event of a common sshd line; None for a line the full parser must read."""
    match = LINE.fullmatch(line)
    if match is None:
        return None
    second = SECONDS.get(match["s"])
    if second is None:
        return None
    pid, host, login = match.group("pid", "host", "login")
    if login is not None:
        action, outcome = "ssh-login", OUTCOMES[login]
        user, address, port = match.group("luser", "lip", "lport")
        extra: dict[str, object] = {"ssh.method": match["method"]}
    elif (user := match["iuser"]) is not None:
        action, outcome = "ssh-invalid-user", Outcome.FAILURE
        address, port = match.group("iip", "iport")
        extra = {}
    elif (user := match["guser"]) is not None:
        action, outcome = "ssh-preauth-disconnect", Outcome.FAILURE
        address, port = match.group("gip", "gport")
        extra = {}
    else:
        action, outcome = "ssh-probe", Outcome.UNKNOWN
        address, port = match.group("rip", "rport")
        extra = {"ssh.probe": "preauth-closed"}
    ip = canonical_ip(address)
    number = int(port)
    if ip is None or number > 65535:
        return None  # a host name, a bad address or port: the full parser says which
    extra["process.pid"] = int(pid)
    if host is not None:
        extra["host.hostname"] = host
    timestamp = CLOCK.minute(context, match) + second
    return authentication(timestamp, action, outcome, user, ip, number, context.path, offset, extra)


def authentication(
    timestamp: datetime,
    action: str,
    outcome: Outcome,
    user: str | None,
    ip: str | None,
    port: int | None,
    path: str,
    offset: int,
    extra: dict[str, object],
) -> Event:
    """An sshd event: one shape whichever path read the line."""
    return Event(
        timestamp=timestamp,
        action=action,
        outcome=outcome,
        category="authentication",
        dataset="sshd",
        user=user,
        source_ip=ip,
        source_port=port,
        file_path=path,
        offset=offset,
        extra=extra,
    )
