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

from monitor.findings import Finding, folded


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
    newest: str  # the fingerprint's newest mark: the next one must be past it
    last_seen: datetime  # the newest one's
    horizon: datetime  # last_seen and the window: an extension past it starts a run of its own

    def finding(self) -> Finding:
        """The run as one finding: fold_rising's of its extensions."""
        first, customers = self.first, frozenset(self.customers)
        return folded(
            first, tuple(self.marks), first.first_seen, self.last_seen, (), customers, True
        )


class Gathering:
    """Findings as the detectors return them; `findings()` gives them with runs gathered."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.gathered: list[Finding] = []
        self.runs: list[Run] = []
        self.open: dict[tuple[str, str], Run] = {}
        # The newest mark of each fingerprint without a run open: a mark not past it is set
        # apart when folded (a '|' before it), so it cannot join the marks before.
        self.newest: dict[tuple[str, str], str] = {}

    def add(self, finding: Finding) -> None:
        # Inlined: a flood's batch adds tens of thousands.
        place = (finding.detector, finding.key)
        run = self.open.get(place)
        if finding.extends_only and len(finding.marks) == 1 and not finding.evidence:
            mark = finding.marks[0]
            if (
                run is not None
                and mark > run.newest
                and run.last_seen <= finding.first_seen <= run.horizon
                and finding.severity is run.first.severity
            ):
                run.marks.append(mark)
                run.newest = mark
                if finding.affected_customers:
                    run.customers.update(finding.affected_customers)
                if finding.last_seen != run.last_seen:
                    run.last_seen, run.horizon = finding.last_seen, finding.last_seen + self.window
                return
            newest = run.newest if run is not None else self.newest.pop(place, "")
            self.open[place] = self.started(finding, max(newest, mark))
        else:
            newest = run.newest if run is not None else self.newest.get(place, "")
            if run is not None:
                del self.open[place]  # what follows it is folded after it, not with the run
            self.newest[place] = max((newest, *finding.counted))
        self.gathered.append(finding)

    def started(self, finding: Finding, newest: str) -> Run:
        seen = finding.last_seen
        run = Run(
            len(self.gathered),
            finding,
            [finding.marks[0]],
            set(finding.affected_customers),
            newest,
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
