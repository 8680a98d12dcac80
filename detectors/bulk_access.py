"""Abnormal access to customer data: departments policy section 6 does not name, scraping."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from detectors.base import (
    Example,
    History,
    Window,
    crossed,
    export_reference,
    extension,
    finding,
)
from detectors.geo import Geo
from detectors.people import People
from detectors.spans import over_window
from monitor.detector_settings import ExportDropSettings, ScrapingSettings
from monitor.directory import department_key
from monitor.events import Event
from monitor.findings import Finding, Severity

FAMILY = "bulk_access"
CUSTOMER_DATA = frozenset({"customer-record-view", "customer-search", "customer-record-export"})
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def customers_in(event: Event) -> frozenset[str]:
    """The customers an event touches: its own customer, and an export's list."""
    listed = event.extra.get("labels.customer_ids") or []
    ids = {str(c) for c in listed} if isinstance(listed, list) else set()
    return frozenset(ids | ({event.customer_id} if event.customer_id else set()))


def record(
    action: str,
    user: str,
    customer: str | None,
    at: datetime,
    ip: str = "10.0.0.5",
    offset: int = 0,
) -> Event:
    return Event(
        timestamp=at,
        action=action,
        category="database",
        dataset="ecs",
        user=user,
        source_ip=ip,
        customer_id=customer,
        file_path="/var/log/als/audit.json",
        offset=offset,
    )


@dataclass(frozen=True, slots=True)
class UnauthorizedDepartment:
    """Staff of a department outside the section 6 allow-list touching customer records."""

    people: People
    allowed: tuple[str, ...]  # as department_key() spells them (the settings do)
    id: str = "bulk_access.unauthorized_department"
    family: str = FAMILY
    title: str = "Customer data accessed by an unauthorised department"
    severity: Severity = Severity.HIGH
    mitre: str = "T1213"
    actions: frozenset[str] = CUSTOMER_DATA
    windows: tuple[Window, ...] = ()
    runbook: str = (
        "Policy section 6 allows only IT, page management, customer care and internal control "
        "to touch customer data. Ask the person's manager why they needed it, remove the access "
        "that made it possible, and list the customers read or exported (evidence)."
    )

    def evaluate(self, event: Event, history: History) -> Finding | None:
        department = self.people.departments.get(event.user or "")
        if department is None or department_key(department) in self.allowed:
            return None
        return finding(
            self,
            event,
            title=f"{event.user} ({department}) read customer data",
            key=f"actor={event.user}",
            entities={"actor": str(event.user), "department": department},
            evidence=(export_reference(event),),
            customers=customers_in(event),
        )

    def examples(self) -> tuple[Example, ...]:
        return (
            Example(
                "a warehouse clerk opens a customer record",
                (record("customer-record-view", "khanh.bui", "C-1001", T0),),
                fires=True,
            ),
            Example(
                "customer care opens a customer record",
                (record("customer-record-view", "thu.vo", "C-1001", T0),),
                fires=False,
            ),
        )


