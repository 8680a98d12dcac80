"""File integrity: the website's code and configuration changed outside maintenance."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from detectors.base import Example, History, Window, finding
from monitor.detector_settings import MAINTENANCE, FileIntegritySettings
from monitor.events import Event
from monitor.findings import Finding, Severity

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
T0 = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)  # a Wednesday, 14:30 in Hanoi


class FileIntegrity:
    """A watched file created, changed or deleted outside every maintenance window."""

    id = "integrity.file_change"
    family = "integrity"
    title = "Website files changed"
    severity = Severity.HIGH
    mitre = "T1505.003"
    actions = frozenset({"file-created", "file-changed", "file-deleted"})
    windows: tuple[Window, ...] = ()
    runbook = (
        "Code or configuration of the website changed outside a maintenance window. Ask the "
        "web team whether they deployed; if not, compare the file with the last release, look "
        "for a web shell, and take the site offline if one is there."
    )

    def __init__(self, settings: FileIntegritySettings) -> None:
        self.zone = ZoneInfo(settings.timezone)
        self.maintenance = tuple(weekly(window) for window in settings.maintenance)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if self.in_maintenance(event.timestamp):
            return None
        path = str(event.extra.get("file.path") or event.file_path)
        what = event.action.removeprefix("file-")
        evidence = {
            **event.reference(),
            "file.path": path,
            **{k: v for k, v in event.extra.items() if k.startswith("file.")},
        }
        folder = os.path.dirname(path)
        return finding(
            self,
            event,
            title=f"{os.path.basename(path)} {what} in {folder}, outside maintenance",
            key=f"folder={folder}",
            entities={"path": folder},
            evidence=(evidence,),
        )

    def in_maintenance(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        day, clock = DAYS[local.weekday()], local.time()
        return any(d == day and start <= clock < end for d, start, end in self.maintenance)

    def examples(self) -> tuple[Example, ...]:
        def changed(at: datetime) -> Event:
            return Event(
                timestamp=at,
                action="file-changed",
                file_path="/var/www/als/index.php",
                offset=int(at.timestamp() * 1e9),
                extra={
                    "file.path": "/var/www/als/index.php",
                    "file.previous_hash": "3f5a" * 16,
                    "file.hash.sha256": "9c1d" * 16,
                },
            )

        return (
            Example("index.php changed on a Wednesday afternoon", (changed(T0),), fires=True),
            Example(
                "changed on Sunday 02:00 in Hanoi, inside the window",
                (changed(datetime(2026, 3, 7, 19, 0, tzinfo=UTC)),),
                fires=False,
            ),
        )


def weekly(window: str) -> tuple[str, time, time]:
    match = MAINTENANCE.match(window)
    if match is None:  # settings validated it already
        raise ValueError(window)
    return match[1], time.fromisoformat(match[2]), time.fromisoformat(match[3])
