"""Crawling: one IP reading non-static pages faster, or longer, than any person does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from detectors.base import Example, History, Window
from detectors.intrusion.web import (
    WEB_ACTIONS,
    Networks,
    Reporter,
    is_access,
    is_static,
    spaced,
)
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.intrusion_settings import CrawlingSettings

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def is_page(event: Event) -> bool:
    return is_access(event) and not is_static(event.url_path)


@dataclass(frozen=True, slots=True)
class Crawling:
    """A burst (CrowdSec http-crawl-non_statics) or a long run of page requests from one IP.

    Search engines' published networks are not reported; a crawler only claiming to be
    Googlebot from elsewhere is.
    """

    settings: CrawlingSettings
    crawlers: Networks
    id: str = "bulk_access.crawling"
    family: str = "bulk_access"
    title: str = "Aggressive crawling"
    severity: Severity = Severity.LOW
    mitre: str = "T1594"
    actions: frozenset[str] = WEB_ACTIONS
    runbook: str = (
        "An automated client is copying the website. If it reached customer pages (a "
        "scraping incident says so) treat it as a breach; otherwise rate-limit or block the "
        "IP, and check whether its user agent pretends to be a search engine."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        longest = max(s.window, s.burst_window)
        cap = max(s.pages, s.burst_pages) + 10
        # evaluate returns first unless is_page() holds, and asks only counts until a span
        # holds its threshold
        spans = ((longest, s.pages), (s.burst_window, s.burst_pages))
        windows = tuple(
            Window(
                "pages_by_ip",
                "source_ip",
                span,
                is_page,
                cap=cap,
                asked_when_admitted=True,
                counted_below=below,
            )
            for span, below in spans
        )
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not is_page(event):
            return None
        s, ip = self.settings, str(event.source_ip)
        run, burst = history.counts(self.windows, ip, event)
        if run < s.pages and burst < s.burst_pages:
            return None
        if ip in self.crawlers:
            return None
        count = run if run >= s.pages else burst
        threshold = s.pages if run >= s.pages else s.burst_pages
        reporter = Reporter(self, self.windows[0], threshold)
        title = f"{self.title} from {ip}"
        return reporter.report(event, history, count, title, count == threshold)

    def examples(self) -> tuple[Example, ...]:
        pages = [f"/tracking/{n}" for n in range(600)]
        burst = spaced("198.51.100.60", pages[:40], 200, timedelta(milliseconds=200))
        scraper = spaced("198.51.100.61", pages, 200, timedelta(seconds=1.5))
        google = spaced("66.249.66.1", pages, 200, timedelta(milliseconds=200), GOOGLEBOT)
        fake = spaced("198.51.100.62", pages[:40], 200, timedelta(milliseconds=200), GOOGLEBOT)
        person = spaced("203.0.113.61", pages[:60], 200, timedelta(seconds=8))
        return (
            Example("40 pages in eight seconds", burst, fires=True),
            Example("300 pages, one every 1.5 seconds", scraper[:300], fires=True),
            Example("Googlebot from Google's network", google, fires=False),
            Example("a fake Googlebot", fake, fires=True),
            Example("a person reading 60 pages", person, fires=False),
        )
