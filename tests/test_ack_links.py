"""Signed acknowledgement links: one incident, expiring, once; a GET never changes anything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from monitor.dashboard.app import create_app
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore, Status
from monitor.store.keys import Keys
from notifications.tokens import sign

SECRET = b"s" * 32
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(
    store: IncidentStore, keys: Keys, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(store, keys, SECRET, frozenset({"hoa.nguyen"}), clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil") as client:
        yield client


async def incident(store: IncidentStore, ip: str = "203.0.113.7") -> str:
    finding = Finding(
        detector="account_takeover.compromise_after_failures",
        family="account_takeover",
        severity=Severity.HIGH,
        title="Login as cust-1001 after 7 failures",
        key=f"user={ip}",
        entities={"user": "cust-1001", "ip": ip},
        first_seen=T0,
        last_seen=T0,
        evidence=({"id": f"a:{ip}", "@timestamp": "2026-03-02T02:00:00Z"},),
    )
    (change,) = await store.record([finding])
    return change.incident_id


def link(incident_id: str, ttl: timedelta = timedelta(hours=24)) -> str:
    return "/ack/" + sign(SECRET, incident_id, "hoa.nguyen", T0, ttl)


async def status_of(store: IncidentStore, incident_id: str) -> Status:
    found = await store.get(incident_id)
    assert found is not None
    return found.status


async def test_opening_the_link_shows_the_incident_without_acknowledging(
    client: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await incident(store)
    page = await client.get(link(incident_id))
    assert page.status_code == 200
    assert incident_id in page.text and "Acknowledge as hoa.nguyen" in page.text
    assert "cust-1001" not in page.text  # the customer's username is masked
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert await status_of(store, incident_id) is Status.OPEN


async def test_the_button_acknowledges_once(
    client: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await incident(store)
    url = link(incident_id)
    done = await client.post(url)
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert await status_of(store, incident_id) is Status.ACKNOWLEDGED
    again = await client.post(url)
    assert again.status_code == 400 and "already been used" in again.text
    found = await store.get(incident_id)
    assert found is not None and found.timeline[-1]["by"] == "hoa.nguyen"


async def test_a_tampered_link_is_refused(client: httpx.AsyncClient, store: IncidentStore) -> None:
    mine, other = await incident(store), await incident(store, "198.51.100.4")
    payload, mac = link(mine).removeprefix("/ack/").split(".")
    forged = sign(b"x" * 32, other, "hoa.nguyen", T0, timedelta(hours=1)).split(".")[0]
    for token in (f"{forged}.{mac}", f"{payload}.{mac[:-2]}AA", "garbage"):
        answer = await client.post(f"/ack/{token}")
        assert answer.status_code == 400
    assert await status_of(store, other) is Status.OPEN
    assert await status_of(store, mine) is Status.OPEN


async def test_an_expired_link_is_refused(
    client: httpx.AsyncClient, store: IncidentStore, clock: Clock
) -> None:
    incident_id = await incident(store)
    url = link(incident_id, ttl=timedelta(hours=1))
    clock.now = T0 + timedelta(hours=1, seconds=1)
    answer = await client.post(url)
    assert answer.status_code == 400 and "expired" in answer.text
    assert await status_of(store, incident_id) is Status.OPEN
