"""Parse one file's lines in order, sorting them into events, ignored lines and dead letters."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.events import Event
from monitor.parsers import FORMATS, Format, LineContext, Malformed, sniff_line
from monitor.parsers.attempts import Attempts
from monitor.parsers.routes import RouteMap
from monitor.sources.follower import Line
from monitor.wire import UNENCODABLE, encode_events

log = logging.getLogger(__name__)

UNRECOGNISED = "no known format recognised in this file yet; set `format` for this source"


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


class FileParser:
    """The parser of one file: what spans its lines (its format, once a line shows it, and
    the sshd connections whose attempts span several lines) lives here between batches.
    With a route map, requests to the website's known URLs become the audit events they are."""

    def __init__(self, form: Format | None = None, routes: RouteMap | None = None) -> None:
        self.form = form
        self.routes = routes
        self.attempts = Attempts()

    def parse(self, context: LineContext, lines: Iterable[Line]) -> Parsed:
        """Parse a batch; what it learnt of the connections counts once `commit()` says so."""
        parsed = Parsed()
        attempts = self.attempts
        attempts.begin()  # parsed again after a failed commit: starts where the first did
        events = parsed.events
        for offset, raw, truncated in lines:
            if truncated:
                parsed.dead.append(DeadLetter(context.path, offset, "line too long, cut", raw))
                continue
            # Trailing blanks (an editor's, a relay's) must not fail patterns anchored at the end.
            text = raw.rstrip()
            if not text:
                parsed.ignored += 1
                continue
            try:
                form = self.form or self.recognise(text)
                if form is not None:
                    event = form.parse(text, offset, context)
                else:
                    event = unrecognised(text, offset, context)
                if event is None:
                    parsed.ignored += 1
                elif event.action == "http-request" and self.routes is not None:
                    events.append(self.routes.apply(event))
                else:
                    attempts.mark(event, events)
            except Malformed as error:
                parsed.dead.append(DeadLetter(context.path, offset, str(error), raw))
            except Exception as error:  # a parser's flaw costs this line, never the source
                log.warning(
                    "parser failed on %s at offset %d: %s", context.path, offset, type(error)
                )
                reason = f"parser failed: {type(error).__name__}"
                parsed.dead.append(DeadLetter(context.path, offset, reason, raw))
        return parsed

    def commit(self) -> None:
        """The last batch parsed is stored: the next one follows on from it."""
        self.attempts.stored()

    def recognise(self, text: str) -> Format | None:
        """The format of a file whose first lines showed none, from the first line that does."""
        self.form = sniff_line(text)
        return self.form


def unrecognised(text: str, offset: int, context: LineContext) -> Event | None:
    """A line of a file whose format no line has shown yet."""
    # A syslog line of another program before the first sshd line: not a broken line.
    if FORMATS["sshd"].parse(text, offset, context) is None:
        return None
    raise Malformed(UNRECOGNISED)


def sift_unencodable(parsed: Parsed, lines: Sequence[Line]) -> None:
    """Move the events the stream cannot carry (a value past 64 bits, a lone surrogate) to
    dead letters. Called only when a batch failed to encode, so the good path pays nothing."""
    texts = {line.offset: line.text for line in lines}
    kept: list[Event] = []
    for event in parsed.events:
        try:
            encode_events([event])
        except UNENCODABLE as error:
            reason = f"a value the event stream cannot carry: {type(error).__name__}"
            line = texts.get(event.offset or 0, "")
            parsed.dead.append(DeadLetter(event.file_path or "", event.offset or 0, reason, line))
        else:
            kept.append(event)
    parsed.events = kept
