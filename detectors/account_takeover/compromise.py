"""A login that follows failures, and MFA prompts pushed until someone says yes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from detectors.account_takeover.logins import (
    FAMILY,
    LOGIN_ACTIONS,
    T0,
    failures,
    failures_by,
    is_login_success,
    login,
)
from detectors.base import Example, History, Window, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.spans import over_window
from monitor.detector_settings import CompromiseSettings, MfaFatigueSettings
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity

# The failures a compromise incident shows next to the login (the newest ones).
EVIDENCE_FAILURES = 10


@dataclass(frozen=True, slots=True)
class CompromiseAfterFailures:
    """A successful login for a user or from an IP that just failed N times: likely guessed."""

    settings: CompromiseSettings
    customers: Customers = NO_CUSTOMERS
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
        return finding(
            self,
            event,
            title=f"Login as {user} after {count} failures"
            + (f" from {event.source_ip}" if event.source_ip else ""),
            key=f"user={user}",
            entities={"user": user} | ({"ip": event.source_ip} if event.source_ip else {}),
            evidence=(*members, event.reference()),
            customers=(self.customers.of_event(event),),
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


@dataclass(frozen=True, slots=True)
class MfaFatigue:
    """Many MFA prompts for one user in minutes: someone with the password pushing for a yes."""

    settings: MfaFatigueSettings
    customers: Customers = NO_CUSTOMERS
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
        found = finding(
            self,
            event,
            title=f"{self.title}: prompts pushed to {event.user}",
            key=f"user={event.user}",
            entities={"user": event.user},
            customers=(self.customers.of_event(event),),
        )
        # Every prompt of the window counts, from the first: the title says how many.
        return over_window(found, history, self.windows[0], event.user, event)

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
