"""A batch's findings folded per fingerprint, as the incident would take them one at a time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from operator import attrgetter
from typing import Any

from monitor.findings import Finding, folded


def merge_by_fingerprint(
    findings: Iterable[Finding], window: timedelta, evidence_limit: int
) -> list[Finding]:
    """Findings of one fingerprint, in event order, folded as the incident would fold them.

    Only findings within the suppression window of each other are folded together, so a
    batch spanning hours yields the same incidents as one event at a time would.
    """
    runs: list[list[Finding]] = []
    open_run: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        place = (finding.detector, finding.key)  # the fingerprint's parts
        run = open_run.get(place)
        if run is None or finding.first_seen - run[-1].last_seen > window:
            run = open_run[place] = []
            runs.append(run)
        run.append(finding)
    return [
        part[0] if len(part) == 1 else fold(part, evidence_limit)
        for run in runs
        for part in split_leading_extensions(run)
    ]


def split_leading_extensions(run: list[Finding]) -> list[list[Finding]]:
    """Extensions before a run's first finding that can open the incident, apart: applied
    one at a time they would find no incident to extend (or an older one), not this one."""
    flags = list(map(EXTENDS_ONLY, run))
    first = flags.index(False) if False in flags else 0
    return [run[:first], run[first:]] if first else [run]


def fold(run: list[Finding], evidence_limit: int) -> Finding:
    """One finding for a run: counts summed, evidence joined up to the limit, loudest kept.

    Each finding's count marks form a group, apart from those before by a '|' (see
    count.lua) unless all of them come after every mark before: the incident then counts
    the same, and a scanner's extensions, one rising mark each, make one group.
    """
    if all(map(EXTENDS_ONLY, run)):
        found = fold_rising(run)
        if found is not None:
            return found
    evidence: dict[str, Mapping[str, Any]] = {}
    counted: list[str] = []
    newest = ""
    customers: set[str] = set()
    first_seen, last_seen = run[0].first_seen, run[0].last_seen
    loudest: Finding | None = None  # the loudest finding that can open the incident
    for finding in run:
        if finding.evidence:
            for reference in finding.evidence:
                if len(evidence) >= evidence_limit:
                    break
                evidence.setdefault(str(reference["id"]), reference)
        group = finding.marks if len(finding.marks) == 1 else tuple(dict.fromkeys(finding.counted))
        if group:
            if counted and min(group) <= newest:
                counted.append("|")
            counted += group
            newest = max(newest, *group)
        first_seen = min(first_seen, finding.first_seen)
        last_seen = max(last_seen, finding.last_seen)
        customers.update(finding.affected_customers)
        if not finding.extends_only and (
            loudest is None or finding.severity.rank > loudest.severity.rank
        ):
            loudest = finding
    # An extension carries no title nor entities of its own: the loudest opening finding
    # gives them.
    if loudest is None:
        loudest = max(run, key=rank)
    return folded(
        loudest,
        tuple(counted),
        first_seen,
        last_seen,
        tuple(evidence.values()),
        frozenset(customers),
        all(finding.extends_only for finding in run),
    )


def fold_rising(run: list[Finding]) -> Finding | None:
    """`fold` of a run of extensions with one mark each, rising (a scanner's failures, in
    event order), with C-level passes instead of a loop; None for any other run."""
    groups = list(map(MARKS, run))
    if set(map(len, groups)) != {1} or any(map(EVIDENCE, run)):
        return None
    marks = [group[0] for group in groups]
    if not all(map(str.__lt__, marks, marks[1:])):
        return None
    # One detector's extensions share its severity: the loudest is then the first.
    loudest = run[0] if len(set(map(SEVERITY, run))) == 1 else max(run, key=rank)
    customers: frozenset[str] = frozenset().union(*map(CUSTOMERS, run))
    first_seen, last_seen = min(map(FIRST_SEEN, run)), max(map(LAST_SEEN, run))
    return folded(loudest, tuple(marks), first_seen, last_seen, (), customers, True)


def rank(finding: Finding) -> int:
    return finding.severity.rank


EXTENDS_ONLY = attrgetter("extends_only")
SEVERITY = attrgetter("severity")
MARKS = attrgetter("marks")
EVIDENCE = attrgetter("evidence")
FIRST_SEEN = attrgetter("first_seen")
LAST_SEEN = attrgetter("last_seen")
CUSTOMERS = attrgetter("affected_customers")
