"""The customers each incident names in `affected_customers`, on crafted cases (issue 13)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import redis.asyncio as aioredis
from msgspec.structs import replace

from detectors import build_detectors
from detectors.account_takeover.logins import (
    SAFARI_IPHONE,
    T0,
    failures,
    login,
    web_login,
)
from detectors.engine import Detection
from monitor.events import Event, Outcome
from monitor.incidents import IncidentStore
from monitor.settings import load_settings
from monitor.store.keys import Keys

DETECTORS = {d.id: d for d in build_detectors(load_settings())}
HANOI, LONDON = "113.160.0.1", "46.101.0.1"


async def affected(
    redis: aioredis.Redis, store: IncidentStore, detector: str, events: Sequence[Event]
) -> list[set[str]]:
    """Run one detector over `events` one at a time into real incidents; each one's customers."""
    detection = Detection(redis, Keys("vigil"), [DETECTORS[detector]], isolate=False)
    for event in events:
        await store.record(await detection.process([event]))
    incidents = [i for i in await store.list() if i.detector == detector]
    return sorted((set(i.affected_customers) for i in incidents), key=sorted)


def web_failures(
    ip: str, users: Sequence[str], step: timedelta = timedelta(seconds=10)
) -> tuple[Event, ...]:
    """The website's failed logins that carry only a user name (no customer id)."""
    return tuple(
        replace(
            web_login(user, ip, T0 + n * step, outcome=Outcome.FAILURE),
            customer_id=None,
            offset=n,
        )
        for n, user in enumerate(users)
    )


def success(user: str, ip: str, at_seconds: int, by_name_only: bool = True) -> Event:
    event = web_login(user, ip, T0 + timedelta(seconds=at_seconds))
    return replace(event, customer_id=None, offset=10_000 + at_seconds) if by_name_only else event


