"""Holes an attacker or a curious user would try: echoed paths, huge bodies, bad query values,
cached API answers, customer ids in titles for roles that may not see them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from msgspec.structs import replace

from monitor.dashboard.users import Role, Users
from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from tests.test_api import api, bearer
from tests.test_dashboard import log_in, web

__all__ = ["api", "web"]  # fixtures
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
IMPERSONATION = Finding(
    detector="impersonation.staff_as_customer",
    family="impersonation",
    severity=Severity.HIGH,
    title="Staff hoa.nguyen imitating customer C-1001 (cust-1001)",
    key="actor=hoa.nguyen",
    entities={"actor": "hoa.nguyen", "customer": "cust-1001"},
    first_seen=T0,
    last_seen=T0,
    evidence=({"id": "audit.json:7", "@timestamp": "2026-03-02T02:00:00Z"},),
    affected_customers=frozenset({"C-1001"}),
)


async def test_an_error_page_escapes_the_path_it_echoes(web: httpx.AsyncClient) -> None:
    await log_in(web, Role.ONCALL)
    answer = await web.get("/incidents/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert answer.status_code == 404
    assert "<img" not in answer.text and "&lt;img src=x onerror=alert(1)&gt;" in answer.text


async def test_titles_name_customers_only_to_internal_control(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    client, users = api
    await store.record([IMPERSONATION])
    for role in (Role.ONCALL, Role.IT, Role.CUSTOMER_CARE):
        (seen,) = (await client.get("/api/incidents", headers=await bearer(users, role))).json()
        assert "C-1001" not in seen["title"] and "cust-1001" not in seen["title"]
        assert seen["title"].startswith("Staff hoa.nguyen imitating customer C")
        assert seen["affected_customers"] == ["1 customers (hidden)"]
    control = await bearer(users, Role.INTERNAL_CONTROL)
    (full,) = (await client.get("/api/incidents", headers=control)).json()
    assert full["title"] == IMPERSONATION.title


async def test_api_answers_are_not_cached_or_sniffed_and_bodies_are_bounded(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    client, users = api
    await store.record([replace(IMPERSONATION, key="k")])
    token = await bearer(users, Role.ONCALL)
    listed = await client.get("/api/incidents", headers=token)
    assert listed.headers["cache-control"] == "no-store"
    assert listed.headers["x-content-type-options"] == "nosniff"
    huge = {"ids": ["x"] * 200_000, "action": "ack"}
    refused = await client.post("/api/incidents/bulk", json=huge, headers=token)
    assert refused.status_code == 413
    for query in ("hours=99999999999", "limit=lots", "order=random", "status=gone"):
        assert (await client.get(f"/api/incidents?{query}", headers=token)).status_code == 400
