"""What a detector hands on: one observation about one entity, not yet an incident."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Finding:
    """A detector's verdict on one group key (an IP, a user, a session) at one moment."""

    detector: str
    family: str
    severity: Severity
    title: str
    key: str
    entities: Mapping[str, str]
    first_seen: datetime
    last_seen: datetime
    evidence: tuple[Mapping[str, Any], ...]
    affected_customers: frozenset[str] = field(default_factory=frozenset)
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
    """`base` carrying a fold's counts, times, evidence and customers (dataclasses.replace,
    through the slots: a scanner's batch folds thousands of runs)."""
    head = (base.detector, base.family, base.severity, base.title, base.key, base.entities)
    return through_slots(*head, first_seen, last_seen, evidence, customers, marks, extends_only)


def through_slots(
    detector: str,
    family: str,
    severity: Severity,
    title: str,
    key: str,
    entities: Mapping[str, str],
    first_seen: datetime,
    last_seen: datetime,
    evidence: tuple[Mapping[str, Any], ...],
    customers: frozenset[str],
    marks: tuple[str, ...],
    extends_only: bool,
) -> Finding:
    """A finding from its fields in order, set through their slots: a third of what the
    frozen dataclass's __init__ costs."""
    found: Finding = object.__new__(Finding)
    SET_DETECTOR(found, detector)
    SET_FAMILY(found, family)
    SET_SEVERITY(found, severity)
    SET_TITLE(found, title)
    SET_KEY(found, key)
    SET_ENTITIES(found, entities)
    SET_FIRST_SEEN(found, first_seen)
    SET_LAST_SEEN(found, last_seen)
    SET_EVIDENCE(found, evidence)
    SET_CUSTOMERS(found, customers)
    SET_MARKS(found, marks)
    SET_EXTENDS_ONLY(found, extends_only)
    return found


(
    SET_DETECTOR,
    SET_FAMILY,
    SET_SEVERITY,
    SET_TITLE,
    SET_KEY,
    SET_ENTITIES,
    SET_FIRST_SEEN,
    SET_LAST_SEEN,
    SET_EVIDENCE,
    SET_CUSTOMERS,
    SET_MARKS,
    SET_EXTENDS_ONLY,
) = (vars(Finding)[slot.name].__set__ for slot in fields(Finding))
