"""The breach page: the filing recorded there stops the clock; confirmation and withdrawal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import redis.asyncio as aioredis

from monitor import status as status_view
from monitor.dashboard.api import ApiParts
from monitor.dashboard.app import create_app
from monitor.dashboard.users import Role, Users
from monitor.incidents import IncidentStore
from monitor.service import Vigil
from monitor.settings import Settings
from monitor.store.keys import Keys
from playbooks.playbook import Playbook
from tests.breach_parts import T0, clock_of, incident, playbook_fixture
from tests.test_dashboard import PASSWORD, log_in

playbook = playbook_fixture(customers=20)


@pytest.fixture
async def web(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    store: IncidentStore,
    redis_url: str,
    playbook: Playbook,
) -> AsyncIterator[httpx.AsyncClient]:
    vigil = Vigil(settings, redis, keys, store, redis_url)
    users = Users(redis, keys)
    await users.add(str(Role.INTERNAL_CONTROL), Role.INTERNAL_CONTROL, PASSWORD)
    parts = ApiParts(store, users, playbook, frozenset(), lambda: status_view.collect(vigil))
    app = create_app(store, keys, b"k" * 32, frozenset(), api=parts)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil") as client:
        yield client


async def test_recording_the_filing_on_the_page(
    web: httpx.AsyncClient, playbook: Playbook, store: IncidentStore
) -> None:
    breach = await playbook.store.declare([await incident(store, ["C-0"])], "Takeover", "quang")
    await playbook.run(breach.id)
    csrf = await log_in(web, Role.INTERNAL_CONTROL)
    page = (await web.get(f"/breaches/{breach.id}")).text
    assert "not filed yet" in page and "Record the filing" in page
    clock_of(playbook).now = T0 + timedelta(hours=80)
    late = {"csrf": csrf, "phase": "1", "at": "2026-03-05T17:00+07:00", "reference": "A05/77"}
    refused = await web.post(f"/breaches/{breach.id}/filed", data=late)
    assert refused.status_code == 409 and "give the late reason" in refused.text
    on_time = {**late, "at": "2026-03-04T16:30+07:00"}  # 09:30 UTC, within 72 hours of T0
    assert (await web.post(f"/breaches/{breach.id}/filed", data=on_time)).status_code == 303
    page = (await web.get(f"/breaches/{breach.id}")).text
    assert "filed on time" in page and "A05/77" in page and "Record the filing" not in page


async def test_a_breach_without_customers_is_confirmed_or_withdrawn_on_the_page(
    web: httpx.AsyncClient, playbook: Playbook, store: IncidentStore
) -> None:
    first = await playbook.store.declare([await incident(store, [])], "test", "quang")
    second = await playbook.store.declare([await incident(store, [], ip="192.0.2.9")], "x", "q")
    csrf = await log_in(web, Role.INTERNAL_CONTROL)
    assert "Confirm the breach" in (await web.get(f"/breaches/{first.id}")).text
    await web.post(f"/breaches/{first.id}/confirm", data={"csrf": csrf})
    assert "Confirm the breach" not in (await web.get(f"/breaches/{first.id}")).text
    reason = {"csrf": csrf, "reason": "a scanner test"}
    assert (await web.post(f"/breaches/{second.id}/withdraw", data=reason)).status_code == 303
    page = (await web.get(f"/breaches/{second.id}")).text
    assert "Withdrawn: a scanner test" in page and "Confirm the breach" not in page
