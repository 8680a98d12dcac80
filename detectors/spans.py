"""A bulk finding that counts every event of the window it crossed in, from the first."""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec.structs import replace

from detectors.base import History, Window
from monitor.events import Event
from monitor.findings import Finding


def over_window(
    found: Finding, history: History, window: Window, group: str, event: Event
) -> Finding:
    """`found`, counting the window's events up to `event` and first seen at the oldest of
    them: 150 views make an incident of 150 events that starts at the first view."""
    count = history.count(window, group, event)
    times = history.times(window, group, event, count)
    first = datetime.fromtimestamp(times[0] / 1000, UTC) if times else found.first_seen
    marks = tuple(history.marks(window, group, event, count))
    return replace(found, marks=marks, first_seen=min(first, found.first_seen))
