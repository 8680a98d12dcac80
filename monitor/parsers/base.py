"""What every parser shares: where a line came from, and how a line is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

from monitor.events import Event

Networks = tuple[IPv4Network | IPv6Network, ...]


@cache
def networks(items: tuple[str, ...]) -> Networks:
    """Addresses and networks as written in the settings, parsed once per list."""
    return tuple(ip_network(item) for item in items)


class Malformed(ValueError):
    """A line that does not have the shape its format promises; it is dead-lettered."""


@dataclass(frozen=True, slots=True)
class LineContext:
    """Where lines are read from: the file, the zone of zone-less times, the year reference."""

    path: str
    zone: tzinfo
    # Syslog lines carry no year: the latest moment a line can be from (the file's mtime).
    reference: datetime
    # The site's own proxies beyond private networks (a CDN's edges): behind them too the
    # client is read from X-Forwarded-For.
    proxies: Networks = ()


def json_object(line: str) -> dict[str, Any]:
    """A JSON line that must hold one object (ECS, JSON access logs, journal entries)."""
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise Malformed("not valid JSON") from error
    if not isinstance(document, dict):
        raise Malformed("a JSON line must be an object")
    if too_deep(document):
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH} levels")
    if ("\\ud" in line or "\\uD" in line) and has_lone_surrogate(document):
        raise Malformed("invalid Unicode: a lone surrogate escape")
    return document


# No log format nests this deep; deeper nesting is an attack on the recursive code after us.
MAX_DEPTH = 32


def too_deep(document: Any) -> bool:
    """Whether lists and objects nest deeper than MAX_DEPTH (without recursion)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            pending += [(child, depth + 1) for child in value.values()]
        elif isinstance(value, list):
            pending += [(child, depth + 1) for child in value]
    return False


def has_lone_surrogate(document: Any) -> bool:
    """A `\\ud800` escape without its pair: valid JSON, but no UTF-8 can carry it."""
    try:
        json.dumps(document, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def in_utc(moment: datetime) -> datetime:
    """An aware time in UTC; Malformed when the offset takes it past year 1 or 9999."""
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise Malformed("time out of range") from error


ParseLine = Callable[[str, int, LineContext], Event | None]


@dataclass(frozen=True, slots=True)
class Format:
    """One input format: a quick sniff for auto-detection and the line parser.

    `parse` returns None for a well-formed line that carries no security event
    (a cron line in a syslog file, say) and raises Malformed for a broken one.
    """

    name: str
    sniff: Callable[[str], bool]
    parse: ParseLine