@dataclass(frozen=True, slots=True)
class Scraping:
    """One IP or one session reading many distinct customer records in a short window.

    The office's own egress addresses (geo.trusted_networks) are many people behind one
    address: there only sessions count.
    """

    settings: ScrapingSettings
    geo: Geo
    id: str = "bulk_access.scraping"
    family: str = FAMILY
    title: str = "Scraping of customer records"
    severity: Severity = Severity.HIGH
    mitre: str = "T1119"
    actions: frozenset[str] = frozenset({"customer-record-view"})
    windows: tuple[Window, ...] = field(init=False)
    runbook: str = (
        "Block the IP (or end the session) now, then check which account it used and whether "
        "that account's password must be reset. The affected customers are listed."
    )

    def __post_init__(self) -> None:
        span, views = self.settings.window, lambda e: e.action == "customer-record-view"
        seconds, below = int(span.total_seconds()), self.settings.records
        windows = tuple(
            # evaluate asks only counts until a group holds `records` views
            Window(
                f"record_views_by_{by}_{seconds}s", by, span, views, cap=5000, counted_below=below
            )
            for by in ("source_ip", "session_id")
        )
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        extended = None
        for window, group in zip(self.windows, (event.source_ip, event.session_id), strict=True):
            if group is None or (window is self.windows[0] and self.geo.is_trusted(group)):
                continue
            views = history.count(window, group, event)
            if views < self.settings.records:
                continue  # fewer views than records: cannot be that many distinct customers
            # At every view past that: the distinct count may cross on any of them, whatever
            # share of the views are rereads. The tally slides, so this stays cheap.
            customers = history.distinct(window, group, event, "customer_id")
            now = len(customers)
            before = now - (1 if customers.get(event.customer_id or "") == 1 else 0)
            if crossed(before, now, self.settings.records, window.cap):
                found = self.found(event, group, window.group_by, set(customers))
                return over_window(found, history, window, group, event)
            # Past the threshold each view adds its customer to the open incident.
            kind = "ip" if window.group_by == "source_ip" else "session"
            key, ids = f"{kind}={group}", (event.customer_id,)
            extended = extended or extension(self, event, key=key, entities={}, customers=ids)
        return extended

    def found(self, event: Event, group: str, by: str, distinct: set[str]) -> Finding:
        kind = "ip" if by == "source_ip" else "session"
        entities = {kind: group, **({"ip": event.source_ip} if event.source_ip else {})}
        return finding(
            self,
            event,
            title=f"Customer records read by {kind} {group}",
            key=f"{kind}={group}",
            entities=entities,
            customers=distinct,
        )

    def examples(self) -> tuple[Example, ...]:
        step = timedelta(seconds=2)
        scraper = tuple(
            record("customer-record-view", "cust-1003", f"C-{n}", T0 + n * step, "198.51.100.9", n)
            for n in range(100)
        )
        rereads = tuple(
            record("customer-record-view", "thu.vo", f"C-{n % 20}", T0 + n * step, "10.0.0.7", n)
            for n in range(150)
        )
        return (
            Example("100 distinct records from one IP in four minutes", scraper, fires=True),
            Example("150 views of the same 20 records", rereads, fires=False),
        )


@dataclass(frozen=True, slots=True)
class ExportDrop:
    """A new file in a watched export folder holding many email addresses or phone numbers."""

    settings: ExportDropSettings
    id: str = "bulk_access.export_drop"
    family: str = FAMILY
    title: str = "Contact list dropped in an export folder"
    severity: Severity = Severity.HIGH
    mitre: str = "T1074.001"
    actions: frozenset[str] = frozenset({"export-file-created"})
    windows: tuple[Window, ...] = ()
    runbook: str = (
        "A file full of customers' contacts appeared where exports are staged for leaving. "
        "Find who wrote it (file owner, the export events around its time), stop any transfer "
        "of it, and keep a copy as evidence before deleting it."
    )

    def evaluate(self, event: Event, history: History) -> Finding | None:
        emails = int(event.extra.get("labels.email_count") or 0)
        phones = int(event.extra.get("labels.phone_count") or 0)
        if max(emails, phones) < self.settings.contacts:
            return None
        path = str(event.extra.get("file.path") or event.file_path)
        evidence = {
            **event.reference(),
            **{k: v for k, v in event.extra.items() if k != "log.offset"},
        }
        return finding(
            self,
            event,
            title=f"{os.path.basename(path)}: {emails} emails and {phones} phone numbers",
            key=f"path={path}",
            entities={"path": path},
            evidence=(evidence,),
        )

    def examples(self) -> tuple[Example, ...]:
        def dropped(emails: int) -> Event:
            return Event(
                timestamp=T0,
                action="export-file-created",
                file_path="/srv/als/exports/customers.csv",
                offset=1,
                extra={
                    "file.path": "/srv/als/exports/customers.csv",
                    "labels.email_count": emails,
                    "labels.phone_count": 0,
                },
            )

        return (
            Example("a CSV with 2,400 email addresses", (dropped(2400),), fires=True),
            Example("a report with 12 addresses", (dropped(12),), fires=False),
        )
