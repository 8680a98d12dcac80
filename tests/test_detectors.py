"""Every detector's inline examples, run through the real Redis-backed windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from detectors import build_detectors
from detectors.account_takeover import BruteForce
from detectors.base import Detector, Example, Window
from detectors.engine import Detection
from monitor.detector_settings import BruteForceSettings
from monitor.events import Event
from monitor.findings import Finding
from monitor.settings import load_settings
from monitor.store.keys import Keys

DETECTORS = build_detectors(load_settings())
CASES = [(detector, example) for detector in DETECTORS for example in detector.examples()]


@pytest.mark.parametrize(
    ("detector", "example"), CASES, ids=[f"{d.id}: {e.name}" for d, e in CASES]
)
async def test_example(redis: aioredis.Redis, detector: Detector, example: Example) -> None:
    detection = Detection(redis, Keys("vigil"), [detector], isolate=False)
    # One event a batch, as a live service sees them: state must carry across batches.
    findings: list[Finding] = []
    for event in example.events:
        findings = await detection.process([event])
    # A finding that only extends an open incident is no alarm of its own.
    assert any(not finding.extends_only for finding in findings) is example.fires


def test_every_detector_has_a_firing_and_a_quiet_example_and_a_runbook() -> None:
    ids = [detector.id for detector in DETECTORS]
    assert len(ids) == len(set(ids))
    for detector in DETECTORS:
        outcomes = {example.fires for example in detector.examples()}
        assert outcomes == {True, False}, detector.id
        assert detector.runbook and detector.mitre.startswith("T")


class Exploding:
    """A detector with a bug: it raises on every event."""

    id = "test.exploding"
    family = "integrity"
    title = "Exploding"
    severity = DETECTORS[0].severity
    mitre = "T0000"
    runbook = "none"
    windows: tuple[Window, ...] = ()
    actions = frozenset({"ssh-login"})

    def evaluate(self, event: Event, history: object) -> Finding | None:
        raise RuntimeError("bug")

    def examples(self) -> tuple[Example, ...]:
        return ()


async def test_a_detector_that_raises_is_isolated_and_counted(redis: aioredis.Redis) -> None:
    brute_force = DETECTORS[0]
    detection = Detection(redis, Keys("vigil"), [Exploding(), brute_force])
    firing = next(e for e in brute_force.examples() if e.fires)
    findings = [f for f in await detection.process(list(firing.events)) if not f.extends_only]
    assert [finding.detector for finding in findings] == ["account_takeover.brute_force"]
    assert detection.errors["test.exploding"] == len(firing.events)


class Failing:
    """A recorder whose statistics fail on the data, or with Redis gone."""

    id = "test.failing"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def record(self, redis: object, keys: object, events: object) -> None:
        raise self.error


async def test_a_recorder_failing_on_its_data_is_isolated_and_redis_away_is_not(
    redis: aioredis.Redis,
) -> None:
    brute_force = DETECTORS[0]
    firing = next(e for e in brute_force.examples() if e.fires)
    detection = Detection(redis, Keys("vigil"), [brute_force])
    detection.recorders = [Failing(ResponseError("WRONGTYPE"))]
    findings = await detection.process(list(firing.events))
    assert any(not finding.extends_only for finding in findings)  # the batch goes on
    assert detection.errors["test.failing"] == 1
    detection.recorders = [Failing(RedisConnectionError("gone"))]
    with pytest.raises(RedisConnectionError):  # the batch fails, to be processed again
        await detection.process(list(firing.events))


UNEVEN = BruteForce(BruteForceSettings(timed_window=timedelta(minutes=90)))


@pytest.mark.parametrize("example", UNEVEN.examples(), ids=lambda e: e.name)
async def test_brute_force_with_quiet_spans_of_two_lengths(
    redis: aioredis.Redis, example: Example
) -> None:
    """By default the slow and spread-out rules look back equally far and share one count;
    spans of two lengths are counted apart and the examples still hold."""
    assert len(UNEVEN.quiet_spans) == 2
    detection = Detection(redis, Keys("vigil"), [UNEVEN], isolate=False)
    findings: list[Finding] = []
    for event in example.events:
        findings = await detection.process([event])
    assert any(not finding.extends_only for finding in findings) is example.fires
