"""SSH attempts: one password or key tried is one attempt, however many lines sshd logs for it.

sshd and PAM may write three lines for one try (`Invalid user`, the PAM failure, `Failed
password`), one line for a probe of a user name, and a closing line for the connection.
Following each sshd process (one connection), every failure line either opens an attempt
or joins the one it belongs to, and the attempt counts once, at the line that proves it:
the event keeps its line and gets `ssh.counted` true or false.

Some lines prove nothing alone: pam_unix fails before an LDAP or SSSD module accepts the
same password, and a client offers several keys before the right one (`Failed publickey`
for a valid user). They count only if the connection then fails: through the `Failed`
line that follows, or the connection's close (any close, the client's hang-up during
PAM's failure delay too) when nothing since counted. A file that holds PAM's lines but
none of sshd's own (an old RHEL `/var/log/messages`: sshd wrote to another file) shows
no verdict to wait for: there a PAM failure is the attempt. An rsyslog
`message repeated N times` line is N attempts (copies 2..N carry `event.sequence`). A
pre-authentication close is a probe only when its connection tried no login and logged
none in.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import NamedTuple

from msgspec.structs import replace

from monitor.events import Event, Outcome
from monitor.parsers.sshd_messages import PENALISED

# Where a line stands in the lines of one attempt: a line ranked higher than everything the
# open attempt holds joins it; one ranked the same or lower opens the next attempt.
RANKS = {
    "ssh-invalid-user": 0,
    "ssh-not-allowed": 0,
    "ssh-root-refused": 0,
    "ssh-refused-connect": 0,
    "ssh-pam-failure": 1,
    "ssh-login": 3,
}
PAM_ERROR_RANK = 2  # `error: PAM: Authentication failure for X` follows pam_unix's line
# Lines that close a connection: they join its attempts, or are its only attempt.
CLOSING = frozenset({"ssh-max-auth-attempts", "ssh-preauth-disconnect"})
FAILURE_ACTIONS = frozenset(RANKS) | CLOSING
PROBED = -1  # the rank of a connection that has only probed so far
LOGGED_IN = 99  # and of one that logged in
# Ranks of PAM's lines: an attempt they open waits for sshd's verdict (see the docstring).
PAM_RANKS = frozenset({RANKS["ssh-pam-failure"], PAM_ERROR_RANK})
# Probe kinds that end a connection: after an unproven attempt, the client gave up on it.
ENDINGS = frozenset({"preauth-closed", "preauth-timeout"})
# Stands in for a pid: the host's sshd writes its own lines to this file (see sshd_logs).
SSHD_LOGS = "sshd-logs-here"
PROBE = "ssh-probe"  # a connection that never tried a login (unless its pid did, see mark)
# A connection not heard of for this long is over (LoginGraceTime is two minutes).
IDLE_MS = 10 * 60 * 1000
CONNECTIONS = 10_000
Key = tuple[object, ...]


class Connection(NamedTuple):
    """The attempts of one sshd process so far (a tuple: one is made per failure line)."""

    source: str | None
    user: str | None
    rank: int  # the highest rank the open attempt holds
    last_ms: int
    counted: bool = False  # the open attempt has counted
    failed: bool = False  # some attempt of the connection has counted


class Attempts:
    """Marks which sshd failure lines of one file count as attempts.

    A batch read again after a failed commit must be marked as it was the first time, so
    what a batch changes can be undone: each connection it touches keeps what it was before
    (a copy of all ten thousand, taken before each of a live file's many small batches,
    cost a third of the ingest process's time under a flood).
    """

    def __init__(self) -> None:
        # Least recently heard first; each connection's place in that order (a serial
        # number) lets an undone batch put the connections back as they stood.
        self.connections: OrderedDict[Key, Connection] = OrderedDict()
        self.places: dict[Key, int] = {}
        self.serial = itertools.count()
        # What the batch since begin() changed: each connection as it was (None: absent);
        # and whether that batch is still to be stored.
        self.before: dict[Key, tuple[Connection, int] | None] = {}
        self.open = False

    def begin(self) -> None:
        """A new batch. The last one, if it was never stored (its commit failed, and its
        lines are read again now), is undone first."""
        if self.open:
            self.undo()
        self.before, self.open = {}, True

    def stored(self) -> None:
        """The batch is stored: what it changed stays."""
        self.open = False

    def undo(self) -> None:
        """Back to where the connections stood at begin()."""
        before, self.before = self.before, {}
        if not before:
            return
        for key, was in before.items():
            if was is None:
                self.connections.pop(key, None)
                self.places.pop(key, None)
            else:
                self.connections[key], self.places[key] = was
        places = self.places
        order = sorted(self.connections, key=places.__getitem__)
        self.connections = OrderedDict((key, self.connections[key]) for key in order)

    def keep(self, key: Key) -> None:
        """Note the connection as it was before the batch first changes it."""
        if key not in self.before:
            known = self.connections.get(key)
            self.before[key] = None if known is None else (known, self.places[key])

    def update(self, key: Key, connection: Connection) -> None:
        """A known connection's new state; its place in the order stays."""
        self.keep(key)
        self.connections[key] = connection

    def mark(self, event: Event, into: list[Event]) -> None:
        """Append the event, marked, and its repeats; other events are appended as they are."""
        action = event.action
        if not is_pam(event):
            self.sshd_logs(event)
        if action == PROBE:
            into.append(self.probes(event))
        elif action not in FAILURE_ACTIONS or event.outcome is not Outcome.FAILURE:
            if action == "ssh-login" and event.outcome is Outcome.SUCCESS:
                self.logged_in(event)
            into.append(event)
        elif (repeated := event.extra.get("event.repeated")) is None:
            into.append(with_extra(event, "ssh.counted", self.counts(event)))
        else:
            copies = repeated if isinstance(repeated, int) and 1 < repeated <= 10_000 else 1
            for sequence in range(1, copies + 1):
                copy = event if sequence == 1 else replace_extra(event, sequence)
                into.append(with_extra(copy, "ssh.counted", self.counts(copy)))

    def probes(self, event: Event) -> Event:
        """The probe line marked: counted if it is the first of a connection that tried no
        login (a scanner's connection may log two: `Received disconnect`, then
        `Disconnected`). A close after an attempt still unproven is that attempt's end,
        and the attempt: a failed login at the close."""
        key = connection_key(event)
        if key is None:
            return with_extra(event, "ssh.counted", True)
        known = self.live(key, event, event.epoch_ms)
        if known is None:
            self.remember(key, Connection(event.source_ip, None, PROBED, event.epoch_ms))
            return with_extra(event, "ssh.counted", True)
        if event.extra.get("ssh.probe") in ENDINGS and unproven(known):
            self.update(key, known._replace(last_ms=event.epoch_ms, counted=True, failed=True))
            return gave_up(event, known.user)
        return with_extra(event, "ssh.counted", False)

    def sshd_logs(self, event: Event) -> None:
        """Note that the host's sshd writes its own lines here, and so its verdicts (`Failed`,
        `Accepted`: sshd logs them all to one facility): its PAM failures then wait for
        them. Kept among the connections, so that an undone batch undoes it (and, like them,
        forgotten past CONNECTIONS until sshd's next line)."""
        key = (event.extra.get("host.hostname"), SSHD_LOGS)
        if key not in self.connections:
            self.remember(key, Connection(None, None, LOGGED_IN, event.epoch_ms))

    def proves(self, event: Event) -> bool:
        """Whether the line alone shows a failed attempt (see the module's docstring)."""
        if event.action == "ssh-pam-failure":
            return (event.extra.get("host.hostname"), SSHD_LOGS) not in self.connections
        # A refused key proves nothing: another may follow and work; a valid user's key is
        # no guess.
        return event.action != "ssh-login" or event.extra.get("ssh.method") != "publickey"

    def logged_in(self, event: Event) -> None:
        """A connection that logged in: its later closes are no probes."""
        key = connection_key(event)
        if key is not None:
            self.remember(key, Connection(event.source_ip, event.user, LOGGED_IN, event.epoch_ms))

    def counts(self, event: Event) -> bool:
        extra = event.extra
        if extra.get("ssh.summary"):
            return False  # `PAM 2 more authentication failures`: already logged one by one
        pid = extra.get("process.pid")
        if pid is None:  # without a pid the lines of a connection cannot be told apart
            return self.proves(event) or event.action in CLOSING
        key = (extra.get("host.hostname"), pid)  # as connection_key(event)
        ms = event.epoch_ms
        known = self.live(key, event, ms)
        if known is not None and known.rank in (PROBED, LOGGED_IN):
            known = None  # a probe line came first, or the pid's session is over
        if event.action in CLOSING:
            return self.closes(key, event, known)
        # A line naming no source (a locked account) waits for the close, which names it.
        counts = self.proves(event) and has_source(event)
        rank, user = rank_of(event), event.user
        if known is None or not joins(known, rank, user):
            failed = counts or (known is not None and known.failed)
            self.remember(key, Connection(event.source_ip, user, rank, ms, counts, failed))
            return counts
        counts = counts and not known.counted
        self.update(
            key,
            Connection(
                known.source,
                known.user or user,
                rank,
                ms,
                known.counted or counts,
                known.failed or counts,
            ),
        )
        return counts

    def closes(self, key: Key, event: Event, known: Connection | None) -> bool:
        """A closing line is the connection's attempt when nothing else counted one, or
        when the last attempt is still unproven."""
        if known is not None and known.failed and not unproven(known):
            self.update(key, known._replace(last_ms=event.epoch_ms))
            return False
        user = event.user or (known.user if known else None)
        self.remember(key, Connection(event.source_ip, user, 9, event.epoch_ms, True, True))
        return True

    def live(self, key: Key, event: Event, ms: int) -> Connection | None:
        """The connection `event` (at `ms`) continues, if it is the same one still going."""
        known = self.connections.get(key)
        if known is None:
            return None
        # A session that logged in may last for days; one still authenticating cannot.
        over = known.rank != LOGGED_IN and ms - known.last_ms > IDLE_MS
        if over or (known.source and event.source_ip and known.source != event.source_ip):
            self.forget(key)  # the pid was reused by a later connection
            return None
        return known

    def remember(self, key: Key, connection: Connection) -> None:
        """The connection, last heard now; the least recently heard go past CONNECTIONS."""
        self.keep(key)
        connections = self.connections
        connections[key] = connection
        connections.move_to_end(key)
        self.places[key] = next(self.serial)
        while len(connections) > CONNECTIONS:
            self.forget(next(iter(connections)))

    def forget(self, key: Key) -> None:
        """A connection over (its pid reused) or pushed out past CONNECTIONS."""
        self.keep(key)
        del self.connections[key]
        del self.places[key]


def unproven(known: Connection) -> bool:
    """Whether the connection's open attempt has not counted and its close would: nothing
    counted yet, or PAM's failure after attempts that did (refused keys after a counted
    password are no guess)."""
    if known.counted or known.rank in (PROBED, LOGGED_IN):
        return False
    return not known.failed or known.rank in PAM_RANKS


def is_pam(event: Event) -> bool:
    """pam_unix's own line, not sshd's (sshd's `error: PAM:` line is its own)."""
    return event.extra.get("ssh.pam") == "unix"


def has_source(event: Event) -> bool:
    return event.source_ip is not None or "source.domain" in event.extra


def gave_up(close: Event, user: str | None) -> Event:
    """A closing probe line as the failed attempt it ends (`Connection closed by IP [preauth]`
    after PAM's failure: the client hung up during the failure delay)."""
    extra = {k: v for k, v in close.extra.items() if k != "ssh.probe"}
    extra["ssh.counted"] = True
    return replace(
        close, action="ssh-preauth-disconnect", outcome=Outcome.FAILURE, user=user, extra=extra
    )


def connection_key(event: Event) -> Key | None:
    """One sshd process on one host; without a pid the lines of a connection cannot be told,
    and the listener's (its penalty drops) are no connection's."""
    pid = event.extra.get("process.pid")
    if pid is None or event.extra.get("ssh.probe") == PENALISED:
        return None
    return (event.extra.get("host.hostname"), pid)


def rank_of(event: Event) -> int:
    if event.action == "ssh-pam-failure" and event.extra.get("ssh.pam") == "error":
        return PAM_ERROR_RANK
    return RANKS.get(event.action, 9)


def joins(known: Connection, rank: int, user: str | None) -> bool:
    """Whether a line of `rank` for `user` belongs to the connection's open attempt."""
    return rank > known.rank and (known.user is None or user is None or known.user == user)


def with_extra(event: Event, name: str, value: object) -> Event:
    """The event with one more extra field: set in place when the dict is the parser's own
    (one per event), else on a copy (a replace() per line cost a third of parsing)."""
    if isinstance(event.extra, dict):
        event.extra[name] = value
        return event
    return replace(event, extra={**event.extra, name: value})


def replace_extra(event: Event, sequence: int) -> Event:
    """The `sequence`th attempt of a repeated line, with an extra dict of its own."""
    return replace(event, extra={**event.extra, "event.sequence": sequence})
