"""What the account-takeover detectors share: login predicates, windows, example events."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from detectors.base import Window
from detectors.geo import Geo
from monitor.events import Event, Outcome, parse_time
from monitor.parsers.attempts import FAILURE_ACTIONS as SSH_FAILURES

FAMILY = "account_takeover"
# Every line that can be a failed login: sshd writes an attempt in many forms (see
# monitor.parsers.attempts), and only the line that opens an attempt counts.
LOGIN_ACTIONS = frozenset({"ssh-login", "user-login"}) | SSH_FAILURES
# Login windows keep this many newest members per group: every threshold below is far
# smaller, and a scanner hammering `root` costs no more than this per batch.
LOGIN_CAP = 120


# Looked up once: every login event meets these predicates several times (an enum member
# read through its class costs three times a global's).
FAILURE, SUCCESS = Outcome.FAILURE, Outcome.SUCCESS


def is_login_failure(event: Event) -> bool:
    return (
        event.outcome is FAILURE
        and event.action in LOGIN_ACTIONS
        and event.extra.get("ssh.counted", True) is not False
    )


def is_login_success(event: Event) -> bool:
    return event.outcome is SUCCESS and event.action in LOGIN_ACTIONS


def source_of(event: Event) -> str | None:
    """Where a login came from: its address, else the host name sshd or PAM wrote instead
    (`UseDNS yes`, PAM's `rhost=`), never turned into an address."""
    return event.source_ip or event.extra.get("source.domain")


def source_entity(event: Event) -> tuple[str, str]:
    """The source as an incident names it: ("ip", address) or ("domain", host name)."""
    if event.source_ip:
        return "ip", event.source_ip
    return "domain", str(event.extra.get("source.domain"))


def by_source(group_by: str) -> Callable[[Event], str | None] | None:
    """A window's group: per source (address or host name), else the attribute itself."""
    return source_of if group_by == "source_ip" else None


def failures_by(group_by: str, span: timedelta) -> Window:
    """Login failures per source or user; detectors asking with other spans share one window."""
    name, key = f"login_failures_by_{group_by}", by_source(group_by)
    return Window(name, group_by, span, is_login_failure, LOGIN_CAP, key, copied=True)


def source_net(event: Event) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) an event came from: neighbours of one sprayer."""
    ip = event.source_ip
    if ip is None:
        return None
    if ":" in ip:
        return ":".join(ip.split(":")[:4]) + "::/64"
    return ip.rsplit(".", 1)[0] + ".0/24"


def sources(geo: Geo) -> tuple[tuple[str, Callable[[Event], str | None]], ...]:
    """The groupings a sprayer is looked for in: its address, and for the website's logins
    its /24 and its network (ASN), where botnets and proxy pools spread a spray.

    Not for SSH: scanners fill whole /24s, and a window holding every SSH failure a third
    time cost a quarter of the detect worker's time for nothing CrowdSec's SSH rules do.
    """

    def asn(event: Event) -> str | None:
        place = geo.locate(event.source_ip) if event.source_ip else None
        return place.asn if place else None

    return (("ip", attrgetter("source_ip")), ("net", source_net), ("asn", asn))


def failures_from(kind: str, key: Callable[[Event], str | None], span: timedelta) -> Window:
    """Login failures grouped by a derived source (see `sources`)."""
    if kind == "ip":
        return failures_by("source_ip", span)
    web = frozenset({"user-login"})
    name = f"login_failures_by_{kind}"
    return Window(name, kind, span, is_login_failure, LOGIN_CAP, key, web, copied=True)


def successes_by(group_by: str, span: timedelta, cap: int = 20) -> Window:
    name, key = f"login_successes_by_{group_by}", by_source(group_by)
    return Window(name, group_by, span, is_login_success, cap, key, copied=True)


def successes_from(
    kind: str, key: Callable[[Event], str | None], span: timedelta, cap: int
) -> Window:
    """Successful logins grouped by a derived source (see `sources`): who got in from it."""
    if kind == "ip":
        return successes_by("source_ip", span, cap)
    web = frozenset({"user-login"})
    name = f"login_successes_by_{kind}"
    return Window(name, kind, span, is_login_success, cap, key, web, copied=True)


def account_of(event: Event) -> str | None:
    """The account a login is for: a server account over SSH is not the website's namesake."""
    if event.user is None:
        return None
    return f"ssh:{event.user}" if event.dataset == "sshd" else event.user


def successes_by_account(span: timedelta, cap: int = 20) -> Window:
    """Successful logins per account, asked about only at a success (impossible travel): a
    scanner's failures, each naming another user, leave it unread."""
    name = "login_successes_by_account"
    return Window(
        name,
        "account",
        span,
        is_login_success,
        cap,
        account_of,
        copied=True,
        asked_when_admitted=True,
    )


def parse_ref_time(reference: Mapping[str, Any]) -> datetime:
    return parse_time(str(reference["@timestamp"]))


T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def login(ip: str, user: str, outcome: Outcome, at: datetime) -> Event:
    return Event(
        timestamp=at,
        action="ssh-login",
        outcome=outcome,
        category="authentication",
        dataset="sshd",
        user=user,
        source_ip=ip,
        file_path="/var/log/auth.log",
        offset=int(at.timestamp()) * 1000 + zlib.crc32(f"{ip} {user}".encode()) % 1000,
    )


def failures(
    ip: str,
    count: int,
    *,
    user: str = "admin",
    start: datetime = T0,
    step: timedelta = timedelta(seconds=10),
) -> tuple[Event, ...]:
    return tuple(login(ip, user, Outcome.FAILURE, start + i * step) for i in range(count))


def web_login(
    user: str,
    ip: str,
    at: datetime,
    agent: str = CHROME_WINDOWS,
    outcome: Outcome = Outcome.SUCCESS,
    action: str = "user-login",
) -> Event:
    """A customer's event in the website's audit log (examples and simulation alike)."""
    return Event(
        timestamp=at,
        action=action,
        outcome=outcome,
        category="authentication",
        dataset="ecs",
        user=user,
        source_ip=ip,
        user_agent=agent,
        customer_id="C-" + user.removeprefix("cust-"),
        file_path="/var/log/als/audit.json",
        offset=int(at.timestamp()),
    )
