"""Brute force: many login failures from one IP or against one user, fast, slow or far apart."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from msgspec.structs import replace

from detectors.account_takeover.logins import (
    FAMILY,
    LOGIN_ACTIONS,
    failures,
    failures_by,
    is_login_failure,
    login,
    source_entity,
    source_of,
    successes_by,
)
from detectors.base import Example, Found, History, Window, extension, finding
from detectors.customers import NO_CUSTOMERS, Customers
from monitor.detector_settings import BruteForceSettings
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity

# A scanner keeps failing: past this many failures in the medium window the incident is high.
HIGH_FAILURES = 100
# Failures shown as evidence at a crossing at most (the newest).
EVIDENCE = 50


@dataclass(frozen=True, slots=True)
class BruteForce:
    """Login failures from one IP or against one user: fast, slow, or spread over hours."""

    settings: BruteForceSettings
    customers: Customers = NO_CUSTOMERS
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
    # The spans by_ip asks about in one lookup: the hour and the fast window; then, for a
    # failure not in a fast run, the quiet spans before a slow and a spread-out run (one of
    # them when the two are as long). A scanner's failures mostly stop after the first two.
    ip_spans: tuple[Window, Window] = field(init=False, repr=False, compare=False)
    quiet_spans: tuple[Window, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = self.settings
        by_ip, by_user = partial(failures_by, "source_ip"), partial(failures_by, "user")
        # One window per grouping in Redis; each rule asks over its own span. A slow or
        # spread-out run counts only after a quiet span as long before it.
        windows = (
            by_ip(s.window),
            by_ip(s.medium_window),
            by_ip(s.slow_window),
            by_ip(2 * s.slow_window),
            by_ip(s.timed_window),
            by_ip(2 * s.timed_window),
            successes_by("source_ip", s.timed_window, cap=1),
            by_user(s.window),
            by_user(s.medium_window),
        )
        fast, medium, _, before_slow, _, before_timed = windows[:6]
        quiet = (
            (before_slow,) if before_slow.span == before_timed.span else (before_slow, before_timed)
        )
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "ip_spans", (medium, fast))
        object.__setattr__(self, "quiet_spans", quiet)

    def evaluate(self, event: Event, history: History) -> Found:
        if not is_login_failure(event):
            return None
        ip, user = source_of(event), event.user
        by_ip = self.by_ip(event, ip, history) if ip else None
        by_user = self.by_user(event, user, history) if user else None
        if by_ip is not None:
            return both(by_ip, by_user) if by_user is not None else by_ip
        # Not crossed from its source: the failure adds itself to the source's open
        # incident, if there is one, so that the incident counts every attempt and ends at
        # the last. Every such failure, not only those past a threshold: then a batch counts
        # what one event at a time does (a later crossing never finds an uncounted failure
        # behind its mark). One that crossed against its user counts there too.
        if ip:
            on_source = extension(self, event, key="=".join(source_entity(event)), entities={})
            return on_source if by_user is None else (by_user, on_source)
        if by_user is not None:
            return by_user
        return extension(self, event, key=f"user={user}", entities={}) if user else None

    def by_ip(self, event: Event, ip: str, history: History) -> Finding | None:
        """Reported as a count crosses a threshold, with the window as evidence; else None:
        the failure goes on the address's incident (see `evaluate`).

        A scanner that keeps failing does not cost one incident write per line.
        """
        s = self.settings
        hour, recent = history.counts(self.ip_spans, ip, event)
        crossing = self.crossed(hour, recent)
        if crossing:
            shown = history.members(self.windows[0], ip, event, crossing)
            return self.found(event, f"from {ip}", shown, hour)
        if recent >= s.failures:
            return None  # a fast one, not a slow one
        quiet = history.counts(self.quiet_spans, ip, event)
        # The quiet spans are one when they are as long: the last count serves both.
        quiet_slow, quiet_timed = quiet[0], quiet[-1]
        # Slow and spread-out runs both need a quiet span before them: that count rules out
        # nearly every line of a steady scanner.
        slow, timed, successes = self.windows[2], self.windows[4], self.windows[6]
        if quiet_slow == s.slow_failures and quiet_slow == history.count(slow, ip, event):
            gaps = history.times(slow, ip, event, s.slow_failures)
            if min_gap(gaps) > ms(s.slow_gap):
                shown = history.members(slow, ip, event, s.slow_failures)
                return self.found(event, f"from {ip} (slow)", shown, hour)
        if quiet_timed != s.timed_failures or quiet_timed != history.count(timed, ip, event):
            return None
        apart = history.times(timed, ip, event, s.timed_failures)
        success = history.times(successes, ip, event, newest=1)
        if (success and success[0] > apart[0]) or median_gap(apart) <= ms(s.timed_median_gap):
            return None
        shown = history.members(timed, ip, event, s.timed_failures)
        return self.found(event, f"from {ip} (spread over hours)", shown, hour)

    def by_user(self, event: Event, user: str, history: History) -> Finding | None:
        """Against one user from anywhere, reported the same way (else None)."""
        fast, medium = self.windows[7], self.windows[8]
        hour, recent = history.counts((medium, fast), user, event)
        crossing = self.crossed(hour, recent)
        if not crossing:
            return None
        shown = history.members(medium, user, event, crossing)
        customer = self.customers.of_event(event)
        return self.found(event, f"against {user}", shown, hour, f"user={user}", customer)

    def crossed(self, hour: int, recent: int) -> int:
        """How many failures to show if a threshold was just crossed, else 0.

        Crossing the low threshold again within the hour adds nothing to the open incident.
        """
        s = self.settings
        if hour in (s.medium_failures, HIGH_FAILURES):
            return min(hour, EVIDENCE)
        if recent == s.failures and hour - recent < s.failures:
            return recent
        return 0

    def found(
        self,
        event: Event,
        what: str,
        shown: Sequence[Mapping[str, Any]],
        hour: int,
        key: str = "",
        customer: str | None = None,
    ) -> Finding:
        kind, value = key.split("=", 1) if key else source_entity(event)
        key = key or f"{kind}={value}"
        return finding(
            self,
            event,
            title=f"{self.title} {what}",
            key=key,
            entities={kind: value},
            evidence=shown,
            severity=level(hour, self.settings),
            customers=(customer,),
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


def both(by_ip: Finding, by_user: Finding) -> Finding:
    """One failure crossed both thresholds: the address's incident names the targeted user
    (and its customer) too, so the account is never lost behind the address."""
    user = by_user.entities["user"]
    return replace(
        by_ip,
        title=f"{by_ip.title}, against {user}",
        entities={**by_ip.entities, "user": user},
        affected_customers=by_ip.affected_customers | by_user.affected_customers,
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
