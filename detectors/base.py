"""What a detector is: metadata, declared windows, a pure evaluate(), and inline examples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, NamedTuple, Protocol

from monitor.events import Event, parse_time
from monitor.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window of events grouped by one Event attribute, kept in Redis."""

    name: str
    group_by: str
    # Detectors may declare one window name with different spans: Redis keeps the longest,
    # and each detector's questions are answered over its own span.
    span: timedelta
    admits: Callable[[Event], bool]
    # Newest members kept per group: bounds memory whatever the rate (counts saturate here).
    cap: int = 1000
    # How to find an event's group when it is not an attribute (a /24, a network's ASN).
    key: Callable[[Event], str | None] | None = field(default=None, compare=False)
    # Only events of these actions meet the window (default: every action of its detector).
    actions: frozenset[str] | None = None
    # Worth a copy in the detect process (detectors/held.py): a scanner flood fills it to its
    # cap and every batch would read it back whole.
    copied: bool = field(default=False, compare=False)
    # Only events it admits ask about it (its detectors return first for any other), so a
    # batch reads a group only if it adds to it: a website's visitors touch four such
    # windows with every request, but few of them probe, inject or crawl.
    asked_when_admitted: bool = field(default=False, compare=False)
    # Its detectors ask it only for counts, and compare them only with their thresholds,
    # while it holds fewer members than this over its span (0: they may ask anything at any
    # time). Below it, Redis sends how many members no question of the batch can tell apart
    # instead of the members (detectors/counted.py), and a count may only be known to be
    # below the threshold: a visitor's page window would otherwise be read whole with every
    # request. Not for copied windows (their copies stand in for reading them).
    counted_below: int = field(default=0, compare=False)
    # Span (ms) and counted_below of each window declared under this name (see widest()).
    limits: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    span_ms: int = field(init=False, repr=False, compare=False)
    counting: Counting | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "span_ms", int(self.span.total_seconds() * 1000))
        if not self.limits:
            object.__setattr__(self, "limits", ((self.span_ms, self.counted_below),))
        object.__setattr__(self, "counting", counting(self.limits, self.span_ms, self.cap))

    def widest(self, other: Window) -> Window:
        """This window with the longer span and larger cap of the two."""
        return replace(
            self,
            span=max(self.span, other.span),
            cap=max(self.cap, other.cap),
            asked_when_admitted=self.asked_when_admitted and other.asked_when_admitted,
            limits=self.limits + other.limits,
        )


class Counting(NamedTuple):
    """How a window declared under one name is counted (see Window.counted_below)."""

    shorter_span: int  # ms, the longest of its shorter spans (0: none)
    below: int  # members the longest span must hold fewer of
    shorter_below: int  # and the shorter spans (-1: none)


def counting(limits: tuple[tuple[int, int], ...], longest: int, cap: int) -> Counting | None:
    """Window.counting from the spans and limits declared under one name; None: some
    detector of the name may ask for members at any count."""
    if any(below <= 0 for _, below in limits):
        return None
    shorter = [(span, below) for span, below in limits if span < longest]
    return Counting(
        max((span for span, _ in shorter), default=0),
        min(min(below for span, below in limits if span == longest), cap),
        min((below for _, below in shorter), default=-1),
    )


