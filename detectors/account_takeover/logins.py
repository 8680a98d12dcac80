"""What the account-takeover detectors share: login predicates, windows, example events."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from detectors.base import Window
from monitor.events import Event, Outcome, parse_time

FAMILY = "account_takeover"
LOGIN_ACTIONS = frozenset({"ssh-login", "user-login"})
# Login windows keep this many newest members per group: every threshold below is far
# smaller, and a scanner hammering `root` costs no more than this per batch.
LOGIN_CAP = 200


def is_login_failure(event: Event) -> bool:
    return event.action in LOGIN_ACTIONS and event.outcome is Outcome.FAILURE


def is_login_success(event: Event) -> bool:
    return event.action in LOGIN_ACTIONS and event.outcome is Outcome.SUCCESS


def failures_by(group_by: str, span: timedelta) -> Window:
    """Login failures per IP or user; detectors asking with other spans share one window."""
    return Window(f"login_failures_by_{group_by}", group_by, span, is_login_failure, LOGIN_CAP)


def successes_by(group_by: str, span: timedelta, cap: int = 20) -> Window:
    return Window(f"login_successes_by_{group_by}", group_by, span, is_login_success, cap)


def parse_ref_time(reference: Mapping[str, Any]) -> datetime:
    return parse_time(str(reference["@timestamp"]))


T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


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
