"""A batch's findings in event order, each run of extensions to one incident gathered into one.

A scanner past its thresholds makes an extension per line and per detector (four for an
SSH failure): tens of thousands a batch, which the incident store would then fold again
one by one. Gathered as they come, a run of them is one finding that
monitor.incidents.merging folds exactly as it folds the run: the same marks in the same
groups, the same times, customers and fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.findings import Finding


@dataclass(slots=True)
class Run:
    """Extensions of one fingerprint, one mark each, of one severity, each within the
    suppression window of the one before and none earlier than it (events of one
    millisecond sort by key, not by their microseconds), each mark past every mark of the
    fingerprint before it: what merge_by_fingerprint folds as one group of marks, from the
    first one's start to the newest one's end."""

    index: int  # where the first of them stands among the batch's findings
    first: Finding
    marks: list[str]
    customers: set[str]
    last_seen: datetime  # the newest one's
    horizon: datetime  # last_seen and the window: an extension past it starts a run of its own

    def takes(self, finding: Finding) -> bool:
        return (
            self.last_seen <= finding.first_seen <= self.horizon
            and finding.severity is self.first.severity
        )

    def add(self, finding: Finding, window: timedelta) -> None:
        self.marks.append(finding.marks[0])
        if finding.affected_customers:
            self.customers.update(finding.affected_customers)
        if finding.last_seen != self.last_seen:
            self.last_seen, self.horizon = finding.last_seen, finding.last_seen + window

    def finding(self) -> Finding:
        """The run as one finding: fold_rising's of its extensions."""
        first = self.first
        return Finding(
            first.detector,
            first.family,
            first.severity,
            first.title,
            first.key,
            first.entities,
            first.first_seen,
            self.last_seen,
            (),
            frozenset(self.customers),
            tuple(self.marks),
            True,
        )


class Gathering:
    """Findings as the detectors return them; `findings()` gives them with runs gathered."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.gathered: list[Finding] = []
        self.open: dict[tuple[str, str], Run] = {}
        self.runs: list[Run] = []
        # Per fingerprint, its newest mark so far: a mark not past it is set apart when
        # folded (a '|' before it), so it starts a run of its own.
        self.newest: dict[tuple[str, str], str] = {}

    def add(self, finding: Finding) -> None:
        place = (finding.detector, finding.key)
        newest = self.newest.get(place, "")
        if finding.extends_only and len(finding.marks) == 1 and not finding.evidence:
            mark = finding.marks[0]
            run = self.open.get(place)
            if run is not None and mark > newest and run.takes(finding):
                run.add(finding, self.window)
                self.newest[place] = mark
                return
            self.open[place] = self.started(finding)
            self.newest[place] = max(newest, mark)
        else:
            self.open.pop(place, None)  # what follows it is folded after it, not before
            self.newest[place] = max(newest, *finding.counted)
        self.gathered.append(finding)

    def started(self, finding: Finding) -> Run:
        seen = finding.last_seen
        run = Run(
            len(self.gathered),
            finding,
            [finding.marks[0]],
            set(finding.affected_customers),
            seen,
            seen + self.window,
        )
        self.runs.append(run)
        return run

    def findings(self) -> list[Finding]:
        for run in self.runs:
            if len(run.marks) > 1:
                self.gathered[run.index] = run.finding()
        return self.gathered
