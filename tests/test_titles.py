"""Incident titles say what happened in words, with the counts as they are now."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from msgspec.structs import replace

from detectors.account_takeover.logins import SAFARI_IPHONE, T0
from detectors.engine import Detection
from monitor.events import Event
from monitor.incidents import Incident, IncidentStore
from monitor.incidents.titles import live_title
from monitor.store.keys import Keys
from tests.test_affected import DETECTORS, HANOI, LONDON, success, web_failures


async def incidents_of(
    redis: aioredis.Redis, store: IncidentStore, detector: str, events: tuple[Event, ...]
) -> list[Incident]:
    detection = Detection(redis, Keys("vigil"), [DETECTORS[detector]], isolate=False)
    for event in events:
        await store.record(await detection.process([event]))
    return [i for i in await store.list() if i.detector == detector]


async def test_credential_stuffing_says_how_many_tried_and_how_many_got_in(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    attacker = "203.0.113.60"
    stuffed = web_failures(attacker, [f"cust-11{n:02d}" for n in range(20)])
    events = (*stuffed, success("cust-1031", attacker, 240), success("cust-1032", attacker, 250))
    (incident,) = await incidents_of(redis, store, "account_takeover.credential_stuffing", events)
    assert incident.title == (
        "Credential stuffing from 203.0.113.60 against 15+ accounts"
        " — 22 login attempts, 2 customer accounts logged in"
    )
    assert incident.event_count == 22


async def test_mfa_fatigue_counts_every_prompt_from_the_first(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    prompts = tuple(
        Event(
            timestamp=T0 + n * timedelta(seconds=20),
            action="mfa-challenge",
            user="cust-1003",
            customer_id="C-1003",
            source_ip=LONDON,
            file_path="/var/log/als/audit.json",
            offset=n,
        )
        for n in range(7)
    )
    (incident,) = await incidents_of(redis, store, "account_takeover.mfa_fatigue", prompts)
    assert incident.title == "MFA fatigue: prompts pushed to cust-1003 — 7 prompts"
    assert (incident.event_count, incident.first_seen) == (7, "2026-03-01T02:00:00.000Z")


async def test_a_hijacked_session_is_named_by_whom_it_logged_in_as(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    own = replace(success("cust-1030", HANOI, 0), session_id="s-1030")
    stolen = Event(
        timestamp=T0 + timedelta(minutes=20),
        action="customer-record-view",
        source_ip=LONDON,
        user_agent=SAFARI_IPHONE,
        session_id="s-1030",
        customer_id="C-1099",
        file_path="/var/log/als/audit.json",
        offset=2,
    )
    detector = "impersonation.session_hijack"
    (incident,) = await incidents_of(redis, store, detector, (own, stolen))
    assert incident.title.startswith("Session hijack: cust-1030's session used from another")
    assert incident.entities["user"] == "cust-1030"


@pytest.mark.parametrize(
    ("detector", "events", "customers", "said"),
    [
        ("account_takeover.brute_force", 1, 0, "X — 1 failed login"),
        ("bulk_access.scraping", 150, 130, "X — 130 customers"),
        (
            "account_takeover.password_spray",
            40,
            0,
            "X — 40 login attempts, no customer account logged in",
        ),
        ("integrity.file_change", 1, 0, "X"),
    ],
)
def test_the_counts_read_as_words(detector: str, events: int, customers: int, said: str) -> None:
    assert live_title(detector, "X", events, customers) == said
