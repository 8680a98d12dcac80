"""Parsers: raw lines to events, one module per input format, auto-detected per file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from monitor.parsers import access, ecs, journald, sshd
from monitor.parsers.base import Format, LineContext, Malformed

FORMATS: dict[str, Format] = {
    "sshd": sshd.FORMAT,
    "nginx": access.FORMAT,
    "apache": access.APACHE,
    "ecs": ecs.FORMAT,
    "journald": journald.FORMAT,
}
# Most specific first: a JSON line could never pass the others, an access line never sshd's.
# Journal JSON before ECS: an ECS line has no "__CURSOR" key, and a journal line can only
# carry "@timestamp" escaped inside a string value, which ECS's sniff does not take.
# The ECS sniff leaves JSON access logs (nginx, Traefik, Caddy, Envoy) to the nginx format.
DETECTION_ORDER = ("journald", "ecs", "nginx", "sshd")
SNIFF_LINES = 20


def detect_format(lines: Iterable[str]) -> Format | None:
    """The format most of the first non-empty lines fit, or None when none fits."""
    votes: Counter[str] = Counter()
    for index, line in enumerate(line for line in lines if line.strip()):
        if index >= SNIFF_LINES:
            break
        form = sniff_line(line)
        if form is not None:
            votes[form.name] += 1
    best = max(DETECTION_ORDER, key=lambda name: votes[name])  # ties: the most specific
    return FORMATS[best] if votes[best] else None


def sniff_line(line: str) -> Format | None:
    """The format one line fits, the most specific first."""
    for name in DETECTION_ORDER:
        if FORMATS[name].sniff(line):
            return FORMATS[name]
    return None


__all__ = ["FORMATS", "Format", "LineContext", "Malformed", "detect_format", "sniff_line"]
