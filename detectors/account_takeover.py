"""Account takeover: password guessing against one source, and a login that follows it."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from detectors.base import Example, History, Window
from monitor.events import Event, Outcome, parse_time
from monitor.findings import Finding, Severity
from monitor.settings import BruteForceSettings, CompromiseSettings, MfaFatigueSettings

FAMILY = "account_takeover"
LOGIN_ACTIONS = frozenset({"ssh-login", "user-login"})
# The failures a compromise incident shows next to the login (the newest ones).
EVIDENCE_FAILURES = 10


def is_login_failure(event: Event) -> bool:
    return event.action in LOGIN_ACTIONS and event.outcome is Outcome.FAILURE


def is_login_success(event: Event) -> bool:
    return event.action in LOGIN_ACTIONS and event.outcome is Outcome.SUCCESS


@cache
def failures_by(group_by: str, span: timedelta) -> Window:
    return Window(
        f"login_failures_by_{group_by}_{int(span.total_seconds())}s",
        group_by,
        span,
        is_login_failure,
    )


@dataclass(frozen=True, slots=True)
class BruteForce:
    """N login failures from one source IP within a window; severity rises with the count."""

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
        object.__setattr__(self, "windows", (failures_by("source_ip", self.settings.window),))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not is_login_failure(event) or event.source_ip is None:
            return None
        window = self.windows[0]
        count = history.count(window, event.source_ip, event)
        if count < self.settings.failures:
            return None
        # At the crossing the whole window is evidence; after it, each new failure adds itself
        # (the incident keeps the earliest first_seen of everything merged into it).
        evidence: tuple[Mapping[str, Any], ...] = (event.reference(),)
        first_seen = event.timestamp
        if count == self.settings.failures:
            members = history.members(window, event.source_ip, event)
            evidence, first_seen = tuple(members), parse_ref_time(members[0])
        return Finding(
            detector=self.id,
            family=self.family,
            severity=severity_for(count, self.settings),
            title=f"{self.title} from {event.source_ip}",
            key=f"ip={event.source_ip}",
            entities={"ip": event.source_ip},
            first_seen=first_seen,
            last_seen=event.timestamp,
            evidence=evidence,
            event_count=len(evidence),
        )

    def examples(self) -> tuple[Example, ...]:
        five = failures("203.0.113.7", 5, step=timedelta(seconds=30))
        spread = failures("203.0.113.8", 5, step=timedelta(minutes=3))
        return (
            Example("five failures from one IP in two minutes", five, fires=True),
            Example("four failures are not enough", five[:4], fires=False),
            Example("five failures spread over twelve minutes", spread, fires=False),
            Example(
                "five failures from five IPs",
                tuple(
                    failures(f"198.51.100.{i}", 1, start=T0 + timedelta(seconds=i))[0]
                    for i in range(5)
                ),
                fires=False,
            ),
        )


@dataclass(frozen=True, slots=True)
class CompromiseAfterFailures:
    """A successful login for a user or from an IP that just failed N times: likely guessed."""

    settings: CompromiseSettings
    id: str = "account_takeover.compromise_after_failures"
    family: str = FAMILY
    title: str = "Login after failures"
    severity: Severity = Severity.HIGH
    mitre: str = "T1110"
    actions: frozenset[str] = LOGIN_ACTIONS
    runbook: str = (
        "Treat the account as compromised: disable it or reset its password and end its "
        "sessions now, then ask its owner whether the login was theirs. Review what the "
        "session did after the login and whether customer data was read."
    )

    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        by_user = failures_by("user", self.settings.window)
        object.__setattr__(self, "windows", (by_user, failures_by("source_ip", by_user.span)))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not is_login_success(event):
            return None
        for window, group in zip(self.windows, (event.user, event.source_ip), strict=True):
            if group is None:
                continue
            count = history.count(window, group, event)
            if count >= self.settings.failures:
                members = history.members(window, group, event, EVIDENCE_FAILURES)
                return self.finding(event, count, members)
        return None

    def finding(self, event: Event, count: int, members: Sequence[Mapping[str, Any]]) -> Finding:
        user = event.user or "unknown user"
        evidence = (*members, event.reference())
        entities = {"user": user} | ({"ip": event.source_ip} if event.source_ip else {})
        customers = frozenset({event.customer_id}) if event.customer_id else frozenset()
        return Finding(
            detector=self.id,
            family=self.family,
            severity=self.severity,
            title=f"Login as {user} after {count} failures"
            + (f" from {event.source_ip}" if event.source_ip else ""),
            key=f"user={user}",
            entities=entities,
            first_seen=parse_ref_time(members[0]) if members else event.timestamp,
            last_seen=event.timestamp,
            evidence=evidence,
            event_count=len(evidence),
            affected_customers=customers,
        )

    def examples(self) -> tuple[Example, ...]:
        guessed = failures("203.0.113.9", 5, user="root")
        success = login(
            "203.0.113.9", "root", Outcome.SUCCESS, guessed[-1].timestamp + timedelta(seconds=20)
        )
        other_ip_success = login(
            "192.0.2.44", "root", Outcome.SUCCESS, guessed[-1].timestamp + timedelta(seconds=20)
        )
        late = login(
            "203.0.113.9", "root", Outcome.SUCCESS, guessed[-1].timestamp + timedelta(minutes=30)
        )
        return (
            Example("success right after five failures", (*guessed, success), fires=True),
            Example(
                "same user from another IP after the failures",
                (*guessed, other_ip_success),
                fires=True,
            ),
            Example("success after only three failures", (*guessed[:3], success), fires=False),
            Example("success half an hour later", (*guessed, late), fires=False),
        )


def severity_for(count: int, settings: BruteForceSettings) -> Severity:
    if count >= 20 * settings.failures:
        return Severity.HIGH
    if count >= 4 * settings.failures:
        return Severity.MEDIUM
    return Severity.LOW


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


@dataclass(frozen=True, slots=True)
class MfaFatigue:
    """Many MFA prompts for one user in minutes: someone with the password pushing for a yes."""

    settings: MfaFatigueSettings
    id: str = "account_takeover.mfa_fatigue"
    family: str = FAMILY
    title: str = "MFA fatigue"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1621"
    actions: frozenset[str] = frozenset({"mfa-challenge"})
    windows: tuple[Window, ...] = field(init=False)
    runbook: str = (
        "Someone has this user's password and is pushing MFA prompts hoping for a tap. Call the "
        "user: they must not approve; reset the password and end the sessions."
    )

    def __post_init__(self) -> None:
        window = Window(
            f"mfa_challenges_by_user_{int(self.settings.window.total_seconds())}s",
            "user",
            self.settings.window,
            lambda e: e.action == "mfa-challenge",
        )
        object.__setattr__(self, "windows", (window,))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if event.user is None:
            return None
        count = history.count(self.windows[0], event.user, event)
        if count < self.settings.challenges:
            return None
        return Finding(
            detector=self.id,
            family=self.family,
            severity=self.severity,
            title=f"{count} MFA prompts for {event.user}",
            key=f"user={event.user}",
            entities={"user": event.user},
            first_seen=event.timestamp,
            last_seen=event.timestamp,
            evidence=(event.reference(),),
            affected_customers=frozenset({event.customer_id}) if event.customer_id else frozenset(),
        )

    def examples(self) -> tuple[Example, ...]:
        def prompt(n: int, step: timedelta) -> Event:
            return Event(
                timestamp=T0 + n * step,
                action="mfa-challenge",
                user="cust-1003",
                customer_id="C-1003",
                source_ip="198.51.100.4",
                file_path="/var/log/als/audit.json",
                offset=n,
            )

        return (
            Example(
                "five prompts in two minutes",
                tuple(prompt(n, timedelta(seconds=30)) for n in range(5)),
                fires=True,
            ),
            Example(
                "five prompts over an afternoon",
                tuple(prompt(n, timedelta(hours=1)) for n in range(5)),
                fires=False,
            ),
        )