async def test_login_after_failures_names_the_account_resolved_from_its_user_name(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    guesses = web_failures("203.0.113.9", ["cust-1003"] * 5)
    found = await affected(
        redis,
        store,
        "account_takeover.compromise_after_failures",
        (*guesses, success("cust-1003", "203.0.113.9", 60)),
    )
    assert found == [{"C-1003"}]


async def test_an_ssh_login_after_failures_names_no_customer(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    guessed = failures("203.0.113.9", 5, user="cust-1003")
    win = login("203.0.113.9", "cust-1003", Outcome.SUCCESS, T0 + timedelta(minutes=2))
    found = await affected(
        redis, store, "account_takeover.compromise_after_failures", (*guessed, win)
    )
    assert found == [set()]


async def test_mfa_fatigue_names_the_account_from_its_e_mail(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    prompts = tuple(
        replace(
            web_login("cust-1004", LONDON, T0 + n * timedelta(seconds=20), action="mfa-challenge"),
            user="Cust1004@example.com",
            customer_id=None,
            offset=n,
        )
        for n in range(6)
    )
    assert await affected(redis, store, "account_takeover.mfa_fatigue", prompts) == [{"C-1004"}]


async def test_distributed_guessing_names_the_guessed_account(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    bots = tuple(
        replace(e, source_ip=f"198.51.100.{n % 5}", offset=n)
        for n, e in enumerate(web_failures("0.0.0.0", ["cust-1005"] * 10, timedelta(minutes=2)))
    )
    found = await affected(redis, store, "account_takeover.distributed_guessing", bots)
    assert found == [{"C-1005"}]


async def test_impossible_travel_names_the_account(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    trip = (success("cust-1006", HANOI, 0), success("cust-1006", LONDON, 3600))
    assert await affected(redis, store, "account_takeover.impossible_travel", trip) == [{"C-1006"}]


async def test_a_sensitive_change_from_a_new_device_names_the_account(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    day = 86_400
    usual = tuple(success("cust-1007", HANOI, d * day) for d in range(6))
    stranger = replace(success("cust-1007", LONDON, 7 * day), user_agent=SAFARI_IPHONE)
    change = replace(
        stranger,
        action="password-change",
        offset=1,
        timestamp=stranger.timestamp + timedelta(minutes=5),
    )
    found = await affected(
        redis, store, "account_takeover.new_device_sensitive_change", (*usual, stranger, change)
    )
    assert found == [{"C-1007"}]


async def test_one_failure_crossing_both_brute_force_thresholds_keeps_the_targeted_account(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    guesses = web_failures("203.0.113.50", ["cust-1008"] * 5)
    found = await affected(redis, store, "account_takeover.brute_force", guesses)
    assert found == [{"C-1008"}]
    (incident,) = await store.list()
    assert incident.entities == {"ip": "203.0.113.50", "user": "cust-1008"}


async def test_brute_force_against_one_account_from_many_addresses_names_it(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    guesses = tuple(
        replace(e, source_ip=f"198.51.100.{n}")
        for n, e in enumerate(web_failures("0.0.0.0", ["cust-1009"] * 5))
    )
    assert await affected(redis, store, "account_takeover.brute_force", guesses) == [{"C-1009"}]


async def test_ssh_brute_force_names_no_customer(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    found = await affected(
        redis, store, "account_takeover.brute_force", failures("203.0.113.7", 5, user="cust-1003")
    )
    assert found == [set()]


def impersonation(staff: str, customer: str, minutes: int, day: int = 1) -> Event:
    return Event(
        timestamp=T0 + timedelta(days=day, hours=1, minutes=minutes),  # 10:00 in Hanoi, Monday
        action="impersonation-start",
        user=staff,
        target_user=customer,
        file_path="/var/log/als/audit.json",
        offset=minutes,
    )


async def test_staff_impersonation_names_every_customer_impersonated(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    acts = tuple(impersonation("thu.vo", f"cust-10{10 + n}", 4 * n) for n in range(7))
    found = await affected(redis, store, "impersonation.staff_impersonation", acts)
    assert found == [{f"C-10{10 + n}" for n in range(7)}]


async def test_staff_impersonation_on_a_sunday_names_each_customer_acted_as(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    acts = tuple(impersonation("thu.vo", f"cust-10{20 + n}", 4 * n, day=0) for n in range(2))
    found = await affected(redis, store, "impersonation.staff_impersonation", acts)
    assert found == [{"C-1020", "C-1021"}]


async def test_session_hijack_names_the_sessions_owner_from_its_login(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    own = replace(success("cust-1030", HANOI, 0), session_id="s-1030")
    view = replace(own, action="customer-record-view", outcome=Outcome.UNKNOWN, offset=1)
    stolen = Event(
        timestamp=T0 + timedelta(minutes=20),
        action="customer-record-view",
        source_ip=LONDON,
        user_agent=SAFARI_IPHONE,
        session_id="s-1030",
        customer_id="C-1099",  # whose record the thief read, not whose session it is
        file_path="/var/log/als/audit.json",
        offset=2,
    )
    found = await affected(redis, store, "impersonation.session_hijack", (own, view, stolen))
    assert found == [{"C-1030"}]


async def test_credential_stuffing_names_every_account_that_got_in_from_the_source(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    attacker = "203.0.113.60"
    before = success("cust-1031", attacker, -120)
    stuffed = web_failures(attacker, [f"cust-11{n:02d}" for n in range(20)])
    after = success("cust-1032", attacker, 240)
    elsewhere = success("cust-1033", "203.0.113.61", 250)
    events = (before, *stuffed, after, elsewhere)
    found = await affected(redis, store, "account_takeover.credential_stuffing", events)
    assert found == [{"C-1031", "C-1032"}]


async def test_credential_stuffing_without_a_success_names_no_customer(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    stuffed = web_failures("203.0.113.62", [f"cust-11{n:02d}" for n in range(20)])
    found = await affected(redis, store, "account_takeover.credential_stuffing", stuffed)
    assert found == [set()]


def arrival(ip: str, at_seconds: int) -> Event:
    return Event(
        timestamp=T0 + timedelta(seconds=at_seconds),
        action="http-request",
        source_ip=ip,
        url_path="/login",
        file_path="/var/log/nginx/access.log",
        offset=at_seconds,
        extra={"http.request.referrer": "https://als-com.vn/dang-nhap"},
    )


async def test_phishing_referrer_names_the_accounts_that_logged_in_after_arriving(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    phished, other = "198.51.100.70", "198.51.100.71"
    events = (
        success("cust-1035", phished, -60),  # before the arrival: not from the copy
        arrival(phished, 0),
        success("cust-1034", phished, 90),  # arrived from the look-alike, then logged in
        success("cust-1036", other, 100),  # never came from it
        arrival(other, 200),
        success("cust-1037", phished, 2 * 3600),  # hours later: its own visit
    )
    found = await affected(redis, store, "impersonation.phishing_referrer", events)
    assert found == [{"C-1034"}]


async def test_password_spray_names_the_accounts_that_got_in_from_the_source(
    redis: aioredis.Redis, store: IncidentStore
) -> None:
    sprayer = "203.0.113.80"
    before = success("cust-1038", sprayer, -300)
    spray = web_failures(
        sprayer, [f"cust-12{n % 10:02d}" for n in range(30)], timedelta(seconds=30)
    )
    after = success("cust-1039", sprayer, 30 * 30 + 60)
    found = await affected(redis, store, "account_takeover.password_spray", (before, *spray, after))
    assert found == [{"C-1038", "C-1039"}]
