"""Dashboard pages: logging in, lockout, CSRF, what each role may open and see."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from ipaddress import IPv4Network

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
    # The test client stands for the reverse proxy: its X-Forwarded-For names the browser.
    parts = ApiParts(
        store,
        users,
        build_playbook(vigil),
        frozenset(),
        lambda: status_view.collect(vigil),
        (IPv4Network("192.0.2.50/32"),),
    )
    app = create_app(store, keys, b"k" * 32, frozenset(), api=parts)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil") as client:
        yield client


async def attempt(
    client: httpx.AsyncClient, name: str, password: str, address: str = "", after: str = "/"
) -> httpx.Response:
    """Fill in and send the login form as a browser would (its CSRF token included)."""
    form = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    headers = {"X-Forwarded-For": address} if address else {}
    fields = {"username": name, "password": password, "csrf": token[1], "next": after}
    return await client.post("/login", data=fields, headers=headers)


async def log_in(client: httpx.AsyncClient, role: Role) -> str:
    """Log in; the CSRF token of the new session."""
    answer = await attempt(client, str(role), PASSWORD)
    assert answer.status_code == 303
    page = await client.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_pages_need_a_login_and_set_a_safe_cookie(web: httpx.AsyncClient) -> None:
    assert (await web.get("/")).headers["location"] == "/login?next=%2F"
    answer = await attempt(web, "oncall", PASSWORD)
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = await web.get("/")
    assert page.status_code == 200 and "Incidents" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script anywhere


async def test_guessing_slows_down_without_locking_the_owner_out(
    web: httpx.AsyncClient,
) -> None:
    for _ in range(3):  # a few typing mistakes cost nothing
        wrong = await attempt(web, "oncall", "nope", "198.51.100.9")
        assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    slowed = await attempt(web, "oncall", PASSWORD, "198.51.100.9")
    assert slowed.status_code == 429 and "wait 1 s" in slowed.text
    owner = await attempt(web, "oncall", PASSWORD, "192.0.2.77")  # elsewhere: not locked out
    assert owner.status_code == 303


async def test_the_login_form_needs_its_csrf_token(web: httpx.AsyncClient) -> None:
    forged = await web.post("/login", data={"username": "oncall", "password": PASSWORD})
    assert forged.status_code == 403 and "expired" in forged.text
    assert "location" not in forged.headers


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
    assert (await web.get("/")).headers["location"].startswith("/login")


async def test_a_role_change_applies_at_the_next_request_a_new_password_ends_it(
    web: httpx.AsyncClient, redis: aioredis.Redis, keys: Keys
) -> None:
    await log_in(web, Role.INTERNAL_CONTROL)
    assert (await web.get("/audit")).status_code == 200
    users = Users(redis, keys)
    await users.set_role("internal_control", Role.VIEWER)
    assert (await web.get("/audit")).status_code == 403
    assert "internal_control · viewer" in (await web.get("/")).text
    await users.set_password("internal_control", "another long passphrase")
    assert (await web.get("/")).headers["location"].startswith("/login")


async def test_login_goes_back_to_the_page_the_email_linked(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await customer_takeover(store)
    asked = await web.get(f"/incidents/{incident_id}")
    assert asked.headers["location"] == f"/login?next=%2Fincidents%2F{incident_id}"
    form = await web.get(asked.headers["location"])
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None and f'value="/incidents/{incident_id}"' in form.text
    fields = {"username": "oncall", "password": PASSWORD, "csrf": token[1]}
    answer = await web.post("/login", data={**fields, "next": f"/incidents/{incident_id}"})
    assert answer.headers["location"] == f"/incidents/{incident_id}"
    elsewhere = await attempt(web, "oncall", PASSWORD)
    assert elsewhere.headers["location"] == "/"
    offsite = await attempt(web, "oncall", PASSWORD, after="//evil.example/")
    assert offsite.headers["location"] == "/"


async def test_unknown_and_known_names_fail_alike_and_are_audited(
    web: httpx.AsyncClient, redis: aioredis.Redis, keys: Keys
) -> None:
    unknown = await attempt(web, "nobody", "whatever it is")
    known = await attempt(web, "oncall", "whatever it is")
    assert unknown.status_code == known.status_code == 401
    assert unknown.text.count("wrong user name or password") == 1
    entries = await redis.xrange(keys.users("audit"))
    assert [(e[b"who"], e[b"action"]) for _, e in entries] == [
        (b"nobody", b"login failed"),
        (b"oncall", b"login failed"),
    ]


async def test_a_silence_is_expired_from_the_page_and_then_hidden(web: httpx.AsyncClient) -> None:
    csrf = await log_in(web, Role.ONCALL)
    added = await web.post(
        "/silences",
        data={"csrf": csrf, "entity": "ip=203.0.113.7", "minutes": "60", "reason": "pentest"},
    )
    assert added.status_code == 303
    page = (await web.get("/silences")).text
    found = re.search(r"<option>([^<]+)</option>", page)
    assert found is not None and "pentest" in page
    expired = await web.post("/silences/expire", data={"csrf": csrf, "id": found[1]})
    assert expired.status_code == 303
    assert "pentest" not in (await web.get("/silences")).text
    assert "pentest" in (await web.get("/silences?all=1")).text


async def test_the_audit_log_is_uniform_filtered_and_exported(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await customer_takeover(store)
    csrf = await log_in(web, Role.ONCALL)
    await web.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf})
    await log_in(web, Role.INTERNAL_CONTROL)
    await web.get("/")  # a list naming a customer is a view of customer data
    page = (await web.get("/audit", params={"who": "oncall"})).text
    assert "acknowledged" in page and "logged in" in page and "internal_control</td>" not in page
    exported = await web.get("/audit.csv", params={"action": "viewed customer data"})
    rows = exported.text.splitlines()
    assert rows[0] == "at,who,role,action,target"
    # Two lists were seen: the one after logging in and the one asked for.
    assert [row.split(",")[1:4] for row in rows[1:]] == [
        ["internal_control", "internal_control", "viewed customer data"]
    ] * 2


async def test_internal_control_changes_roles_on_the_users_page(
    web: httpx.AsyncClient, redis: aioredis.Redis, keys: Keys
) -> None:
    csrf = await log_in(web, Role.INTERNAL_CONTROL)
    page = (await web.get("/users")).text
    assert "customer_care" in page and "Forget failed logins" in page
    moved = await web.post("/users/oncall/role", data={"csrf": csrf, "role": "viewer"})
    assert moved.status_code == 303
    disabled = await web.post("/users/it/disable", data={"csrf": csrf})
    assert disabled.status_code == 303
    users = Users(redis, keys)
    now = await users.current("oncall")
    assert now is not None and now.role is Role.VIEWER
    assert await users.current("it") is None
    forged = await web.post("/users/viewer/role", data={"role": "internal_control"})
    assert forged.status_code == 403
    await log_in(web, Role.CUSTOMER_CARE)
    assert (await web.get("/users")).status_code == 403


async def test_an_incident_links_to_the_breach_it_is_part_of(
    web: httpx.AsyncClient, store: IncidentStore
) -> None:
    incident_id = await customer_takeover(store)
    csrf = await log_in(web, Role.INTERNAL_CONTROL)
    declared = await web.post(
        "/breaches", data={"csrf": csrf, "incidents": incident_id, "summary": "taken over"}
    )
    breach_id = declared.headers["location"].rsplit("/", 1)[-1]
    page = (await web.get(f"/incidents/{incident_id}")).text
    assert f'<a href="/breaches/{breach_id}">breach {breach_id}</a>' in page
    await log_in(web, Role.ONCALL)  # on-call does not follow breaches
    assert "/breaches/" not in (await web.get(f"/incidents/{incident_id}")).text
