"""Impossible travel: two logins of one user farther apart than anyone could fly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from msgspec.structs import replace

from detectors.account_takeover.logins import (
    FAMILY,
    SUCCESS,
    T0,
    account_of,
    login,
    successes_by_account,
    web_login,
)
from detectors.base import Example, History, Window, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.geo import Geo
from monitor.detector_settings import ImpossibleTravelSettings
from monitor.events import EPOCH, Event, Outcome
from monitor.findings import Finding, Severity

HANOI, HCMC, LONDON = "113.160.0.1", "14.161.0.1", "46.101.0.1"


@dataclass(frozen=True, slots=True)
class ImpossibleTravel:
    """Consecutive successful logins whose distance, less both accuracy radii, needs a jet."""

    settings: ImpossibleTravelSettings
    geo: Geo
    customers: Customers = NO_CUSTOMERS
    id: str = "account_takeover.impossible_travel"
    family: str = FAMILY
    title: str = "Impossible travel"
    severity: Severity = Severity.HIGH
    mitre: str = "T1078"
    actions: frozenset[str] = frozenset({"user-login", "ssh-login"})
    runbook: str = (
        "Two logins of this account came from places too far apart for the time between "
        "them. Ask the owner which one was theirs; end the other's sessions and reset the "
        "password. A VPN or office egress that is not in geo.trusted_networks explains it too."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", (successes_by_account(self.settings.window),))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if event.outcome is not SUCCESS or not event.source_ip:
            return None  # failures first: they are nearly every line
        account, window = account_of(event), self.windows[0]
        if not account:
            return None
        # The previous login's address and time, read without building its reference.
        addresses = history.values(window, account, event, "source_ip", newest=2)
        if len(addresses) < 2:
            return None
        speed = self.speed(addresses[0], event.source_ip)
        if speed is None:
            return None
        then = EPOCH + timedelta(milliseconds=history.times(window, account, event, newest=2)[0])
        hours = (event.timestamp - then).total_seconds() / 3600
        if speed[0] / max(hours, 1 / 3600) <= self.settings.speed_kmh:
            return None
        km, route = speed
        logins = history.members(window, account, event, newest=2)
        return finding(
            self,
            event,
            title=f"{self.title} for {event.user}: {route}, {km:,.0f} km in {hours * 60:,.0f} min",
            key=f"user={account}",
            entities={"user": str(event.user), "ip": event.source_ip},
            evidence=logins,
            customers=(self.customers.of_event(event),),
        )

    def speed(self, before: str, now: str) -> tuple[float, str] | None:
        """The distance that counts between two addresses and the route, or None if none."""
        if not before or before == now or self.geo.is_trusted(before) or self.geo.is_trusted(now):
            return None
        there, here = self.geo.locate(before), self.geo.locate(now)
        if there is None or here is None:
            return None
        km = there.km_to(here)
        if km is None or km < self.settings.ignore_under_km:
            return None
        km -= there.radius_km + here.radius_km
        if km <= self.settings.distance_km:
            return None
        return km, f"{there.country or '?'} to {here.country or '?'}"

    def examples(self) -> tuple[Example, ...]:
        hanoi = web_login("cust-1003", HANOI, T0)
        staff_hanoi = login(HANOI, "thu.nguyen", Outcome.SUCCESS, T0)
        staff_london = login(LONDON, "thu.nguyen", Outcome.SUCCESS, T0 + timedelta(minutes=20))
        return (
            Example("a staff SSH login from Hanoi, then London", (staff_hanoi, staff_london), True),
            Example(
                "a customer's website login in Hanoi, a staff SSH login in London",
                (hanoi, replace(staff_london, user="cust-1003")),
                fires=False,
            ),
            Example(
                "Hanoi then London an hour later",
                (hanoi, web_login("cust-1003", LONDON, T0 + timedelta(hours=1))),
                fires=True,
            ),
            Example(
                "Hanoi then London a day later",
                (hanoi, web_login("cust-1003", LONDON, T0 + timedelta(days=1))),
                fires=False,
            ),
            Example(
                "Hanoi then Ho Chi Minh City two hours later (a domestic flight)",
                (hanoi, web_login("cust-1003", HCMC, T0 + timedelta(hours=2))),
                fires=False,
            ),
        )
