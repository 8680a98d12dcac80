"""The JSON API: bearer tokens, what each role may see and do, the audit log, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis.asyncio as aioredis

from monitor import status as status_view
from monitor.breach_commands import build_playbook
from monitor.dashboard.api import ApiParts
from monitor.dashboard.app import create_app
from monitor.dashboard.users import Role, Users
from monitor.events import reference_mark
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from monitor.service import Vigil
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.factories import customer_takeover

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
async def api(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Users]]:
    vigil = Vigil(settings, redis, keys, store, redis_url)
    users = Users(redis, keys)
    parts = ApiParts(
        store,
        users,
        build_playbook(vigil),
        frozenset({"hoa.nguyen"}),
        lambda: status_view.collect(vigil),
    )
    app = create_app(store, keys, b"k" * 32, frozenset(), api=parts)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil") as client:
        yield client, users


async def bearer(users: Users, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {await users.add_token(f'{role}-bot', role)}"}


async def test_no_or_a_wrong_token_is_refused(api: tuple[httpx.AsyncClient, Users]) -> None:
    client, _ = api
    assert (await client.get("/api/incidents")).status_code == 401
    wrong = {"Authorization": "Bearer vgl_not-a-token"}
    assert (await client.get("/api/incidents", headers=wrong)).status_code == 401


async def test_a_selection_with_digits_int_refuses_is_a_bad_request(
    api: tuple[httpx.AsyncClient, Users],
) -> None:
    client, users = api
    headers = await bearer(users, Role.VIEWER)
    for hours in ("\u00b9", "\u0663", "12\u00b2"):  # superscript one, Arabic-Indic three
        reply = await client.get("/api/incidents", params={"hours": hours}, headers=headers)
        assert reply.status_code == 400, hours
        assert "hours must be a whole number" in reply.text
    found = await client.get("/api/incidents", params={"hours": "12"}, headers=headers)
    assert found.status_code == 200


async def test_oncall_sees_customers_masked_internal_control_sees_them(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    client, users = api
    incident_id = await customer_takeover(store)
    oncall = (
        await client.get(f"/api/incidents/{incident_id}", headers=await bearer(users, Role.ONCALL))
    ).json()
    assert "cust-1003" not in str(oncall) and "C-1003" not in str(oncall)
    it = (await client.get("/api/incidents", headers=await bearer(users, Role.IT))).json()
    # IT learns how many customers are affected, never who.
    assert it[0]["affected_customers"] == ["1 customers (hidden)"] and "cust-1003" not in str(it)
    control = (
        await client.get(
            f"/api/incidents/{incident_id}", headers=await bearer(users, Role.INTERNAL_CONTROL)
        )
    ).json()
    assert control["affected_customers"] == ["C-1003"]
    assert control["entities"]["user"] == "cust-1003"


async def test_a_viewer_may_not_acknowledge_oncall_may(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    client, users = api
    incident_id = await customer_takeover(store)
    refused = await client.post(
        f"/api/incidents/{incident_id}/ack", headers=await bearer(users, Role.VIEWER)
    )
    assert refused.status_code == 403
    done = await client.post(
        f"/api/incidents/{incident_id}/ack", headers=await bearer(users, Role.ONCALL)
    )
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    again = await client.post(
        f"/api/incidents/{incident_id}/ack", headers=await bearer(users, Role.ONCALL)
    )
    assert again.status_code == 409
    audit = await redis.xrange(keys.users("audit"))
    assert [(e[b"who"], e[b"action"]) for _, e in audit] == [(b"token:oncall-bot", b"acknowledged")]


async def test_internal_control_declares_and_customer_care_follows_the_notices(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    client, users = api
    incident_id = await customer_takeover(store)
    oncall = await client.post(
        "/api/breaches",
        json={"incidents": [incident_id], "summary": "takeover"},
        headers=await bearer(users, Role.ONCALL),
    )
    assert oncall.status_code == 403
    declared = await client.post(
        "/api/breaches",
        json={"incidents": [incident_id], "summary": "takeover"},
        headers=await bearer(users, Role.INTERNAL_CONTROL),
    )
    assert declared.status_code == 201 and declared.json()["queued"] == 1
    status = await client.get(
        f"/api/breaches/{declared.json()['id']}?recipients=true",
        headers=await bearer(users, Role.CUSTOMER_CARE),
    )
    (recipient,) = status.json()["recipients"]
    assert (recipient["customer"], recipient["language"], recipient["state"]) == (
        "C-1003",
        "vi",
        "pending",
    )
    assert recipient["contact"]["email"] == "cust1003@example.com"  # customer care may see it
    assert status.json()["authority"] == {"phase 1": "not filed yet"}  # a draft to sign


async def test_silences_through_the_api(api: tuple[httpx.AsyncClient, Users]) -> None:
    client, users = api
    headers = await bearer(users, Role.ONCALL)
    made = await client.post(
        "/api/silences",
        headers=headers,
        json={"reason": "pen test", "minutes": 60, "entity": "ip=203.0.113.7"},
    )
    assert made.status_code == 201
    listed = (await client.get("/api/silences", headers=headers)).json()
    assert [s["entity"] for s in listed] == ["ip=203.0.113.7"]
    gone = await client.delete(f"/api/silences/{made.json()['id']}", headers=headers)
    assert gone.json()["state"] == "expired"
    empty = await client.post("/api/silences", headers=headers, json={"reason": "x", "minutes": 5})
    assert empty.status_code == 422


async def test_openapi_and_metrics(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    client, users = api
    await customer_takeover(store)
    assert (await client.get("/openapi.json")).status_code == 401
    assert (await client.get("/metrics")).status_code == 401
    it = await bearer(users, Role.IT)
    assert (
        await client.get("/metrics", headers=await bearer(users, Role.ONCALL))
    ).status_code == 403
    schema = (await client.get("/openapi.json", headers=it)).json()
    assert "/api/incidents/{incident_id}/ack" in schema["paths"]
    metrics = (await client.get("/metrics", headers=it)).text
    assert 'vigil_incidents_by_family{family="account_takeover"} 1.0' in metrics
    assert 'vigil_incidents_by_severity{severity="high"} 1.0' in metrics


async def test_a_disabled_token_is_refused(api: tuple[httpx.AsyncClient, Users]) -> None:
    client, users = api
    headers = await bearer(users, Role.VIEWER)
    assert (await client.get("/api/incidents", headers=headers)).status_code == 200
    assert await users.disable_token("viewer-bot") == 1
    assert (await client.get("/api/incidents", headers=headers)).status_code == 401


async def test_an_incident_lists_its_first_customers_and_the_api_gives_them_all(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    client, users = api
    reads = [
        extension_of_scrape(f"C-{2000 + n}", n) for n in range(150)
    ]  # an export or a scrape of 150 records, gathered past the threshold
    (change,) = await store.record([scrape_crossing(), *reads])
    incident = await store.get(change.incident_id)
    assert incident is not None and incident.affected_count == 151
    assert list(incident.affected_customers) == sorted(incident.affected_customers)
    assert len(incident.affected_customers) == store.settings.customers_shown == 100
    assert incident.to_dict()["affected_customers_count"] == 151
    path = f"/api/incidents/{change.incident_id}/customers"
    everyone = await client.get(path, headers=await bearer(users, Role.INTERNAL_CONTROL))
    assert everyone.status_code == 200 and len(everyone.json()) == 151
    assert "C-2149" in everyone.json()
    refused = await client.get(path, headers=await bearer(users, Role.ONCALL))
    assert refused.status_code == 403


def scrape_crossing() -> Finding:
    return Finding(
        detector="bulk_access.scraping",
        family="bulk_access",
        severity=Severity.HIGH,
        title="Customer records read by ip 198.51.100.90",
        key="ip=198.51.100.90",
        entities={"ip": "198.51.100.90"},
        first_seen=T0,
        last_seen=T0,
        evidence=({"id": "access.log:0", "@timestamp": "2026-03-02T02:00:00.000Z"},),
        affected_customers=frozenset({"C-1999"}),
    )


def extension_of_scrape(customer: str, n: int) -> Finding:
    at = T0 + timedelta(seconds=n + 1)
    reference = {"id": f"access.log:{n + 1}", "@timestamp": at.isoformat()}
    return Finding(
        detector="bulk_access.scraping",
        family="bulk_access",
        severity=Severity.HIGH,
        title="Customer records read",
        key="ip=198.51.100.90",
        entities={},
        first_seen=at,
        last_seen=at,
        evidence=(),
        affected_customers=frozenset({customer}),
        marks=(reference_mark(reference),),
        extends_only=True,
    )
