"""Incidents as the detectors would raise them, for tests of what people see."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def customer_takeover(store: IncidentStore) -> str:
    """A customer account (cust-1003, C-1003) taken over from 198.51.100.23."""
    finding = Finding(
        detector="account_takeover.compromise_after_failures",
        family="account_takeover",
        severity=Severity.HIGH,
        title="Login as cust-1003 after 5 failures from 198.51.100.23",
        key="user=cust-1003",
        entities={"user": "cust-1003", "ip": "198.51.100.23"},
        first_seen=T0,
        last_seen=T0,
        evidence=(
            {
                "id": "audit.json:0",
                "@timestamp": "2026-03-02T02:00:00Z",
                "user.name": "cust-1003",
                "labels.customer_id": "C-1003",
            },
        ),
        affected_customers=frozenset({"C-1003"}),
    )
    (change,) = await store.record([finding])
    return change.incident_id
