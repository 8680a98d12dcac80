"""Brute force: many login failures from one IP or against one user, fast, slow or far apart."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from detectors.account_takeover.logins import (
    FAMILY,
    LOGIN_ACTIONS,
    failures,
    failures_by,
    is_login_failure,
    login,
    successes_by,
)
from detectors.base import Example, History, Window, finding
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity
from monitor.settings import BruteForceSettings

# A scanner keeps failing: past this many failures in the medium window the incident is high.
HIGH_FAILURES = 100


@dataclass(frozen=True, slots=True)
class BruteForce:
    """Login failures from one IP or against one user: fast, slow, or spread over hours."""

    settings: BruteForceSettings
    id: str = "account_takeover.brute_force"
    family: str = FAMILY
    title: str = "Brute force"
    severity: Severity = Severity.LOW
    mitre: str = "T1110.001"
    actions: frozenset[str] = LOGIN_ACTIONS
    runbook: str = (
        "Check whether any login from this IP succeeded (a compromise_after_failures incident "
        "would say so). Block the IP at the firewall if it is not ours; if it is an office or "
        "VPN address, find the person behind it. Look for the users it tried in the evidence."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        windows = (
            failures_by("source_ip", s.window),
            failures_by("source_ip", s.medium_window),
            failures_by("source_ip", s.slow_window),
            failures_by("source_ip", s.timed_window),
            successes_by("source_ip", s.timed_window, cap=1),
            failures_by("user", s.window),
            failures_by("user", s.medium_window),
        )
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not is_login_failure(event):
            return None
        by_ip = self.by_ip(event, history) if event.source_ip else None
        return by_ip or (self.by_user(event, history) if event.user else None)

    def by_ip(self, event: Event, history: History) -> Finding | None:
        ip = str(event.source_ip)
        fast, medium, slow, timed, successes = self.windows[:5]
        s = self.settings
        recent = history.count(fast, ip, event)
        if recent >= s.failures:
            # At the crossing the whole window is evidence; after it each failure adds itself.
            hour = history.count(medium, ip, event)
            shown = history.members(fast, ip, event) if recent == s.failures else ()
            return self.found(event, f"ip={ip}", f"from {ip}", shown, level(hour, s))
        spread = history.times(slow, ip, event, newest=s.slow_failures)
        if len(spread) == s.slow_failures and min_gap(spread) > ms(s.slow_gap):
            shown = history.members(slow, ip, event, newest=s.slow_failures)
            return self.found(event, f"ip={ip}", f"from {ip} (slow)", shown, Severity.LOW)
        since_success = history.times(successes, ip, event, newest=1)
        apart = [
            t for t in history.times(timed, ip, event) if not since_success or t > since_success[0]
        ]
        if len(apart) == s.timed_failures and median_gap(apart) > ms(s.timed_median_gap):
            shown = history.members(timed, ip, event, newest=s.timed_failures)
            return self.found(
                event, f"ip={ip}", f"from {ip} (spread over hours)", shown, Severity.LOW
            )
        return None

    def by_user(self, event: Event, history: History) -> Finding | None:
        """Against one user from anywhere: reported as the count crosses each threshold."""
        user, s = str(event.user), self.settings
        fast, medium = self.windows[5:]
        hour = history.count(medium, user, event)
        if hour in (s.medium_failures, HIGH_FAILURES):
            shown = history.members(medium, user, event)
            return self.found(event, f"user={user}", f"against {user}", shown, level(hour, s))
        if history.count(fast, user, event) == s.failures:
            shown = history.members(fast, user, event)
            return self.found(event, f"user={user}", f"against {user}", shown, Severity.LOW)
        return None

    def found(
        self,
        event: Event,
        key: str,
        what: str,
        shown: Sequence[Mapping[str, Any]],
        severity: Severity,
    ) -> Finding:
        kind, value = key.split("=", 1)
        return finding(
            self,
            event,
            title=f"{self.title} {what}",
            key=key,
            entities={kind: value},
            evidence=shown,
            severity=severity,
        )

    def examples(self) -> tuple[Example, ...]:
        five = failures("203.0.113.7", 5, step=timedelta(seconds=30))
        spread = failures("203.0.113.8", 5, step=timedelta(minutes=3))
        slow = failures("203.0.113.10", 10, step=timedelta(minutes=5))
        apart = failures("203.0.113.11", 4, step=timedelta(minutes=25))
        reset = login(
            "203.0.113.11", "admin", Outcome.SUCCESS, apart[1].timestamp + timedelta(minutes=1)
        )
        many_ips = tuple(
            failures(
                f"198.51.100.{i}",
                1,
                user="hoa",
                start=five[0].timestamp + i * timedelta(seconds=20),
            )[0]
            for i in range(5)
        )
        return (
            Example("five failures from one IP in two minutes", five, fires=True),
            Example("four failures are not enough", five[:4], fires=False),
            Example("five failures spread over twelve minutes", spread, fires=False),
            Example("ten failures five minutes apart (slow)", slow, fires=True),
            Example("nine failures five minutes apart", slow[:9], fires=False),
            Example("four failures 25 minutes apart (time-based)", apart, fires=True),
            Example(
                "a success between them resets the count",
                (*apart[:2], reset, *apart[2:]),
                fires=False,
            ),
            Example("five failures against one user from five IPs", many_ips, fires=True),
            Example("four failures against one user", many_ips[:4], fires=False),
        )


def level(failures_in_hour: int, settings: BruteForceSettings) -> Severity:
    if failures_in_hour >= HIGH_FAILURES:
        return Severity.HIGH
    if failures_in_hour >= settings.medium_failures:
        return Severity.MEDIUM
    return Severity.LOW


def ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


def min_gap(times: Sequence[int]) -> int:
    return min(b - a for a, b in zip(times, times[1:], strict=False))


def median_gap(times: Sequence[int]) -> float:
    return statistics.median(b - a for a, b in zip(times, times[1:], strict=False))
