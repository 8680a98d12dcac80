"""The incident list on a bad day, through the pages and the API: filters answered in Redis,
cursor pages with exact totals, bulk moves, exports for internal control, bad values refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import httpx
from msgspec.structs import replace

from monitor.dashboard.users import Role, Users
from monitor.findings import Severity
from monitor.incidents import IncidentStore
from tests.test_api import api, bearer
from tests.test_dashboard import log_in, web
from tests.test_selection import brute_force, tampering

__all__ = ["api", "web"]  # fixtures
NOW = datetime.now(UTC).replace(microsecond=0)


async def flood(store: IncidentStore, count: int) -> None:
    start = NOW - timedelta(hours=2)
    await store.record([brute_force(n, start + timedelta(seconds=n)) for n in range(count)])
    await store.record([tampering(start - timedelta(minutes=5))])


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="/incidents/[^"]+">([^<]+)</a>', page)


async def test_the_family_filter_finds_the_integrity_incident_under_a_flood(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    await flood(store, 520)
    await log_in(web, Role.ONCALL)
    page = (await web.get("/", params={"family": "integrity"})).text
    assert titles(page) == ["Payments config changed on web-01 by Deploy"]
    assert "<b>1</b> match these filters" in page
    everything = (await web.get("/")).text
    assert "<b>521</b> match these filters" in everything
    assert len(titles(everything)) == 100


async def test_next_pages_walk_the_whole_selection(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    await flood(store, 250)
    await log_in(web, Role.ONCALL)
    seen: list[str] = []
    address = "/?family=intrusion"
    while address:
        page = (await web.get(address.replace("&amp;", "&"))).text
        seen += titles(page)
        found = re.search(r'id="next-page" href="([^"]+)"', page)
        address = found.group(1) if found else ""
    assert len(seen) == 250 and len(set(seen)) == 250


async def test_bad_filter_values_are_a_400_not_a_500(
    web: httpx.AsyncClient, api: tuple[httpx.AsyncClient, Users]
) -> None:
    await log_in(web, Role.ONCALL)
    client, users = api
    token = await bearer(users, Role.ONCALL)
    for query in ("hours=99999999999", "since=yesterday", "cursor=abc", "family=nope"):
        assert (await web.get(f"/?{query}")).status_code == 400
        assert (await client.get(f"/api/incidents?{query}", headers=token)).status_code == 400


async def test_oncall_acknowledges_a_selection_in_one_go(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    await flood(store, 30)
    csrf = await log_in(web, Role.ONCALL)
    page = (await web.get("/", params={"family": "intrusion"})).text
    chosen = re.findall(r'name="id" value="([^"]+)"', page)[:12]
    answer = await web.post(
        "/incidents/bulk",
        content="&".join([f"csrf={csrf}", "action=ack", *(f"id={i}" for i in chosen)]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 303
    acked = (await web.get("/", params={"status": "acknowledged"})).text
    assert "<b>12</b> match these filters" in acked
    forged = await web.post("/incidents/bulk", data={"action": "ack", "id": chosen[0]})
    assert forged.status_code == 403


async def test_internal_control_exports_the_view_and_others_may_not(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    await flood(store, 40)
    formula = replace(tampering(NOW), title='=HYPERLINK("http://evil") Payments', key="x")
    await store.record([formula])
    await log_in(web, Role.INTERNAL_CONTROL)
    exported = await web.get("/incidents.csv", params={"family": "integrity"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["title"] for row in rows] == [
        '\'=HYPERLINK("http://evil") Payments',
        "Payments config changed on web-01 by Deploy",
    ]
    assert rows[1]["affected_customers"] == "C-1001"
    whole = (await web.get("/incidents.json", params={"entity": "198.51.0.3"})).json()
    assert [i["entities"]["ip"] for i in whole] == ["198.51.0.3"]
    audit = (await web.get("/audit")).text
    assert "exported incidents" in audit
    await log_in(web, Role.ONCALL)
    assert (await web.get("/incidents.csv")).status_code == 403


async def test_the_api_pages_with_a_cursor_and_counts_exactly(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    await flood(store, 120)
    client, users = api
    token = await bearer(users, Role.ONCALL)
    seen: list[str] = []
    params: dict[str, str] = {"family": "intrusion", "limit": "50"}
    while True:
        answer = await client.get("/api/incidents", params=params, headers=token)
        assert answer.headers["x-total-count"] == "120"
        seen += [incident["id"] for incident in answer.json()]
        if "x-next-cursor" not in answer.headers:
            break
        params["cursor"] = answer.headers["x-next-cursor"]
    assert len(set(seen)) == 120
    high = await client.get("/api/incidents?severity=high&severity=critical", headers=token)
    assert [i["severity"] for i in high.json()] == [str(Severity.HIGH)]


async def test_the_api_resolves_in_bulk_and_answers_for_each(
    api: tuple[httpx.AsyncClient, Users], store: IncidentStore
) -> None:
    await flood(store, 3)
    client, users = api
    oncall, it = await bearer(users, Role.ONCALL), await bearer(users, Role.IT)
    ids = [i["id"] for i in (await client.get("/api/incidents", headers=oncall)).json()]
    body = {"ids": [*ids[:2], "0000000000-9"], "action": "resolve", "classification": "benign"}
    viewer = await client.post("/api/incidents/bulk", json=body, headers=it)
    assert viewer.status_code == 403
    answer = await client.post("/api/incidents/bulk", json=body, headers=oncall)
    outcomes = answer.json()
    assert [outcomes[i] for i in ids[:2]] == ["resolved", "resolved"]
    assert "no incident" in outcomes["0000000000-9"]
