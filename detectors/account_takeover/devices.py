"""A sensitive account change soon after a login from somewhere or something new."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from detectors.account_takeover.logins import (
    FAMILY,
    SAFARI_IPHONE,
    T0,
    parse_ref_time,
    successes_by,
    web_login,
)
from detectors.base import Example, History, Window, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.geo import Geo, agent_family
from monitor.detector_settings import NewDeviceSettings
from monitor.events import Event
from monitor.findings import Finding, Severity

CHANGES = frozenset({"password-change", "email-change", "phone-change"})
RESET = "password-reset-request"
Reference = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewDeviceSensitiveChange:
    """Password, email or phone changed within minutes of a login unlike the user's others."""

    settings: NewDeviceSettings
    geo: Geo
    customers: Customers = NO_CUSTOMERS
    id: str = "account_takeover.new_device_sensitive_change"
    family: str = FAMILY
    title: str = "Sensitive change after a login from a new device or place"
    severity: Severity = Severity.HIGH
    mitre: str = "T1098"
    actions: frozenset[str] = CHANGES | {"user-login", RESET}
    runbook: str = (
        "Someone who just logged in from a new country, network or browser changed how the "
        "account is reached. Call the customer on the number on file before the change, undo "
        "it if it was not them, end all sessions and reset the password."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        emails = Window(
            "email_changes_by_user",
            "user",
            s.reset_within,
            lambda e: e.action == "email-change",
            cap=10,
        )
        logins = successes_by("user", s.window, cap=s.history + 10)
        object.__setattr__(self, "windows", (logins, emails))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if event.user is None or event.action == "user-login":
            return None
        logins = history.members(self.windows[0], event.user, event, self.settings.history + 10)
        if event.action == RESET:
            return self.reset_after_email_change(event, history, logins)
        found = self.new_login_before(logins, event.epoch_ms)
        if found is None:
            return None
        login, novelty = found
        change = event.action.removesuffix("-change")
        return self.finding(event, f"{change} changed after a login from {novelty}", login)

    def reset_after_email_change(
        self, event: Event, history: History, logins: Sequence[Reference]
    ) -> Finding | None:
        for moment in reversed(history.times(self.windows[1], str(event.user), event)):
            found = self.new_login_before(logins, moment)
            if found is not None:
                what = f"email changed after a login from {found[1]}, then a password reset asked"
                return self.finding(event, what, found[0], Severity.CRITICAL)
        return None

    def new_login_before(
        self, logins: Sequence[Reference], moment: int
    ) -> tuple[Reference, str] | None:
        """The login just before `moment` if it differs from the user's earlier ones, and how."""
        earlier = [r for r in logins if ms(r) <= moment]
        if (
            not earlier
            or moment - ms(earlier[-1]) > self.settings.change_within.total_seconds() * 1000
        ):
            return None
        login, known = earlier[-1], earlier[-1 - self.settings.history : -1]
        if len(known) < self.settings.min_logins:
            return None
        traits = self.traits(login)
        seen = [self.traits(r) for r in known]
        novel = [
            f"{label} {value}"
            for index, (label, value) in enumerate(traits)
            if value is not None and all(old[index][1] != value for old in seen)
        ]
        return (login, ", ".join(novel)) if novel else None

    def traits(self, login: Reference) -> tuple[tuple[str, str | None], ...]:
        place = self.geo.locate(str(login.get("source.ip", "")))
        return (
            ("country", place.country if place else None),
            ("network", place.asn if place else None),
            ("browser", agent_family(login.get("user_agent.original"))),
        )

    def finding(
        self, event: Event, what: str, login: Reference, severity: Severity | None = None
    ) -> Finding:
        return finding(
            self,
            event,
            title=f"{event.user}: {what}",
            key=f"user={event.user}",
            entities={"user": str(event.user), "ip": str(login.get("source.ip", ""))},
            evidence=(login, event.reference()),
            severity=severity,
            customers=(self.customers.of_event(event),),
        )

    def examples(self) -> tuple[Example, ...]:
        user, home = "cust-1003", "113.160.0.1"
        usual = tuple(web_login(user, home, T0 + timedelta(days=d)) for d in range(6))
        later = usual[-1].timestamp + timedelta(days=1)
        stranger = web_login(user, "46.101.0.1", later, SAFARI_IPHONE)
        again = web_login(user, home, later)

        def act(action: str, minutes: int) -> Event:
            return web_login(user, "46.101.0.1", later + timedelta(minutes=minutes), action=action)

        return (
            Example(
                "password changed after a first login from the UK on an iPhone",
                (*usual, stranger, act("password-change", 5)),
                fires=True,
            ),
            Example(
                "password changed after the usual login",
                (*usual, again, act("password-change", 5)),
                fires=False,
            ),
            Example(
                "a user with only two logins on record",
                (*usual[:2], stranger, act("password-change", 5)),
                fires=False,
            ),
            Example(
                "email change then reset request (critical)",
                (*usual, stranger, act("email-change", 3), act(RESET, 10)),
                fires=True,
            ),
        )


def ms(reference: Reference) -> int:
    return int(parse_ref_time(reference).timestamp() * 1000)
