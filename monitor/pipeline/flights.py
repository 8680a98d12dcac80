"""A detect worker's batches in flight: while one evaluates, Redis writes the next one's windows
and the findings of the one before, each batch in its turn as several workers' batches would be."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from monitor.pipeline.turns import StreamTurn

# Batches a worker's run keeps in flight: one evaluates while the other writes its windows
# or stores its findings. Three gained about 6 % more wall time on a backlog but held a
# third batch in memory (detect peak RSS 255 -> 314 MiB on 300,000 lines; the bar is 300).
IN_FLIGHT = 2


@dataclass(frozen=True, slots=True)
class Flight:
    """A batch as the next one of the same worker's run sees it: that one evaluates once this
    one has, and waits for this one's turns here rather than by asking Redis."""

    windows: StreamTurn
    findings: StreamTurn
    evaluated: asyncio.Future[None]
    # The evaluation of the same worker's batch before this one, if one is in flight.
    after: asyncio.Future[None] | None = None

    def end(self) -> None:
        """The batch is over (done, or failed): the next one waits for it no longer."""
        if not self.evaluated.done():
            self.evaluated.set_result(None)
        self.windows.over.set()
        self.findings.over.set()
