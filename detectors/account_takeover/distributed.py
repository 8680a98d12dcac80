"""Distributed guessing: one user failing from many addresses, a botnet sharing the guesses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from detectors.account_takeover.guessing import past, tally
from detectors.account_takeover.logins import (
    FAMILY,
    LOGIN_ACTIONS,
    T0,
    failures_by,
    is_login_failure,
    login,
)
from detectors.base import Example, History, Window, finding
from detectors.customers import NO_CUSTOMERS, Customers
from monitor.detector_settings import DistributedGuessingSettings
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class DistributedGuessing:
    """One user failing from many IPs: a botnet sharing the guesses to stay under limits."""

    settings: DistributedGuessingSettings
    customers: Customers = NO_CUSTOMERS
    id: str = "account_takeover.distributed_guessing"
    family: str = FAMILY
    title: str = "Distributed password guessing"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1110.001"
    actions: frozenset[str] = LOGIN_ACTIONS
    runbook: str = (
        "Many addresses are guessing one account's password together. Make sure the account "
        "has MFA or a strong password, lock it if it is a service account that should not log "
        "in from outside, and watch for a success (compromise_after_failures)."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", (failures_by("user", self.settings.window),))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not is_login_failure(event) or event.user is None:
            return None
        user, window = event.user, self.windows[0]
        least = self.settings.failures
        count = history.count(window, user, event)
        if count < least:
            return None  # at no checkpoint and not past the threshold
        ips = tally(history, window, user, event, count, least, "source_ip")
        if ips is None or len(ips) < self.settings.ips:
            return past(self, event, f"user={user}", count, least)
        return finding(
            self,
            event,
            title=f"{self.title} against {user} from many addresses",
            key=f"user={user}",
            entities={"user": user},
            evidence=history.members(window, user, event),
            customers=(self.customers.of_event(event),),
        )

    def examples(self) -> tuple[Example, ...]:
        step = timedelta(minutes=2)
        botnet = tuple(
            login(f"198.51.100.{n % 5}", "hoa", Outcome.FAILURE, T0 + n * step) for n in range(10)
        )
        two = tuple(
            login(f"198.51.100.{n % 2}", "hoa", Outcome.FAILURE, T0 + n * step) for n in range(10)
        )
        return (
            Example("ten failures against hoa from five IPs", botnet, fires=True),
            Example("ten failures from two IPs", two, fires=False),
        )
