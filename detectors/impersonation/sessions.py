"""Session hijack: one session id used from two networks, countries or browsers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from detectors.base import Example, History, Window, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.geo import Geo, agent_family
from monitor.detector_settings import SessionHijackSettings
from monitor.events import Event
from monitor.findings import Finding, Severity

FAMILY = "impersonation"
# Everything the website logs within a session.
SESSION_ACTIONS = frozenset(
    {
        "user-login",
        "user-logout",
        "password-change",
        "email-change",
        "phone-change",
        "mfa-challenge",
        "customer-record-view",
        "customer-search",
        "customer-record-export",
        "impersonation-start",
    }
)
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


@dataclass(frozen=True, slots=True)
class SessionHijack:
    """A session's cookie replayed elsewhere: its network, country or browser changes."""

    settings: SessionHijackSettings
    geo: Geo
    customers: Customers = NO_CUSTOMERS
    id: str = "impersonation.session_hijack"
    family: str = FAMILY
    title: str = "Session hijack"
    severity: Severity = Severity.HIGH
    mitre: str = "T1550.004"
    actions: frozenset[str] = SESSION_ACTIONS
    runbook: str = (
        "A session id was used from a second network, country or browser: its cookie was "
        "probably stolen. Revoke the session now, make the user log in again, and review what "
        "the second party did (evidence) and whose records it read."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        window = Window(
            "events_by_session",
            "session_id",
            self.settings.window,
            lambda e: e.session_id is not None,
            cap=20,
        )
        object.__setattr__(self, "windows", (window,))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        """Only at the switch: the event before in the session still looked like this one's."""
        if event.session_id is None or event.source_ip is None:
            return None
        recent = history.members(self.windows[0], event.session_id, event, newest=2)
        if len(recent) < 2:
            return None
        before = recent[0]
        changed = self.changes(before, event)
        if not changed:
            return None
        session = history.members(self.windows[0], event.session_id, event)
        holder = self.holder(session)
        whose = f"{holder}'s session" if holder else "a session"
        return finding(
            self,
            event,
            title=f"{self.title}: {whose} used from another {changed}",
            key=f"session={event.session_id}",
            entities={
                "session": event.session_id,
                "ip": event.source_ip,
                **({"user": holder} if holder else {}),
            },
            evidence=recent,
            customers=(self.owner(session),),
        )

    @staticmethod
    def holder(session: Sequence[Mapping[str, Any]]) -> str | None:
        """The user name the session logged in as, else the first it named."""
        logins = [m for m in session if m.get("event.action") == "user-login"]
        users = [str(m["user.name"]) for m in (logins or session) if m.get("user.name")]
        return users[0] if users else None

    def owner(self, session: Sequence[Mapping[str, Any]]) -> str | None:
        """The customer whose session it is: from its login, else its first named user (a
        record's customer id is whose record was read, not whose session)."""
        logins = [m for m in session if m.get("event.action") == "user-login"]
        if logins:
            return self.customers.of_reference(logins[0])
        return self.customers.of(self.holder(session))

    def changes(self, before: Mapping[str, Any], event: Event) -> str:
        """What differs: network, country, browser (one /24 of one network is one place)."""
        old_ip = str(before.get("source.ip", ""))
        old_agent = agent_family(before.get("user_agent.original"))
        new_agent = agent_family(event.user_agent)
        differs = []
        if old_ip != event.source_ip and not same_24(old_ip, str(event.source_ip)):
            there, here = self.geo.locate(old_ip), self.geo.locate(str(event.source_ip))
            if there and here and there.country != here.country:
                differs.append("country")
            elif (there and here and there.asn != here.asn) or (there is None) != (here is None):
                differs.append("network")
        if old_agent and new_agent and old_agent != new_agent:
            differs.append("browser")
        return " and ".join(differs)

    def examples(self) -> tuple[Example, ...]:
        def use(ip: str, agent: str, minutes: int) -> Event:
            return Event(
                timestamp=T0 + timedelta(minutes=minutes),
                action="customer-record-view",
                user="cust-1003",
                customer_id="C-1003",
                source_ip=ip,
                user_agent=agent,
                session_id="s-7f3a",
                file_path="/var/log/als/audit.json",
                offset=minutes,
            )

        return (
            Example(
                "the session moves from Hanoi to London",
                (use("113.160.0.1", CHROME, 0), use("46.101.0.1", CHROME, 5)),
                fires=True,
            ),
            Example(
                "the same browser, another address in the same /24",
                (use("113.160.0.1", CHROME, 0), use("113.160.0.77", CHROME, 5)),
                fires=False,
            ),
            Example(
                "same address, another browser",
                (use("113.160.0.1", CHROME, 0), use("113.160.0.1", FIREFOX, 5)),
                fires=True,
            ),
        )


def same_24(first: str, second: str) -> bool:
    """Two IPv4 addresses in one /24 (IPv6: the same /64)."""
    if ":" in first or ":" in second:
        return first.split(":")[:4] == second.split(":")[:4]
    return first.rsplit(".", 1)[0] == second.rsplit(".", 1)[0]
