"""Guessing across accounts: password spray and credential stuffing from one source."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from msgspec.structs import replace

from detectors.account_takeover.logins import (
    FAMILY,
    LOGIN_ACTIONS,
    LOGIN_CAP,
    T0,
    failures_from,
    is_login_failure,
    is_login_success,
    login,
    sources,
    successes_from,
)
from detectors.base import Detector, Example, History, Window, checkpoint, extension, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.geo import Geo
from monitor.detector_settings import (
    CredentialStuffingSettings,
    PasswordSpraySettings,
)
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity


def tries_per(
    history: History, window: Window, group: str, at: Event, attribute: str
) -> Counter[str]:
    """Failures per value of one attribute (`user`, `source_ip`) among the newest members;
    read from the window keys without building whole references."""
    return Counter(history.values(window, group, at, attribute, newest=LOGIN_CAP))


def tally(
    history: History,
    window: Window,
    group: str,
    at: Event,
    count: int,
    threshold: int,
    attribute: str,
) -> Counter[str] | None:
    """Failures per user (or IP) in the window, only at a checkpoint of its `count`."""
    if not checkpoint(count, threshold, LOGIN_CAP):
        return None
    return tries_per(history, window, group, at, attribute)


def past(detector: Detector, event: Event, key: str, count: int, threshold: int) -> Finding | None:
    """A failure past the threshold (its window's `count`) but at no checkpoint: it counts
    in the incident of `key` if one is open (titles and counts say every attempt, not only
    the crossings)."""
    if count < threshold:
        return None
    return extension(detector, event, key=key, entities={})


def stuffed(tries: Counter[str], settings: CredentialStuffingSettings) -> bool:
    at_most_twice = sum(1 for n in tries.values() if n <= 2)
    return len(
        tries
    ) >= settings.users and at_most_twice >= settings.share_tried_at_most_twice * len(tries)


# Each grouping of `sources` with its place among them (that of its windows).
Groupings = tuple[tuple[int, str, Callable[[Event], str | None]], ...]
# Accounts that logged in from one attacking source, named at most (the newest).
LOGGED_IN = 50


def applying(groupings: Groupings, event: Event) -> Groupings:
    """The groupings that apply: all three to the website's logins, the address to SSH."""
    return groupings if event.action == "user-login" else groupings[:1]


WHERE = {"ip": "", "net": "network ", "asn": "provider "}


def sprayed(
    detector: Detector,
    event: Event,
    kind: str,
    group: str,
    users: int,
    evidence: Sequence[Mapping[str, Any]],
    customers: Iterable[str | None] = (),
) -> Finding:
    """One source (an address, its /24, its provider) failing across many users."""
    return finding(
        detector,
        event,
        title=f"{detector.title} from {WHERE[kind]}{group} against {users}+ accounts",
        key=f"{kind}={group}",
        entities={"ip": str(event.source_ip), **({kind: group} if kind != "ip" else {})},
        evidence=evidence,
        customers=customers,
    )


@dataclass(frozen=True, slots=True)
class CredentialStuffing:
    """One IP trying many users once or twice each: a list of stolen credentials being tested."""

    settings: CredentialStuffingSettings
    geo: Geo
    customers: Customers = NO_CUSTOMERS
    id: str = "account_takeover.credential_stuffing"
    family: str = FAMILY
    title: str = "Credential stuffing"
    severity: Severity = Severity.HIGH
    mitre: str = "T1110.004"
    actions: frozenset[str] = LOGIN_ACTIONS
    runbook: str = (
        "Someone holds a list of real usernames and passwords (leaked elsewhere). Block the IP, "
        "check every user in the evidence for a successful login, and force a password reset "
        "for those that share the leaked password."
    )
    windows: tuple[Window, ...] = field(init=False)
    groupings: Groupings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        groupings, span = sources(self.geo), self.settings.window
        # Failures per source, then successes per source: who got in from the attacker.
        windows = (
            *(failures_from(kind, key, span) for kind, key in groupings),
            *(successes_from(kind, key, span, LOGGED_IN) for kind, key in groupings),
        )
        object.__setattr__(self, "groupings", tuple((n, *g) for n, g in enumerate(groupings)))
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if is_login_success(event):
            return self.logged_in(event, history)
        if not is_login_failure(event):
            return None
        extended, least = None, self.settings.users
        for index, kind, key in applying(self.groupings, event):
            group, window = key(event), self.windows[index]
            if group is None:
                continue
            count = history.count(window, group, event)
            if count < least:
                continue  # at no checkpoint and not past the threshold: nearly every line
            tries = tally(history, window, group, event, count, least, "user")
            if tries is not None and stuffed(tries, self.settings):
                shown = history.members(window, group, event)
                got_in = history.members(self.windows[3 + index], group, event, LOGGED_IN)
                customers = map(self.customers.of_reference, got_in)
                return sprayed(self, event, kind, group, len(tries), shown, customers)
            extended = extended or past(self, event, f"{kind}={group}", count, least)
        return extended

    def logged_in(self, event: Event, history: History) -> Finding | None:
        """A customer's login from a source stuffing now: it joins that source's incident."""
        customer = self.customers.of_event(event)
        if customer is None:
            return None
        for index, kind, key in applying(self.groupings, event):
            group, window = key(event), self.windows[index]
            if group is None or history.count(window, group, event) < self.settings.users:
                continue
            if stuffed(tries_per(history, window, group, event, "user"), self.settings):
                incident = f"{kind}={group}"
                return extension(self, event, key=incident, entities={}, customers=(customer,))
        return None

    def examples(self) -> tuple[Example, ...]:
        once = tuple(
            login("203.0.113.20", f"user{n}", Outcome.FAILURE, T0 + n * timedelta(seconds=20))
            for n in range(15)
        )
        return (
            Example("fifteen users once each in five minutes", once, fires=True),
            Example("fourteen users", once[:14], fires=False),
            Example(
                "the same user fifteen times",
                tuple(
                    login("203.0.113.21", "root", Outcome.FAILURE, T0 + n * timedelta(seconds=20))
                    for n in range(15)
                ),
                fires=False,
            ),
        )


@dataclass(frozen=True, slots=True)
class PasswordSpray:
    """One IP trying a few passwords against many users, staying under each lockout."""

    settings: PasswordSpraySettings
    stuffing: CredentialStuffingSettings
    geo: Geo
    customers: Customers = NO_CUSTOMERS
    id: str = "account_takeover.password_spray"
    family: str = FAMILY
    title: str = "Password spray"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1110.003"
    actions: frozenset[str] = LOGIN_ACTIONS
    runbook: str = (
        "One address is trying common passwords across many accounts. Block it, check the "
        "users in the evidence for any successful login, and look for the same pattern from "
        "its neighbours (same /24 or provider)."
    )
    windows: tuple[Window, ...] = field(init=False)
    groupings: Groupings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        groupings, span = sources(self.geo), self.settings.window
        windows = (
            *(
                failures_from(kind, key, s)
                for kind, key in groupings
                for s in (span, self.stuffing.window)
            ),
            *(successes_from(kind, key, span, LOGGED_IN) for kind, key in groupings),
        )
        object.__setattr__(self, "groupings", tuple((n, *g) for n, g in enumerate(groupings)))
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if is_login_success(event):
            return self.logged_in(event, history)
        if not is_login_failure(event):
            return None
        extended, least = None, self.settings.failures
        for index, kind, key in applying(self.groupings, event):
            group, window = key(event), self.windows[2 * index]
            if group is None:
                continue
            count = history.count(window, group, event)
            if count < least:
                continue  # at no checkpoint and not past the threshold: nearly every line
            tries = tally(history, window, group, event, count, least, "user")
            if tries is not None and self.spraying(tries, history, index, group, event):
                shown = history.members(window, group, event)
                got_in = history.members(self.windows[6 + index], group, event, LOGGED_IN)
                customers = map(self.customers.of_reference, got_in)
                return sprayed(self, event, kind, group, len(tries), shown, customers)
            extended = extended or past(self, event, f"{kind}={group}", count, least)
        return extended

    def spraying(
        self, tries: Counter[str], history: History, index: int, group: str, at: Event
    ) -> bool:
        """Many users, few tries each, and not stuffing (its own detector reports that)."""
        s, shorter = self.settings, self.windows[2 * index + 1]
        if len(tries) < s.users or max(tries.values()) > s.tries_per_user:
            return False
        return not stuffed(tries_per(history, shorter, group, at, "user"), self.stuffing)

    def logged_in(self, event: Event, history: History) -> Finding | None:
        """A customer's login from a source spraying now: it joins that source's incident."""
        customer = self.customers.of_event(event)
        if customer is None:
            return None
        for index, kind, key in applying(self.groupings, event):
            group, window = key(event), self.windows[2 * index]
            if group is None or history.count(window, group, event) < self.settings.failures:
                continue
            tries = tries_per(history, window, group, event, "user")
            if self.spraying(tries, history, index, group, event):
                incident = f"{kind}={group}"
                return extension(self, event, key=incident, entities={}, customers=(customer,))
        return None

    def examples(self) -> tuple[Example, ...]:
        step = timedelta(seconds=30)
        spray = tuple(
            login("203.0.113.30", f"user{n % 10}", Outcome.FAILURE, T0 + n * step)
            for n in range(30)
        )
        hammer = tuple(
            login("203.0.113.31", f"user{n % 3}", Outcome.FAILURE, T0 + n * step) for n in range(30)
        )
        return (
            Example("ten users three times each in fifteen minutes", spray, fires=True),
            Example(
                "the website's logins from ten addresses of one /24",
                tuple(
                    replace(e, source_ip=f"203.0.113.{40 + n % 10}", action="user-login")
                    for n, e in enumerate(spray)
                ),
                fires=True,
            ),
            Example("three users ten times each", hammer, fires=False),
        )
