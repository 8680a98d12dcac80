"""What every parser shares: where a line came from, and how a line is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from monitor.events import Event


class Malformed(ValueError):
    """A line that does not have the shape its format promises; it is dead-lettered."""


@dataclass(frozen=True, slots=True)
class LineContext:
    """Where lines are read from: the file, the zone of zone-less times, the year reference."""

    path: str
    zone: tzinfo
    # Syslog lines carry no year: the latest moment a line can be from (the file's mtime).
    reference: datetime


def json_object(line: str) -> dict[str, Any]:
    """A JSON line that must hold one object (ECS, JSON access logs, journal entries)."""
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise Malformed("not valid JSON") from error
    if not isinstance(document, dict):
        raise Malformed("a JSON line must be an object")
    return document


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
