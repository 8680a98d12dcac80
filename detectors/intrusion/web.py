"""What the web detectors share: which events are web requests, static files, decoded URLs,
verified crawlers, the per-IP report, and example requests."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar
from urllib.parse import unquote, unquote_plus

from msgspec.structs import replace

from detectors.base import Detector, History, Window, extension, finding
from monitor.events import Event, Outcome
from monitor.findings import Finding

FAMILY = "intrusion"
# Window members shown as evidence when an IP is first reported, at most.
EVIDENCE = 50
# Access-log requests, whatever the route map made of them.
WEB_ACTIONS = frozenset(
    {
        "http-request",
        "user-login",
        "customer-record-view",
        "customer-search",
        "customer-record-export",
    }
)
STATIC = (
    ".css",
    ".js",
    ".mjs",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".ico",
    ".svg",
    ".webp",
    ".avif",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
    ".eot",
    ".map",
    ".mp4",
    ".webm",
)
T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def is_access(event: Event) -> bool:
    """A line of an access log (error-log events carry no status)."""
    return event.status_code is not None and event.source_ip is not None


def is_static(path: str | None) -> bool:
    return path is not None and path.lower().endswith(STATIC)


def target(event: Event) -> str:
    """Path and query as requested (or the garbled request line)."""
    original = event.extra.get("url.original")
    return str(original) if original else event.url_path or ""


# A URL or a user agent is written by whoever sends the request, up to a 64 KiB line: the
# caches keep texts up to this long, and of longer ones only the last (asked again at once
# by the window and the rule).
LONGEST_REMEMBERED = 1024
T = TypeVar("T")


def remembered(function: Callable[[str], T], size: int) -> Callable[[str], T]:
    """`function` with its answers for up to `size` short texts kept, least recent first out."""
    cached = lru_cache(maxsize=size)(function)
    last: list[tuple[str, T]] = []

    def answer(text: str) -> T:
        if len(text) <= LONGEST_REMEMBERED:
            return cached(text)
        if last and last[0][0] is text:
            return last[0][1]
        found = function(text)
        last[:] = [(text, found)]
        return found

    return answer


def decode(text: str) -> str:
    """Lower-cased, percent-decoded twice (double encoding), `+` as space in the query."""
    path, mark, query = text.partition("?")
    once = unquote(path) + mark + unquote_plus(query)
    return unquote(once).lower() if "%" in once else once.lower()


decoded = remembered(decode, 8192)


class Networks:
    """A set of networks, asked about one address at a time (answers remembered)."""

    def __init__(self, networks: tuple[str, ...]) -> None:
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        self.known: dict[str, bool] = {}

    def __contains__(self, address: str) -> bool:
        known = self.known.get(address)
        if known is None:
            if len(self.known) > 50_000:
                self.known.clear()
            ip = ipaddress.ip_address(address)
            known = any(ip in n for n in self.networks if n.version == ip.version)
            self.known[address] = known
        return known


@dataclass(frozen=True, slots=True)
class Reporter:
    """Reports one IP once its window holds `threshold` events, then each event after it.

    A fresh report brings the window as evidence and opens (or adds to) the incident; each
    later event only adds itself to the open incident, which counts every event once.
    """

    detector: Detector
    window: Window
    threshold: int

    def count(self, event: Event, history: History) -> int:
        return history.count(self.window, str(event.source_ip), event)

    def distinct_paths(self, event: Event, history: History) -> int:
        """Distinct paths among the newest members (twice the threshold, a cheap bound)."""
        paths = history.values(
            self.window, str(event.source_ip), event, "url_path", 2 * self.threshold
        )
        return len(set(paths))

    def report(
        self, event: Event, history: History, count: int, title: str, fresh: bool
    ) -> Finding:
        ip = str(event.source_ip)
        shown = (
            history.members(self.window, ip, event, min(count, EVIDENCE))
            if fresh
            else (event.reference(),)
        )
        if not fresh:
            return extension(self.detector, event, key=f"ip={ip}", entities={"ip": ip})
        found = finding(
            self.detector, event, title=title, key=f"ip={ip}", entities={"ip": ip}, evidence=shown
        )
        # The incident counts every event of the window, not only those shown.
        counted = history.marks(self.window, ip, event, count)
        return replace(found, marks=tuple(counted)) if count > len(shown) else found


def request(
    ip: str,
    path: str,
    status: int = 200,
    *,
    agent: str = BROWSER,
    at: datetime = T0,
    offset: int = 0,
) -> Event:
    """An access-log request (examples)."""
    path_only, _, query = path.partition("?")
    return Event(
        timestamp=at,
        action="http-request",
        outcome=Outcome.FAILURE if status >= 400 else Outcome.SUCCESS,
        category="web",
        dataset="nginx",
        source_ip=ip,
        user_agent=agent,
        url_path=path_only,
        http_method="GET",
        status_code=status,
        file_path="/var/log/nginx/access.log",
        offset=offset,
        extra={"url.original": path, **({"url.query": query} if query else {})},
    )


def spaced(
    ip: str, paths: list[str], status: int, step: timedelta, agent: str = BROWSER
) -> tuple[Event, ...]:
    return tuple(
        request(ip, path, status, agent=agent, at=T0 + i * step, offset=i)
        for i, path in enumerate(paths)
    )
