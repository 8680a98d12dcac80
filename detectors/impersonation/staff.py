"""Impersonation: a customer reading another customer's record, staff acting as customers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from detectors.base import Example, History, Window, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.people import People
from monitor.detector_settings import StaffImpersonationSettings
from monitor.directory import department_key
from monitor.events import Event
from monitor.findings import Finding, Severity

FAMILY = "impersonation"
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # Monday 10:00 in Hanoi


@dataclass(frozen=True, slots=True)
class CrossAccountAccess:
    """A customer's own session reading another customer's record."""

    people: People
    id: str = "impersonation.cross_account_access"
    family: str = FAMILY
    title: str = "Cross-account access"
    severity: Severity = Severity.HIGH
    mitre: str = "T1078"
    actions: frozenset[str] = frozenset({"customer-record-view", "customer-record-export"})
    windows: tuple[Window, ...] = ()
    runbook: str = (
        "A customer account read a record that is not its own: the website's access check "
        "failed or the account is being abused. End the session, check the website's "
        "authorisation for that page, and treat the other customer's data as exposed."
    )

    def evaluate(self, event: Event, history: History) -> Finding | None:
        own = self.people.customers.get(event.user or "")
        if own is None or event.customer_id in (None, own):
            return None
        return finding(
            self,
            event,
            title=f"Customer {event.user} read the record of another customer",
            key=f"user={event.user}",
            entities={
                "user": str(event.user),
                **({"ip": event.source_ip} if event.source_ip else {}),
            },
            customers=(event.customer_id,),
        )

    def examples(self) -> tuple[Example, ...]:
        def view(customer: str) -> Event:
            return Event(
                timestamp=T0,
                action="customer-record-view",
                user="cust-1003",
                customer_id=customer,
                source_ip="198.51.100.4",
                file_path="/var/log/als/audit.json",
                offset=0,
            )

        return (
            Example("cust-1003 opens C-1017's record", (view("C-1017"),), fires=True),
            Example("cust-1003 opens its own record", (view("C-1003"),), fires=False),
        )


@dataclass(frozen=True, slots=True)
class StaffImpersonation:
    """Staff acting as customers: too many, out of hours, or from a department not allowed."""

    settings: StaffImpersonationSettings
    people: People
    allowed: tuple[str, ...]
    customers: Customers = NO_CUSTOMERS
    id: str = "impersonation.staff_impersonation"
    family: str = FAMILY
    title: str = "Staff impersonating customers"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1134"
    actions: frozenset[str] = frozenset({"impersonation-start"})
    windows: tuple[Window, ...] = field(init=False)
    runbook: str = (
        "Ask the staff member and their manager which support requests these sessions served; "
        "without a ticket for each customer, suspend their impersonation right and review what "
        "they did as each customer."
    )

    def __post_init__(self) -> None:
        window = Window(
            f"impersonations_by_user_{int(self.settings.window.total_seconds())}s",
            "user",
            self.settings.window,
            lambda e: e.action == "impersonation-start",
        )
        object.__setattr__(self, "windows", (window,))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        department = self.people.departments.get(event.user or "")
        acts: Sequence[Mapping[str, Any]] = (event.reference(),)
        why, severity = "", self.severity
        if department is not None and department_key(department) not in self.allowed:
            why, severity = (
                f"from {department}, a department policy section 6 does not name",
                Severity.HIGH,
            )
        elif not self.working(event.timestamp):
            why = "outside working hours"
        else:
            acts = history.members(self.windows[0], event.user or "", event, newest=500)
            targets = {m["user.target.name"] for m in acts if m.get("user.target.name")}
            if len(targets) > self.settings.customers:
                why = f"{len(targets)} customers within {self.settings.window}"
        if not why:
            return None
        return finding(
            self,
            event,
            title=f"{event.user} acted as customers: {why}",
            key=f"actor={event.user}",
            entities={"actor": str(event.user)},
            severity=severity,
            customers=self.impersonated(acts),
        )

    def impersonated(self, acts: Sequence[Mapping[str, Any]]) -> tuple[str | None, ...]:
        """Every customer the staff member acted as: the id logged, else the target resolved."""
        return tuple(
            a.get("labels.customer_id") or self.customers.of(a.get("user.target.name"))
            for a in acts
        )

    def working(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.settings.timezone))
        start, end = (time.fromisoformat(t) for t in self.settings.working_hours.split("-"))
        return local.weekday() in self.settings.working_days and start <= local.time() < end

    def examples(self) -> tuple[Example, ...]:
        def act(user: str, target: str, at: datetime, n: int = 0) -> Event:
            return Event(
                timestamp=at,
                action="impersonation-start",
                user=user,
                target_user=target,
                file_path="/var/log/als/audit.json",
                offset=n,
            )

        six = tuple(
            act("thu.vo", f"cust-{1000 + n}", T0 + n * timedelta(minutes=5), n) for n in range(6)
        )
        return (
            Example("six customers in half an hour", six, fires=True),
            Example("five customers in half an hour", six[:5], fires=False),
            Example(
                "at 23:00 in Hanoi",
                (act("thu.vo", "cust-1001", T0 + timedelta(hours=13)),),
                fires=True,
            ),
            Example(
                "from page management is allowed", (act("tuan.do", "cust-1001", T0),), fires=False
            ),
        )
