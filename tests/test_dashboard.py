"""Dashboard pages: logging in, lockout, CSRF, what each role may open and see."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import redis.asyncio as aioredis

from monitor import status as status_view
from monitor.breach_commands import build_playbook
from monitor.dashboard.api import ApiParts
from monitor.dashboard.app import create_app
from monitor.dashboard.users import Role, Users
from monitor.incidents import IncidentStore, Status
from monitor.service import Vigil
from monitor.settings import Settings
from monitor.store.keys import Keys
from tests.factories import customer_takeover

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
async def web(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, redis_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    vigil = Vigil(settings, redis, keys, store, redis_url)
    users = Users(redis, keys)
    for role in Role:
        await users.add(str(role), role, PASSWORD)
    parts = ApiParts(
        store, users, build_playbook(vigil), frozenset(), lambda: status_view.collect(vigil)
    )
    app = create_app(store, keys, b"k" * 32, frozenset(), api=parts)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil") as client:
        yield client


async def log_in(client: httpx.AsyncClient, role: Role) -> str:
    """Log in; the CSRF token of the new session."""
    answer = await client.post("/login", data={"username": str(role), "password": PASSWORD})
    assert answer.status_code == 303
    page = await client.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_pages_need_a_login_and_set_a_safe_cookie(web: httpx.AsyncClient) -> None:
    assert (await web.get("/")).headers["location"] == "/login"
    answer = await web.post("/login", data={"username": "oncall", "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = await web.get("/")
    assert page.status_code == 200 and "Incidents" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script anywhere


async def test_five_wrong_passwords_lock_the_account(web: httpx.AsyncClient) -> None:
    for _ in range(5):
        wrong = await web.post("/login", data={"username": "oncall", "password": "nope"})
        assert wrong.status_code == 401
    locked = await web.post("/login", data={"username": "oncall", "password": PASSWORD})
    assert locked.status_code == 401 and "15 minutes" in locked.text


async def test_a_change_without_the_csrf_token_is_refused(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await customer_takeover(store)
    csrf = await log_in(web, Role.ONCALL)
    forged = await web.post(f"/incidents/{incident_id}/ack", data={})
    assert forged.status_code == 403
    found = await store.get(incident_id)
    assert found is not None and found.status is Status.OPEN
    done = await web.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf})
    assert done.status_code == 303
    found = await store.get(incident_id)
    assert found is not None and found.status is Status.ACKNOWLEDGED


@pytest.mark.parametrize("role", [Role.ONCALL, Role.IT, Role.VIEWER, Role.CUSTOMER_CARE])
async def test_roles_without_customer_access_never_see_customer_data(
    web: httpx.AsyncClient, store: IncidentStore, role: Role
) -> None:
    incident_id = await customer_takeover(store)
    await log_in(web, role)
    for path in ("/", f"/incidents/{incident_id}", "/silences"):
        page = await web.get(path)
        assert "cust-1003" not in page.text and "C-1003" not in page.text, path


async def test_internal_control_sees_customers_and_the_view_is_audited(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await customer_takeover(store)
    await log_in(web, Role.INTERNAL_CONTROL)
    page = await web.get(f"/incidents/{incident_id}")
    assert "C-1003" in page.text and "Declare a breach" in page.text
    audit = await web.get("/audit")
    assert "viewed customer data" in audit.text


@pytest.mark.parametrize(
    ("role", "path"), [(Role.IT, "/breaches"), (Role.ONCALL, "/audit"), (Role.VIEWER, "/health")]
)
async def test_pages_outside_a_role_are_refused(
    web: httpx.AsyncClient, role: Role, path: str
) -> None:
    await log_in(web, role)
    assert (await web.get(path)).status_code == 403


async def test_disabling_a_user_ends_their_session(
    web: httpx.AsyncClient, redis: aioredis.Redis, keys: Keys
) -> None:
    await log_in(web, Role.ONCALL)
    assert (await web.get("/")).status_code == 200
    await Users(redis, keys).disable("oncall")
    assert (await web.get("/")).headers["location"] == "/login"