class History(Protocol):
    """What detectors may ask about the past: the events of a window at a moment."""

    def count(self, window: Window, group: str, at: Event) -> int:
        """Members in the window as `at` saw it (up to and including itself); for a counted
        window below its threshold, only known to be below it (Window.counted_below)."""
        ...

    def members(
        self, window: Window, group: str, at: Event, newest: int = ...
    ) -> Sequence[Mapping[str, Any]]:
        """The newest members of the window at `at`, as event references, oldest first."""
        ...

    def counts(self, windows: Sequence[Window], group: str, at: Event) -> list[int]:
        """count() over several spans of one window name, in one lookup."""
        ...

    def values(
        self, window: Window, group: str, at: Event, attribute: str, newest: int = ...
    ) -> Sequence[str]:
        """One reference attribute (url_path, user) of the newest members, without parsing
        whole references: distinct counts stay cheap."""
        ...

    def distinct(self, window: Window, group: str, at: Event, attribute: str) -> Mapping[str, int]:
        """Each value of one reference attribute among the window's members at `at`, with
        how many members carry it (its length is the distinct count). Cheap at every event:
        the tally slides with the events of a group; read it before the next question."""
        ...

    def marks(self, window: Window, group: str, at: Event, newest: int = ...) -> Sequence[str]:
        """The count marks (monitor.events.count_mark) of the newest members: what an
        incident counts when a crossing brings more events than its evidence shows."""
        ...

    def times(self, window: Window, group: str, at: Event, newest: int = ...) -> Sequence[int]:
        """Epoch milliseconds of the newest members of the window at `at`, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class Example:
    """An event sequence and whether the detector must fire on its last event."""

    name: str
    events: tuple[Event, ...]
    fires: bool


# What a detector makes of one event: nothing, a finding, or (rarely) one for each of
# several incidents the event belongs to.
Found = Finding | tuple[Finding, ...] | None


class Detector(Protocol):
    """Metadata (read-only), the windows it reads, evaluate() and its examples."""

    @property
    def id(self) -> str: ...

    @property
    def family(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def mitre(self) -> str: ...

    @property
    def runbook(self) -> str: ...

    @property
    def windows(self) -> tuple[Window, ...]: ...

    @property
    def actions(self) -> frozenset[str]:
        """The event actions it evaluates; other events never reach it (nor its windows)."""
        ...

    def evaluate(self, event: Event, history: History) -> Found: ...

    def examples(self) -> tuple[Example, ...]: ...


def finding(
    detector: Detector,
    event: Event,
    *,
    title: str,
    key: str,
    entities: Mapping[str, str],
    evidence: Sequence[Mapping[str, Any]] = (),
    severity: Severity | None = None,
    customers: Iterable[str | None] = (),
) -> Finding:
    """A finding of `detector` at `event`: evidence defaults to the event, first seen to its own;
    customers that are None (an event without one) are left out."""
    shown = tuple(evidence) or (event.reference(),)
    first = min(parse_time(str(r["@timestamp"])) for r in shown)
    return Finding(
        detector=detector.id,
        family=detector.family,
        severity=severity or detector.severity,
        title=title,
        key=key,
        entities=entities,
        first_seen=min(first, event.timestamp),
        last_seen=event.timestamp,
        evidence=shown,
        affected_customers=frozenset(filter(None, customers)),
    )


def extension(
    detector: Detector,
    event: Event,
    *,
    key: str,
    entities: Mapping[str, str],
    customers: Iterable[str | None] = (),
) -> Finding:
    """An event of an attack past its threshold: it adds itself (its count, its time, its
    customers) to the open incident of `key`, and opens none. Cheap, as a scanner makes one
    per line: no evidence of its own, the incident shows the events that crossed."""
    at = event.timestamp
    return Finding(
        detector.id,
        detector.family,
        detector.severity,  # severity rises with the crossings, not here
        detector.title,
        key,
        entities,
        at,
        at,
        (),
        frozenset(filter(None, customers)) if customers else NO_CUSTOMERS,
        (event.mark,),
        True,
    )


NO_CUSTOMERS: frozenset[str] = frozenset()


def checkpoint(count: int, threshold: int, cap: int) -> bool:
    """Look closer only as a count first reaches the threshold and at each doubling after it.

    The closer look reads every member; doing it on every event of a group that keeps its
    window full would cost the whole window per line. A count held at the cap is full.
    """
    if count < threshold or count >= cap:
        return False
    while count > threshold and count % 2 == 0:
        count //= 2
    return count == threshold


def crossed(before: int, now: int, threshold: int, cap: int) -> bool:
    """Whether a count rising from `before` to `now` reached the threshold or one of its
    doublings (the checkpoints), below the cap."""
    mark = threshold
    while mark <= before:
        mark *= 2
    return now >= mark and mark < cap


def export_reference(event: Event) -> dict[str, Any]:
    """The event's reference; an export's also says how many records and which columns left,
    so the breach playbook names the categories exposed and counts the records."""
    reference = event.reference()
    for name in ("labels.record_count", "labels.columns"):
        if name in event.extra:
            reference[name] = event.extra[name]
    return reference
