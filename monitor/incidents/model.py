"""The incident: what a person acknowledges, investigates and resolves."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from monitor.findings import Severity
from monitor.incidents.titles import live_title


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    detector: str
    family: str
    severity: Severity
    status: Status
    title: str
    entities: Mapping[str, str]
    first_seen: str
    last_seen: str
    event_count: int
    affected_customers: tuple[str, ...]
    evidence: tuple[Mapping[str, Any], ...]
    timeline: tuple[Mapping[str, Any], ...]
    owner: str | None = None
    classification: str | None = None
    # How many customers the incident names; `affected_customers` may list only the first.
    affected_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The public incident JSON (DESIGN.md)."""
        return {
            "id": self.id,
            "detector": self.detector,
            "family": self.family,
            "severity": str(self.severity),
            "status": str(self.status),
            "title": self.title,
            "entities": dict(self.entities),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "event_count": self.event_count,
            "affected_customers": list(self.affected_customers),
            "affected_customers_count": self.affected_count,
            "evidence": [dict(item) for item in self.evidence],
            "timeline": [dict(item) for item in self.timeline],
            "owner": self.owner,
            "classification": self.classification,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def incident_from_redis(
    fields: Mapping[bytes, bytes],
    evidence: list[bytes],
    timeline: list[bytes],
    customers: Collection[bytes],
    shown: int | None = None,
) -> Incident:
    """The incident as stored; it lists its first `shown` customers (all with None)."""
    text = {key.decode(): value.decode() for key, value in fields.items()}
    events = int(text["event_count"])
    return Incident(
        id=text["id"],
        detector=text["detector"],
        family=text["family"],
        severity=Severity(text["severity"]),
        status=Status(text["status"]),
        title=live_title(text["detector"], text["title"], events, len(customers)),
        entities=json.loads(text["entities"]),
        first_seen=text["first_seen"],
        last_seen=text["last_seen"],
        event_count=events,
        affected_customers=tuple(sorted(item.decode() for item in customers)[:shown]),
        evidence=tuple(json.loads(item) for item in evidence),
        timeline=tuple(json.loads(item) for item in timeline),
        owner=text.get("owner"),
        classification=text.get("classification"),
        affected_count=len(customers),
    )
