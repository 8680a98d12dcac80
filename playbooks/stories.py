"""Each customer's own story: what happened to them, when, by whom in general terms, what data.

The incidents are indexed by customer once per run, so that a notice for each of
100,000 customers costs a dictionary look-up, not a scan of every incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.events import parse_time
from monitor.incidents import Incident
from playbooks.acts import Harm, harm_of
from playbooks.datatypes import DataType, columns_of, ordered
from playbooks.harms import types_of

Reference = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Story:
    """What happened to one customer, from their own evidence where there is some."""

    harms: tuple[Harm, ...]  # worst first
    first_at: datetime
    last_at: datetime
    types: tuple[DataType, ...]
    by_staff: bool  # an ALS employee acted, not an outsider
    hashed: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Computed once: a story is a key of the shared renderings, looked up per notice.
        hashed = hash((self.harms, self.first_at, self.last_at, self.types, self.by_staff))
        object.__setattr__(self, "hashed", hashed)

    def __hash__(self) -> int:
        return self.hashed

    @property
    def keys(self) -> set[str]:
        return {t.key for t in self.types}


class Stories:
    """The breach's incidents, indexed by the customers they concern."""

    def __init__(self, incidents: Sequence[Incident]) -> None:
        self.by_customer: dict[str, list[Incident]] = {}
        self.own: dict[tuple[str, str], list[Reference]] = {}
        self.shared: dict[str, list[Reference]] = {}
        # Customers with no evidence of their own share the story of their incidents.
        self.common: dict[tuple[str, ...], Story] = {}
        for incident in incidents:
            self.index(incident)

    def index(self, incident: Incident) -> None:
        customers = set(incident.affected_customers)
        shared = self.shared.setdefault(incident.id, [])
        for reference in incident.evidence:
            customer = reference.get("labels.customer_id")
            if customer:
                customers.add(str(customer))
                self.own.setdefault((incident.id, str(customer)), []).append(reference)
            else:
                shared.append(reference)
        for customer in customers:
            self.by_customer.setdefault(customer, []).append(incident)

    def of(self, customer_id: str) -> Story | None:
        incidents = self.by_customer.get(customer_id)
        if not incidents:
            return None
        if any((i.id, customer_id) in self.own for i in incidents):
            return self.told(customer_id, incidents)
        key = tuple(i.id for i in incidents)
        if key not in self.common:
            self.common[key] = self.told(customer_id, incidents)
        return self.common[key]

    def told(self, customer_id: str, incidents: Sequence[Incident]) -> Story:
        harms: set[Harm] = set()
        types: list[DataType] = []
        moments: list[datetime] = []
        for incident in incidents:
            own = self.own.get((incident.id, customer_id), [])
            references = own + self.shared[incident.id]
            harm = harm_of(incident, own)
            harms.add(harm)
            types += types_of(harm, [c for r in references for c in columns_of(r)])
            moments += times(incident, own or self.shared[incident.id])
        return Story(
            tuple(h for h in Harm if h in harms),
            min(moments),
            max(moments),
            ordered(types),
            any("actor" in i.entities for i in incidents),
        )


def times(incident: Incident, references: Sequence[Reference]) -> list[datetime]:
    """The customer's own moments; the incident's span when the evidence has none for them."""
    found = []
    for reference in references:
        try:
            found.append(parse_time(str(reference["@timestamp"])))
        except (KeyError, ValueError):
            continue
    return found or [parse_time(incident.first_seen), parse_time(incident.last_seen)]
