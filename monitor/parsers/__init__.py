"""Parsers: raw lines to events, one module per input format, auto-detected per file."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.parsers import access, ecs, journald, sshd
from monitor.parsers.base import Format, LineContext, Malformed

FORMATS: dict[str, Format] = {
    "sshd": sshd.FORMAT,
    "nginx": access.FORMAT,
    "apache": access.FORMAT,
    "ecs": ecs.FORMAT,
    "journald": journald.FORMAT,
}
# Most specific first: a JSON line could never pass the others, an access line never sshd's.
# Journal JSON before ECS: an ECS line has no "__CURSOR" key, and a journal line can only
# carry "@timestamp" escaped inside a string value, which ECS's sniff does not take.
DETECTION_ORDER = ("journald", "ecs", "nginx", "sshd")
SNIFF_LINES = 20


def detect_format(lines: Iterable[str]) -> Format | None:
    """The format most of the first non-empty lines fit, or None when none fits."""
    votes = dict.fromkeys(DETECTION_ORDER, 0)
    for index, line in enumerate(line for line in lines if line.strip()):
        if index >= SNIFF_LINES:
            break
        for name in DETECTION_ORDER:
            if FORMATS[name].sniff(line):
                votes[name] += 1
                break
    best = max(DETECTION_ORDER, key=lambda name: votes[name])
    return FORMATS[best] if votes[best] else None


__all__ = ["FORMATS", "Format", "LineContext", "Malformed", "detect_format"]
