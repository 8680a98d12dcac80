"""Run every detector over a batch of events; one detector's exception never stops the rest."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Mapping, Sequence
from datetime import timedelta
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from detectors.base import Detector, Window
from detectors.gathering import Gathering
from detectors.held import Held
from detectors.history import RedisHistory, Tally
from detectors.volume import Recorder
from monitor.events import Event
from monitor.findings import Finding
from monitor.store.keys import Keys

log = logging.getLogger(__name__)
# Evaluation gives the event loop a turn this often, so that other batches' round trips go
# on meanwhile (a window reply of megabytes is read a piece at each turn).
SLICE_SECONDS = 0.0005


class Turn(Protocol):
    """A batch's place in line for the windows (see monitor.pipeline.turns)."""

    async def wait(self) -> None: ...

    async def done(self) -> None: ...


class Detection:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        detectors: Sequence[Detector],
        isolate: bool = True,
        suppression: timedelta = timedelta(0),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.detectors = tuple(detectors)
        widest: dict[str, Window] = {}
        for detector in self.detectors:
            for window in detector.windows:
                known = widest.get(window.name)
                widest[window.name] = window if known is None else known.widest(window)
        windows: dict[str, dict[str, Window]] = {}
        for detector in self.detectors:
            for action in detector.actions:
                windows.setdefault(action, {}).update(
                    (w.name, widest[w.name])
                    for w in detector.windows
                    if w.actions is None or action in w.actions
                )
        self.windows = {action: tuple(found.values()) for action, found in windows.items()}
        self.by_action: dict[str, tuple[Detector, ...]] = {}
        for detector in self.detectors:
            for action in detector.actions:
                self.by_action[action] = (*self.by_action.get(action, ()), detector)
        self.recorders: list[Recorder] = [d for d in self.detectors if isinstance(d, Recorder)]
        # Tests turn isolation off so that a detector's bug fails the test that meets it.
        self.isolate = isolate
        # The incident store's suppression window (settings.incidents, as the store's): runs
        # of extensions within it are gathered into one finding as the store would fold them.
        # Never longer than the store's, or a run could bridge a gap the store splits; 0
        # gathers only those of one moment, right for any window.
        self.suppression = suppression
        self.errors: Counter[str] = Counter()
        # The distinct tallies of the last batch: the next one slides them on, not rebuilds.
        self.tallies: Mapping[tuple[str, int, str, str], Tally] = {}
        # Copies of the window keys this process wrote last: a flood's windows are not read back.
        self.held = Held()

    async def load(
        self, ordered: Sequence[Event], turn: Turn | None, settled: int | None
    ) -> RedisHistory:
        """The batch's windows, written in its turn (a batch with nothing to add still takes
        its turn, or the next one would wait for it)."""
        if turn is not None:
            await turn.wait()
        history = (
            await RedisHistory.load(
                self.redis, self.keys, self.windows, ordered, settled, self.held
            )
            if ordered
            else RedisHistory({})
        )
        if turn is not None:
            await turn.done()
        return history

    async def process(
        self,
        events: Sequence[Event],
        turn: Turn | None = None,
        settled: int | None = None,
        after: Awaitable[object] | None = None,
    ) -> list[Finding]:
        """Findings of every detector for every event, in event order.

        With several workers, `turn` puts the window updates in stream order: the windows a
        batch reads hold every earlier batch and no later one, as with one worker.
        `settled` is the earliest event of any batch not yet stored (default: this one's):
        window trims stop there, so that batch, replayed, reads what it read the first time.
        `after`: evaluation waits for it (a worker's batch before this one, evaluating).
        """
        relevant = [event for event in events if event.action in self.by_action]
        # Ties in time are broken as Redis orders window members: by the reference key.
        ordered = sorted(relevant, key=lambda event: (event.epoch_ms, event.reference_key()))
        history = await self.load(ordered, turn, settled)
        if not ordered:
            return []
        if after is not None:
            await after
        # The batch takes the tallies for itself (another one evaluating at once starts
        # afresh); the batch that ends last leaves its own for the next.
        history.carried, self.tallies = self.tallies, {}
        findings = await self.evaluate(ordered, history)
        self.tallies = history.tallies
        await self.record(ordered)
        return findings

    async def record(self, ordered: Sequence[Event]) -> None:
        """The recorders' statistics of the batch. One that fails on the data is counted and
        logged as a detector would be (else the batch would fail again at every replay); a
        Redis gone away fails the batch, which is then processed again."""
        for recorder in self.recorders:
            try:
                await recorder.record(self.redis, self.keys, ordered)
            except (RedisConnectionError, RedisTimeoutError):
                raise
            except Exception:
                if not self.isolate:
                    raise
                self.errors[recorder.id] += 1
                log.exception("recorder %s failed on %d events", recorder.id, len(ordered))

    async def evaluate(self, ordered: Sequence[Event], history: RedisHistory) -> list[Finding]:
        """Every detector of each event's action, in order; now and then the event loop runs
        (every SLICE_SECONDS), so that other batches' round trips go on meanwhile."""
        gathering = Gathering(self.suppression)
        due = time.perf_counter() + SLICE_SECONDS
        for index, event in enumerate(ordered):
            if not index % 32 and time.perf_counter() > due:
                await asyncio.sleep(0)
                due = time.perf_counter() + SLICE_SECONDS
            for detector in self.by_action[event.action]:
                try:
                    finding = detector.evaluate(event, history)
                except Exception:
                    if not self.isolate:
                        raise
                    self.errors[detector.id] += 1
                    log.exception("detector %s failed on event %s", detector.id, event.id)
                    continue
                if isinstance(finding, tuple):
                    for each in finding:
                        gathering.add(each)
                elif finding is not None:
                    gathering.add(finding)
        return gathering.findings()
