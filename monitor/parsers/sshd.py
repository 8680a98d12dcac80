"""OpenSSH authentication lines in any syslog or journal framing, to events.

A message is dispatched on its first word to one reader, so a line costs one or two regex
matches. Attacker-chosen text (user names, client banners, disconnect reasons) is never
trusted for structure: a pattern whose variable text comes first is anchored at the END of
the message (the last ` from HOST port N` is sshd's), one whose variable text comes last is
anchored at the start; control characters in any field are shown as `\\xNN`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.events import Event
from monitor.parsers import sshd_fast, sshd_messages
from monitor.parsers.base import Format, LineContext, Malformed
from monitor.parsers.fields import bounded, ip_or_domain, visible
from monitor.parsers.sshd_messages import Reading
from monitor.parsers.syslog import frame

# OpenSSH >= 9.8 logs from per-connection `sshd-session` (and `sshd-auth`); old RHEL's PAM
# wrote as `sshd(pam_unix)`.
SSHD_PROGRAMS = frozenset({"sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)"})
PAM_PROGRAM = "sshd(pam_unix)"


def sniff(line: str) -> bool:
    """Whether a line is an sshd line in a framing this parser reads."""
    if "sshd" not in line:
        return False
    try:
        framed = frame(line, SNIFF_CONTEXT)
    except Malformed:
        return False
    return framed is not None and framed.program in SSHD_PROGRAMS


def parse(line: str, offset: int, context: LineContext) -> Event | None:
    """Parse one sshd line; None for a well-formed line of another program or message."""
    event = sshd_fast.parse(line, offset, context)  # the common forms, in one match
    if event is not None:
        return event
    return parse_framed(line, offset, context)


def parse_framed(line: str, offset: int, context: LineContext) -> Event | None:
    """Any sshd line, through its syslog or journal frame and its message's reader."""
    framed = frame(line, context, SSHD_PROGRAMS)
    if framed is None:
        return None
    timestamp, program, message, pid, host = framed
    if program == PAM_PROGRAM:
        message = "pam_unix(sshd:auth): " + message
    return message_event(message, timestamp, path=context.path, offset=offset, pid=pid, host=host)


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
    reading = sshd_messages.read(message)
    if reading is None:
        return None
    action, outcome, user, address, port, extra_items = reading
    if address == "UNKNOWN":  # sshd -i without a socket peer: no source to speak of
        return None
    extra: dict[str, object] = dict(extra_items) if extra_items else {}
    if pid is not None:
        extra["process.pid"] = pid
    if host is not None:
        extra["host.hostname"] = host if host.isprintable() else visible(host)
    if user is not None:
        user, cut = bounded(user)
        if cut:
            extra["ssh.user_truncated"] = True
    ip = domain = None
    if address:
        ip, domain = ip_or_domain(address)
        if domain is not None:
            extra["source.domain"] = domain
    port_number = None if port is None else port_of(port)
    return sshd_fast.authentication(
        timestamp, action, outcome, user, ip, port_number, path, offset, extra
    )


def port_of(text: str) -> int:
    if len(text) > 5 or int(text) > 65535:
        raise Malformed("port out of range")
    return int(text)


SNIFF_CONTEXT = LineContext("", UTC, datetime(2000, 1, 1, tzinfo=UTC))
FORMAT = Format("sshd", sniff, parse)

__all__ = ["FORMAT", "Reading", "message_event", "parse", "sniff"]
