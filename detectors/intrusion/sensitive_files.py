"""Sensitive-file and admin-interface probing: .env, .git/, backups, phpMyAdmin, wp-login."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from msgspec.structs import replace

from detectors.base import Example, History, Window
from detectors.intrusion.web import (
    FAMILY,
    WEB_ACTIONS,
    Networks,
    Reporter,
    decoded,
    is_access,
    remembered,
    request,
    spaced,
)
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.intrusion_settings import SensitiveFilesSettings

# URL paths whose verdict is remembered (the least recently seen go first).
PATHS_KEPT = 8192


# A WordPress theme's styles, scripts, images and fonts: every visitor's page loads them
# from its folders. Told by plain string tests: a pattern's lookahead at each of an
# attacker's thousand `/wp-content/` in one path would be quadratic.
WORDPRESS_FOLDERS = ("/wp-content/", "/wp-includes/")
STATIC_SUFFIXES = (
    ".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico",
    ".woff", ".woff2", ".ttf", ".eot", ".otf", ".map", ".pdf", ".mp4", ".webm", ".mp3",
)  # fmt: skip


def asks(pattern: re.Pattern[str], path: str) -> bool:
    """Whether `path`, percent-decoded, asks for a sensitive file."""
    text = decoded(path)
    if text.endswith(STATIC_SUFFIXES):
        # Only the folder's own files: `/phpinfo.php/wp-content/a.css` asks for phpinfo.
        places = [at for folder in WORDPRESS_FOLDERS if (at := text.find(folder)) >= 0]
        if places and pattern.search(text[: min(places)]) is None:
            return False
    return pattern.search(text) is not None


@dataclass(frozen=True, slots=True)
class SensitiveFiles:
    """Requests for files and admin tools no visitor of ALS's site asks for (CrowdSec
    http-sensitive-files); served with 200, the file may have leaked."""

    settings: SensitiveFilesSettings
    crawlers: Networks
    id: str = "intrusion.sensitive_files"
    family: str = FAMILY
    title: str = "Sensitive file probing"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1595.003"
    actions: frozenset[str] = WEB_ACTIONS
    runbook: str = (
        "Someone is looking for secrets (.env, .git, backups) or admin tools. Check the "
        "evidence for any answer 200: that file was served and its secrets must be rotated "
        "now. Block the IP and make sure such files are not under the web root."
    )
    windows: tuple[Window, ...] = field(init=False)
    # Both the window and the rule ask about each request, and paths repeat: asked once.
    sensitive: Callable[[str], bool] = field(init=False, repr=False, compare=False)
    reporter: Reporter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pattern = re.compile("|".join(f"(?:{p})" for p in self.settings.patterns))
        object.__setattr__(self, "sensitive", remembered(partial(asks, pattern), PATHS_KEPT))
        window = Window(
            "sensitive_requests_by_ip",
            "source_ip",
            self.settings.window,
            self.admits,
            cap=4 * self.settings.paths + 20,
            asked_when_admitted=True,  # evaluate returns first unless admits() holds
        )
        object.__setattr__(self, "windows", (window,))
        object.__setattr__(self, "reporter", Reporter(self, window, self.settings.paths))

    def admits(self, event: Event) -> bool:
        path = event.url_path
        return path is not None and is_access(event) and self.sensitive(path)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not self.admits(event):
            return None
        count = self.reporter.count(event, history)
        if count < self.settings.paths:
            return None
        if self.reporter.distinct_paths(event, history) < self.settings.paths:
            return None
        if str(event.source_ip) in self.crawlers:
            return None
        fresh = count < 2 * self.settings.paths
        title = f"{self.title} from {event.source_ip}"
        found = self.reporter.report(event, history, count, title, fresh)
        if event.status_code == 200:
            title = f"Sensitive file {event.url_path} served to {event.source_ip}"
            return replace(found, severity=Severity.HIGH, title=title)
        return found

    def examples(self) -> tuple[Example, ...]:
        step = timedelta(seconds=2)
        probe = spaced("198.51.100.30", ["/.env", "/.git/config", "/wp-login.php"], 404, step)
        admin = spaced("198.51.100.31", ["/phpmyadmin/", "/server-status"], 403, step)
        leak = (
            request("198.51.100.32", "/backup.sql", 404),
            request("198.51.100.32", "/.DS_Store", 200, at=probe[1].timestamp, offset=1),
        )
        pages = ["/", "/tracking", "/customers/C-1001", "/static/app.js"]
        theme = ["/wp-content/themes/als/style.css", "/wp-includes/js/jquery/jquery.min.js"]
        history = spaced("198.51.100.33", ["/.mysql_history", "/.flaskenv"], 404, step)
        visitor = spaced("203.0.113.60", pages, 200, step)
        return (
            Example(".env, then .git/config", probe[:2], fires=True),
            Example("phpMyAdmin and server-status", admin, fires=True),
            Example("a backup and .DS_Store, served", leak, fires=True),
            Example("a single .env request", probe[:1], fires=False),
            Example("a visitor's pages", visitor, fires=False),
            Example("a shell history and .flaskenv", history, fires=True),
            Example(
                "a WordPress theme's style and script, served",
                spaced("203.0.113.61", theme, 200, step),
                fires=False,
            ),
        )
