"""Parse the lines of one file, sorting them into events, ignored lines and dead letters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.events import Event
from monitor.parsers.base import Format, LineContext, Malformed
from monitor.sources.follower import Line


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A line that could not be parsed, kept with where it was and why."""

    path: str
    offset: int
    reason: str
    line: str


@dataclass(slots=True)
class Parsed:
    events: list[Event] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    ignored: int = 0


def parse_lines(form: Format, context: LineContext, lines: Iterable[Line]) -> Parsed:
    parsed = Parsed()
    for line in lines:
        if line.truncated:
            parsed.dead.append(
                DeadLetter(context.path, line.offset, "line too long, cut", line.text)
            )
            continue
        if not line.text.strip():
            parsed.ignored += 1
            continue
        try:
            event = form.parse(line.text, line.offset, context)
        except Malformed as error:
            parsed.dead.append(DeadLetter(context.path, line.offset, str(error), line.text))
            continue
        if event is None:
            parsed.ignored += 1
        else:
            parsed.events.append(event)
    return parsed
