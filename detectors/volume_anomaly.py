"""bulk_access.volume_anomaly: an hour of customer-data access far beyond the actor's usual."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from detectors.base import (
    Example,
    History,
    Window,
    crossed,
    export_reference,
    extension,
    finding,
)
from detectors.spans import over_window
from detectors.volume import (
    EXPORT,
    SEARCH,
    VIEW,
    VolumeModel,
    customers_of,
    hour_of,
    off_hours,
    tally,
)
from monitor.detector_settings import VolumeAnomalySettings
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.store.keys import Keys

CUSTOMER_DATA = frozenset({VIEW, SEARCH, EXPORT})
CAP = 5000
T0 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class VolumeAnomaly:
    """Model says outlier and a floor holds: many distinct customers, or one huge export."""

    settings: VolumeAnomalySettings
    model: VolumeModel
    id: str = "bulk_access.volume_anomaly"
    family: str = "bulk_access"
    title: str = "Unusual volume of customer data"
    severity: Severity = Severity.HIGH
    mitre: str = "T1213"
    actions: frozenset[str] = CUSTOMER_DATA
    runbook: str = (
        "This account read or exported far more customer records than it or its colleagues "
        "usually do. Ask the person (and their manager) what task needed it; if nobody can "
        "say, suspend the account and treat the listed customers as possibly exposed."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        window = Window(
            "customer_data_by_user",
            "user",
            self.settings.window,
            lambda e: e.action in CUSTOMER_DATA,
            cap=CAP,
        )
        object.__setattr__(self, "windows", (window,))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if event.user is None:
            return None
        s, window = self.settings, self.windows[0]
        exported = int(event.extra.get("labels.record_count") or 0) if event.action == EXPORT else 0
        big_export = exported >= s.export_records
        usual = self.model.usual.get(event.user, 0.0)
        # Distinct customers never outnumber events: nothing to look at before this many.
        needed = math.ceil(max(s.distinct_customers, s.usual_multiple * usual))
        if not big_export and history.count(window, event.user, event) < needed:
            return None
        # At every event past that: the distinct customers read may cross on any of them.
        # An export's list does not count here (export_records judges exports), only below.
        seen = history.distinct(window, event.user, event, "customer_id")
        before = len(seen) - (1 if seen.get(event.customer_id or "") == 1 else 0)
        key = f"actor={event.user}"
        if not big_export and not crossed(before, len(seen), needed, CAP):
            # Past the threshold each read adds its customers to the open incident.
            return extension(self, event, key=key, entities={}, customers=customers_of(event))
        members = history.members(window, event.user, event, newest=CAP)
        # As the tallies the model learnt from count them: an export's list adds its customers.
        customers = set(seen) | customers_of(event)
        if not (len(customers) >= needed or big_export):
            return None
        if self.model.outlier(self.features(members, len(customers), exported, event)) is False:
            return None
        # An export names the customers it carried; the hour's views before it are not in it.
        named = customers_of(event) if big_export else customers
        what = f"exported {exported:,} records" if big_export else "read many customers' records"
        found = finding(
            self,
            event,
            title=f"{event.user} {what} within an hour (usually {usual:.0f} customers)",
            key=key,
            entities={"actor": event.user},
            evidence=(export_reference(event),),
            customers=named,
        )
        return found if big_export else over_window(found, history, window, event.user, event)

    def features(
        self,
        members: Sequence[dict[str, object]] | Sequence[object],
        distinct: int,
        exported: int,
        event: Event,
    ) -> list[float]:
        actions = [getattr(m, "get", lambda _k: None)("event.action") for m in members]
        addresses = {getattr(m, "get", lambda _k: None)("source.ip") for m in members}
        return [
            float(actions.count(VIEW)),
            float(distinct),
            float(actions.count(EXPORT)),
            float(exported),
            float(actions.count(SEARCH)),
            float(off_hours(hour_of(event))),
            float(len(addresses - {None})),
        ]

    async def record(self, redis: Redis, keys: Keys, events: Sequence[Event]) -> None:
        await tally(redis, keys, events)

    def examples(self) -> tuple[Example, ...]:
        def view(n: int, customer: str) -> Event:
            return Event(
                timestamp=T0 + n * timedelta(seconds=20),
                action=VIEW,
                user="ngoc.pham",
                customer_id=customer,
                source_ip="10.0.3.14",
                file_path="/var/log/als/audit.json",
                offset=n,
            )

        export = Event(
            timestamp=T0,
            action=EXPORT,
            user="ngoc.pham",
            source_ip="10.0.3.14",
            file_path="/var/log/als/audit.json",
            offset=1,
            extra={"labels.record_count": 2400},
        )
        return (
            Example(
                "100 distinct customers in 33 minutes, no history yet",
                tuple(view(n, f"C-{2000 + n}") for n in range(100)),
                fires=True,
            ),
            Example(
                "100 views of 30 customers",
                tuple(view(n, f"C-{2000 + n % 30}") for n in range(100)),
                fires=False,
            ),
            Example("one export of 2,400 records", (export,), fires=True),
        )
