"""What one sshd message says: its action, user and remote host, read by its first word."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from monitor.events import Outcome
from monitor.parsers.base import Malformed
from monitor.parsers.fields import visible

FAILURE, SUCCESS, UNKNOWN = Outcome.FAILURE, Outcome.SUCCESS, Outcome.UNKNOWN
S = re.DOTALL  # a CR/LF smuggled into a user name must not end `.*` early
PREAUTH = r"(?: \[preauth\])?"
ENDPOINT = r"(?P<host>\S+) port (?P<port>\d+)"
HOST_PORT = r"(?P<host>\S+)(?: port (?P<port>\d+))?"


class Reading(NamedTuple):
    """An sshd message read: the raw user and host text, checked later by the event builder.

    A NamedTuple, not a dataclass: one is built per line on the hot path.
    """

    action: str
    outcome: Outcome
    user: str | None = None
    host: str | None = None
    port: str | None = None
    extra: tuple[tuple[str, object], ...] = ()


def reading(
    action: str, outcome: Outcome, match: re.Match[str], *extra: tuple[str, object]
) -> Reading:
    """The reading of a pattern with any of the groups `user`, `host`, `port`."""
    groups = match.groupdict()
    return Reading(
        action, outcome, groups.get("user"), groups.get("host"), groups.get("port"), extra
    )


# `Failed password for [invalid user ]X from H port N ssh2[: KEY FP[, client user ...]]`
LOGIN = re.compile(
    r"(?P<method>\S+) for (?:invalid user )?(?P<user>.*) from " + HOST_PORT + r"(?: ssh[12])?"
    r"(?:: (?P<key>[A-Z][A-Za-z0-9@.-]* [^\s,]+)(?P<more>, client user .*| ID .*)?)?" + PREAUTH,
    S,
)


def read_login(rest: str, outcome: Outcome) -> Reading | None:
    match = LOGIN.fullmatch(rest)
    if match is None:
        return None
    if is_ambiguous(match):
        raise Malformed("ambiguous sshd login line: client text holds a second ` from `")
    user, host, port, method = match.group("user", "host", "port", "method")
    return Reading("ssh-login", outcome, user, host, port, (("ssh.method", visible(method)),))


# sshd only ever writes `: key info` after its own ` from H port N ssh2`. A user name holding
# that shape means the line also parses with an earlier ` from ` as sshd's and the rest as
# key info (hostbased client user/host and certificate ids are client text): which one is
# sshd's is undecidable, so the line is refused, not guessed. No real account has such a name.
SECOND_CLAUSE = re.compile(r" from \S+ port \d+(?: ssh[12])?:(?: |$)")


def is_ambiguous(match: re.Match[str]) -> bool:
    more = match["more"]
    if more and " from " in more:
        return True
    user: str = match["user"]
    return " port " in user and SECOND_CLAUSE.search(user) is not None


def read_failed(rest: str) -> Reading | None:
    return read_login(rest, FAILURE)


def read_accepted(rest: str) -> Reading | None:
    return read_login(rest, SUCCESS)


INVALID = re.compile(r"user (?P<user>.*) from " + HOST_PORT + PREAUTH, S)


def read_invalid(rest: str) -> Reading | None:
    match = INVALID.fullmatch(rest)
    if match is None:
        return None
    user, host, port = match.group("user", "host", "port")
    return Reading("ssh-invalid-user", FAILURE, user, host, port)


# pam_unix: `logname= uid=0 euid=0 tty=ssh ruser= rhost=H  user=X`. `user=` is the last key
# and runs to the end (it may hold ` rhost=...`); `rhost=` is the one right before it.
PAM_PAIRS = r"(?:.*? )?rhost=(?P<host>\S*)(?: +user=(?P<user>.*?))?"
PAM_UNIX = re.compile(r"authentication failure; " + PAM_PAIRS + PREAUTH, S)
PAM_MORE = re.compile(
    r"(?P<count>\d{1,6}) more authentication failures?; " + PAM_PAIRS + PREAUTH, S
)
PAM_ERROR = re.compile(
    r"(?:[Aa]uthentication (?:failure|error)|User not known to the underlying authentication "
    r"module) for (?:illegal user |invalid user )?(?P<user>.*) from (?P<host>\S+)"
    r"(?: via \S+)?" + PREAUTH,
    S,
)


# `ssh.pam` tells pam_unix's own line from sshd's `error: PAM:` line about the same attempt.
PAM_UNIX_KIND = ("ssh.pam", "unix")
PAM_ERROR_KIND = ("ssh.pam", "error")


def read_pam_unix(rest: str) -> Reading | None:
    match = PAM_UNIX.fullmatch(rest)
    return reading("ssh-pam-failure", FAILURE, match, PAM_UNIX_KIND) if match else None


def read_pam_more(rest: str) -> Reading | None:
    """`PAM 2 more authentication failures`: a summary of failures already logged one by one."""
    match = PAM_MORE.fullmatch(rest)
    if match is None:
        return None
    count = ("ssh.summary_count", int(match["count"]))
    return reading("ssh-pam-failure", FAILURE, match, PAM_UNIX_KIND, ("ssh.summary", True), count)


def read_pam_error(rest: str) -> Reading | None:
    match = PAM_ERROR.fullmatch(rest)
    return reading("ssh-pam-failure", FAILURE, match, PAM_ERROR_KIND) if match else None


REFUSALS = (
    r" not allowed because (?:"
    r"(?:not )?listed in (?:Allow|Deny)(?:Users|Groups)|not in any group"
    r"|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups"
    r"|account is locked|shell .* (?:does not exist|is not executable))" + PREAUTH
)
NOT_ALLOWED = re.compile(r"(?P<user>.*) from (?P<host>\S+)" + REFUSALS, S)
# sshd's check of a locked account logs no address: the connection's close gives it.
NOT_ALLOWED_NO_HOST = re.compile(r"(?P<user>\S+)" + REFUSALS, S)  # a real account's name


def read_user(rest: str) -> Reading | None:
    if rest.startswith("not known "):
        return read_pam_error("User " + rest)
    match = NOT_ALLOWED.fullmatch(rest) or NOT_ALLOWED_NO_HOST.fullmatch(rest)
    return reading("ssh-not-allowed", FAILURE, match) if match else None


MAX_ATTEMPTS = re.compile(
    r"authentication attempts exceeded for (?:invalid user )?(?P<user>.*) from "
    + ENDPOINT
    + r"(?: ssh[12])?"
    + PREAUTH,
    S,
)
TOO_MANY = re.compile(
    r"(?:(?:authenticating|invalid) )?user (?P<user>.*) "
    + ENDPOINT
    + r": Too many authentication failures"
    + PREAUTH,
    S,
)


def read_maximum(rest: str) -> Reading | None:
    match = MAX_ATTEMPTS.fullmatch(rest)
    return reading("ssh-max-auth-attempts", FAILURE, match) if match else None


def read_disconnecting(rest: str) -> Reading | None:
    match = TOO_MANY.fullmatch(rest)
    return reading("ssh-max-auth-attempts", FAILURE, match) if match else None


USER_GONE = re.compile(r"(?:authenticating|invalid) user (?P<user>.*) " + ENDPOINT + PREAUTH, S)
PEER_GONE = re.compile(HOST_PORT + r" \[preauth\]")  # OpenSSH before 7.3 wrote no port
# OpenSSH 8 and later log the close after `kex_exchange_identification:` without [preauth];
# a session that logged in closes as `Disconnected from user X`, never as a bare peer.
PEER_CLOSED = re.compile(HOST_PORT + PREAUTH)


def read_gone(rest: str, peer: re.Pattern[str] = PEER_GONE) -> Reading | None:
    """`closed by`/`reset by`/`from` a user or a bare peer before authentication."""
    if match := USER_GONE.fullmatch(rest):
        return reading("ssh-preauth-disconnect", FAILURE, match)
    if match := peer.fullmatch(rest):
        return probe("preauth-closed", match)
    return None


def read_connection(rest: str) -> Reading | None:
    word, _, tail = rest.partition(" by ")
    return read_gone(tail, PEER_CLOSED) if word in ("closed", "reset") else None


def read_disconnected(rest: str) -> Reading | None:
    return read_gone(rest[5:]) if rest.startswith("from ") else None


PENALISED = "penalised"  # logged by the listener, whose pid is no connection's


def probe(kind: str, match: re.Match[str]) -> Reading:
    return reading("ssh-probe", UNKNOWN, match, ("ssh.probe", kind))


# The client's disconnect reason, version string or offer follows sshd's text: anchor at start.
RECEIVED = re.compile(r"disconnect from " + HOST_PORT + r": ?\d+: .*\[preauth\]", S)
NEGOTIATE = re.compile(
    r"to negotiate with " + ENDPOINT + r": no matching [\w -]{1,40}? found\b.*",
    S,
)
BANNER = re.compile(r"exchange: Connection from " + ENDPOINT + r": .*", S)
NO_IDENTIFICATION = re.compile(r"not receive identification string from " + HOST_PORT + PREAUTH)
BAD_VERSION = re.compile(r"protocol version identification .* from " + HOST_PORT + PREAUTH, S)
TIMEOUT = re.compile(r"before authentication(?: for " + HOST_PORT + r")?" + PREAUTH)
ROOT_REFUSED = re.compile(r"LOGIN REFUSED(?: .*)? FROM " + HOST_PORT + PREAUTH, S)
REFUSED_CONNECT = re.compile(r"connect from .* \((?P<host>[^()\s]+)\)" + PREAUTH, S)
# OpenSSH 9.8 and later (PerSourcePenalties, on by default) refuse a source penalised for
# failed logins before it can try again: the only line it then leaves. No password was
# tried, so each drop is a probe of the source, not a failed login (a reconnect loop must
# not grow a brute force incident). Other penalties and MaxStartups drops are not read.
DROPPED = re.compile(
    r"connection #\d+ from \[(?P<host>[^]\s]+)\]:(?P<port>\d+) on \[[^]\s]+\]:\d+"
    r" penalty: failed authentication"
)


def read_root(rest: str) -> Reading | None:
    """`ROOT LOGIN REFUSED FROM H`: a refused attempt on root."""
    match = ROOT_REFUSED.fullmatch(rest)
    if match is None:
        return None
    return Reading("ssh-root-refused", FAILURE, "root", match["host"], match["port"])


def matcher(
    pattern: re.Pattern[str], action: str, outcome: Outcome, *extra: tuple[str, object]
) -> Callable[[str], Reading | None]:
    """A reader that is one pattern: its match, or None."""

    def read_one(rest: str) -> Reading | None:
        match = pattern.fullmatch(rest)
        return reading(action, outcome, match, *extra) if match else None

    return read_one


def probe_matcher(pattern: re.Pattern[str], kind: str) -> Callable[[str], Reading | None]:
    return matcher(pattern, "ssh-probe", UNKNOWN, ("ssh.probe", kind))


READERS: dict[str, Callable[[str], Reading | None]] = {
    "Failed": read_failed,
    "Accepted": read_accepted,
    "Invalid": read_invalid,
    "Illegal": read_invalid,
    "pam_unix(sshd:auth):": read_pam_unix,
    "PAM": read_pam_more,
    "PAM:": read_pam_error,
    "User": read_user,
    "maximum": read_maximum,
    "Disconnecting": read_disconnecting,
    "Connection": read_connection,
    "Disconnected": read_disconnected,
    "Received": probe_matcher(RECEIVED, "preauth-closed"),
    "Unable": probe_matcher(NEGOTIATE, "kex-mismatch"),
    "banner": probe_matcher(BANNER, "bad-banner"),
    "Did": probe_matcher(NO_IDENTIFICATION, "no-identification"),
    "Bad": probe_matcher(BAD_VERSION, "bad-banner"),
    "Timeout": probe_matcher(TIMEOUT, "preauth-timeout"),
    "ROOT": read_root,
    "refused": matcher(REFUSED_CONNECT, "ssh-refused-connect", FAILURE),
    "drop": probe_matcher(DROPPED, PENALISED),
}
LEVELS = ("error:", "fatal:")  # OpenSSH's prefixes for messages logged at those levels
REPEATED = re.compile(r"repeated (?P<count>\d{1,9}) times: \[ ?(?P<inner>.*)\]", S)


def read(message: str) -> Reading | None:
    """What an sshd message says, or None for one that is no authentication event."""
    word, _, rest = message.partition(" ")
    if word in LEVELS:
        word, _, rest = rest.partition(" ")
    if word == "message":
        return read_repeated(rest)
    reader = READERS.get(word)
    return reader(rest) if reader else None


def read_repeated(rest: str) -> Reading | None:
    """rsyslog's `message repeated N times: [ MESSAGE]`: the inner message, N times."""
    match = REPEATED.fullmatch(rest)
    if match is None or match["inner"].startswith("message repeated"):
        return None
    inner = read(match["inner"])
    if inner is None:
        return None
    repeated = ("event.repeated", int(match["count"]))
    return Reading(
        inner.action, inner.outcome, inner.user, inner.host, inner.port, (*inner.extra, repeated)
    )
