"""A window that only the events it admits ask about is read only for those: a request that
does not probe, inject, ask for secrets or read a page leaves those windows unread."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from detectors import build_detectors
from detectors.engine import Detection
from detectors.history import RedisHistory
from detectors.windows import Series
from monitor.events import Event
from monitor.settings import Settings
from monitor.store.keys import Keys


async def test_no_detector_asks_such_a_window_about_an_event_it_does_not_admit(
    redis: aioredis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    detectors = build_detectors(settings)
    marked = {w.name: w for d in detectors for w in d.windows if w.asked_when_admitted}
    assert {
        "injections_by_ip",
        "sensitive_requests_by_ip",
        "pages_by_ip",
        "login_successes_by_account",
    } <= set(marked)
    asked: list[tuple[str, Event]] = []
    place = RedisHistory.place

    def recording(self: RedisHistory, name: str, group: str, at: Event) -> tuple[Series, int]:
        asked.append((name, at))
        return place(self, name, group, at)

    monkeypatch.setattr(RedisHistory, "place", recording)
    # Every detector's examples at once: scans, injections, secrets, crawls and quiet
    # visitors, logins and record views, one batch.
    events = [event for d in detectors for example in d.examples() for event in example.events]
    await Detection(redis, Keys("asked"), detectors, isolate=False).process(events)
    wrong = [
        (name, at.url_path) for name, at in asked if name in marked and not marked[name].admits(at)
    ]
    assert not wrong
    assert {name for name, _ in asked} >= set(marked)  # each of them was asked something
