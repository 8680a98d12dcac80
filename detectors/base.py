"""What a detector is: metadata, declared windows, a pure evaluate(), and inline examples."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from monitor.events import Event
from monitor.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window of events grouped by one Event attribute, kept in Redis."""

    name: str
    group_by: str
    span: timedelta
    admits: Callable[[Event], bool]
    # Newest members kept per group: bounds memory whatever the rate (counts saturate here).
    cap: int = 1000


class History(Protocol):
    """What detectors may ask about the past: the events of a window at a moment."""

    def count(self, window: Window, group: str, at: Event) -> int:
        """Members in the window as `at` saw it (up to and including itself)."""
        ...

    def members(
        self, window: Window, group: str, at: Event, newest: int = ...
    ) -> Sequence[Mapping[str, Any]]:
        """The newest members of the window at `at`, as event references, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class Example:
    """An event sequence and whether the detector must fire on its last event."""

    name: str
    events: tuple[Event, ...]
    fires: bool


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

    def evaluate(self, event: Event, history: History) -> Finding | None: ...

    def examples(self) -> tuple[Example, ...]: ...
