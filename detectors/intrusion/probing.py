"""HTTP probing: one IP asking for many distinct pages that do not exist or are refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from detectors.base import Example, History, Window
from detectors.intrusion.web import (
    FAMILY,
    WEB_ACTIONS,
    Networks,
    Reporter,
    is_access,
    is_static,
    spaced,
)
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.intrusion_settings import HttpProbingSettings


@dataclass(frozen=True, slots=True)
class HttpProbing:
    """Bursts of 4xx answers on distinct non-static paths from one IP (CrowdSec http-probing)."""

    settings: HttpProbingSettings
    crawlers: Networks
    id: str = "intrusion.http_probing"
    family: str = FAMILY
    title: str = "HTTP probing"
    severity: Severity = Severity.LOW
    mitre: str = "T1595.003"
    actions: frozenset[str] = WEB_ACTIONS
    runbook: str = (
        "A scanner is walking a wordlist of paths. Read the evidence for any path that was "
        "answered 200 (something it found), block the IP at the edge, and check the other "
        "intrusion incidents of the same IP (injection, sensitive files)."
    )
    windows: tuple[Window, ...] = field(init=False)
    reporter: Reporter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        window = Window(
            f"http_failures_by_ip_{int(self.settings.window.total_seconds())}s",
            "source_ip",
            self.settings.window,
            self.admits,
            cap=4 * self.settings.paths,
            asked_when_admitted=True,  # evaluate returns first unless admits() holds
        )
        object.__setattr__(self, "windows", (window,))
        object.__setattr__(self, "reporter", Reporter(self, window, self.settings.paths))

    def admits(self, event: Event) -> bool:
        return (
            event.status_code in self.settings.statuses
            and is_access(event)
            and not is_static(event.url_path)
        )

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not self.admits(event):
            return None
        count = self.reporter.count(event, history)
        if count < self.settings.paths:
            return None
        if self.reporter.distinct_paths(event, history) < self.settings.paths:
            return None  # one broken link asked for again and again
        if str(event.source_ip) in self.crawlers:
            return None
        # Distinctness may hold only a few events past the count: fresh until twice it.
        fresh = count < 2 * self.settings.paths
        title = f"{self.title} from {event.source_ip}"
        return self.reporter.report(event, history, count, title, fresh)

    def examples(self) -> tuple[Example, ...]:
        second = timedelta(seconds=1)
        words = ["/admin.php", "/old/", "/test", "/api/v0", "/upload", "/shell", "/temp"]
        paths = [*words, "/install", "/setup", "/debug", "/login.asp", "/portal"]
        scan = spaced("198.51.100.20", paths, 404, second)
        slow = spaced("198.51.100.21", paths, 404, timedelta(seconds=30))
        favicon = spaced("192.0.2.30", ["/favicon.ico"] * 15, 404, second)
        retry = spaced("192.0.2.31", ["/api/missing"] * 15, 404, second)
        google = spaced("66.249.66.1", paths, 404, second)
        return (
            Example("ten distinct 404 paths in ten seconds", scan[:10], fires=True),
            Example("nine are not enough", scan[:9], fires=False),
            Example("one every 30 seconds", slow, fires=False),
            Example("a missing favicon, fifteen times", favicon, fires=False),
            Example("one missing API path, fifteen times", retry, fires=False),
            Example("Googlebot following dead links", google, fires=False),
        )
