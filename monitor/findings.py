"""What a detector hands on: one observation about one entity, not yet an incident."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from monitor.events import reference_mark


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self]


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

# Detector families. Intrusion: probing and exploit attempts against the servers themselves
# (SSH scanners that never authenticate, web vulnerability scanners, injection in URLs).
FAMILIES = ("account_takeover", "impersonation", "bulk_access", "integrity", "intrusion")


class Finding(msgspec.Struct, frozen=True):
    """A detector's verdict on one group key (an IP, a user, a session) at one moment.

    A msgspec Struct, as Event is: a scanner's flood makes several per line (extensions),
    and one costs a quarter of what a frozen dataclass's does.
    """

    detector: str
    family: str
    severity: Severity
    title: str
    key: str
    entities: Mapping[str, str]
    first_seen: datetime
    last_seen: datetime
    evidence: tuple[Mapping[str, Any], ...]
    affected_customers: frozenset[str] = frozenset()
    # The count marks (monitor.events.count_mark) of every event it counts, where more than
    # its evidence shows (a crossing of a large window, a fold of many findings).
    marks: tuple[str, ...] = ()
    # An attack going on past its threshold: the finding adds its events to the open
    # incident, and opens none of its own once that incident has closed.
    extends_only: bool = False

    @property
    def counted(self) -> tuple[str, ...]:
        """The count marks of the events this finding counts."""
        return self.marks or tuple(reference_mark(reference) for reference in self.evidence)

    @property
    def fingerprint(self) -> str:
        """Findings with one fingerprint merge into one incident (detector + entity)."""
        return f"{self.detector}|{self.key}"

    @property
    def id(self) -> str:
        """Same evidence, same id: a finding replayed after a crash is applied once."""
        return finding_id(self.fingerprint, self.counted)


def finding_id(fingerprint: str, counted: Sequence[str]) -> str:
    """The id of the finding of `fingerprint` that counts the marks `counted`."""
    digest = hashlib.blake2b(fingerprint.encode(), digest_size=12)
    digest.update("".join(counted).encode())  # as one mark after the other
    return digest.hexdigest()


def folded(
    base: Finding,
    marks: tuple[str, ...],
    first_seen: datetime,
    last_seen: datetime,
    evidence: tuple[Mapping[str, Any], ...],
    customers: frozenset[str],
    extends_only: bool,
) -> Finding:
    """`base` carrying a fold's counts, times, evidence and customers."""
    head = (base.detector, base.family, base.severity, base.title, base.key, base.entities)
    return Finding(*head, first_seen, last_seen, evidence, customers, marks, extends_only)
