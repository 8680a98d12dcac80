"""Each customer's notice as the customer reads it: their own story, safe with any directory row."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from monitor.dashboard.api import ApiParts
from monitor.dashboard.app import create_app
from monitor.dashboard.users import Role, Users
from monitor.incidents import IncidentStore
from monitor.settings import Settings
from monitor.store.keys import Keys
from playbooks.decisions import record_filing
from playbooks.playbook import Playbook
from tests.mailbox import Mailbox
from tests.notice_world import (
    ORGANISATION,
    T0,
    Clock,
    configured,
    customer,
    playbook_for,
    previewed,
    raise_incident,
    send_all,
    write_directory,
)
from tests.test_dashboard import attempt

PASSWORD = "correct horse battery staple"
HOSTILE_NAME = "Nguyễn Văn A\r\nBcc: evil@example.com\r\n\r\nHotline giả: 0999 999 999"
ROWS = [
    customer(0),  # taken over
    customer(1, language="en"),  # exported
    customer(2, full_name=HOSTILE_NAME, language="fr"),  # exported, hostile name
    customer(3, email="c3@example.com\r\nBcc: evil@example.com", language=""),  # exported
    customer(4, email="attacker@example.net", email_changed_at="2026-03-01T22:03:00Z"),
]


def login(n: int, customer_id: str, outcome: str, minute: int) -> dict[str, object]:
    return {
        "id": f"audit.json:{n}",
        "@timestamp": f"2026-03-01T22:{minute:02d}:00Z",
        "event.action": "user-login",
        "event.outcome": outcome,
        "user.name": customer_id.replace("C-", "cust-"),
        "source.ip": "203.0.113.7",
        "labels.customer_id": customer_id,
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def playbook(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    store: IncidentStore,
    tmp_path: Path,
    smtp: tuple[Mailbox, int],
    clock: Clock,
) -> Playbook:
    directory = write_directory(tmp_path / "customers.csv", ROWS)
    world = configured(settings, directory, smtp[1], ORGANISATION)
    return playbook_for(redis, keys, world, store, clock)


async def declare(playbook: Playbook, store: IncidentStore) -> str:
    """C-0 and C-4 taken over between 05:00 and 05:05 Hanoi time; C-1..C-3 exported at 04:10."""
    takeover = [login(n, "C-0", "failure" if n < 3 else "success", n) for n in range(4)]
    takeover += [login(9, "C-4", "success", 2)]
    export = {
        "id": "audit.json:20",
        "@timestamp": "2026-03-01T21:10:00Z",
        "event.action": "customer-record-export",
        "user.name": "khanh.bui",
        "labels.record_count": 3,
        "labels.columns": ["full_name", "phone"],
    }
    first = await raise_incident(
        store,
        "account_takeover.compromise_after_failures",
        takeover,
        ["C-0", "C-4"],
        {"ip": "203.0.113.7"},
    )
    second = await raise_incident(
        store, "bulk_access.export_drop", [export], ["C-1", "C-2", "C-3"], {"actor": "khanh.bui"}
    )
    return (await playbook.store.declare([first, second], "test", "quang")).id


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def to(mailbox: Mailbox, address: str) -> EmailMessage:
    (message,) = [m for m in mailbox.messages if m["To"] == address]
    return message


async def sent(playbook: Playbook, store: IncidentStore, mailbox: Mailbox) -> str:
    breach_id = await declare(playbook, store)
    await playbook.run(breach_id)
    await send_all(playbook)
    return breach_id


async def test_each_customer_reads_their_own_times_data_and_advice(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    await sent(playbook, store, mailbox)
    taken = plain(to(mailbox, "c0@example.com"))
    exported = plain(to(mailbox, "c1@example.com"))
    assert "Từ 05:00 ngày 02/03/2026 đến 05:03 ngày 02/03/2026" in taken
    assert "đăng nhập trái phép vào tài khoản ALS của quý khách" in taken
    assert "Đổi mật khẩu" in taken and "Ngày sinh" in taken
    assert "On 02 March 2026, 04:10 (Hanoi time)" in exported  # their export, not the breach
    assert "an ALS employee exported" in exported
    assert "Full name" in exported and "Phone number" in exported
    assert "Date of birth" not in exported and "Password" not in exported
    assert "password to a new one" not in exported  # no reset advice: the account was not used
    for body in (taken, exported):
        assert "1900 3133" in body and ("Tầng 4" in body or "4th Floor" in body)
        assert "cust-0" not in body and "khanh.bui" not in body
    assert "Ngày thông báo: 02/03/2026" in taken and "Date of this notice" in exported


async def test_the_attacker_s_address_gets_nothing_and_the_customer_is_told_why(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    await sent(playbook, store, mailbox)
    recipients = {str(m["To"]) for m in mailbox.messages}
    assert "attacker@example.net" not in recipients


async def test_hostile_directory_rows_never_change_a_message_s_structure(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    breach_id = await sent(playbook, store, mailbox)
    recipients = [str(m["To"]) for m in mailbox.messages]
    assert not any("evil" in r or "\n" in r for r in recipients)
    assert all(m["Bcc"] is None for m in mailbox.messages)
    hostile = to(mailbox, "c2@example.com")
    body = plain(hostile)
    assert "Kính gửi Nguyễn Văn A Bcc: evil@example.com Hotline giả: 0999 999 999 (Công ty 2)," in (
        body
    )
    assert not any(line.startswith(("Bcc:", "Hotline giả")) for line in body.splitlines())
    assert "c3@example.com" not in recipients  # an address carrying a header is no address
    entries = await playbook.record.entries(breach_id)
    unreachable = [e for e in entries if e["kind"] == "unreachable"]
    assert "C-3" in unreachable[0]["data"]["no_safe_address"]


async def test_a_missing_or_unknown_language_falls_back_with_a_warning(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    breach_id = await sent(playbook, store, mailbox)
    body = plain(to(mailbox, "c2@example.com"))
    assert body.index("Điều gì đã xảy ra") < body.index("What happened")
    assert str(to(mailbox, "c2@example.com")["Content-Language"]) == "vi, en"
    rendered = [
        n
        for e in await playbook.record.entries(breach_id)
        if e["kind"] == "notices-rendered"
        for n in e["data"]["notices"]
    ]
    warnings = {n["customer"]: n.get("warning", "") for n in rendered}
    assert "unknown language 'fr'" in warnings["C-2"]
    assert warnings["C-0"] == "" and warnings["C-1"] == ""


async def test_no_promise_about_a_deadline_already_past(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int], clock: Clock
) -> None:
    mailbox, _ = smtp
    breach_id = await declare(playbook, store)
    clock.now = T0 + timedelta(hours=80)  # past the 72 hours, the authority not notified
    await playbook.store.set_late_reason(breach_id, "forensics took four days", "quang")
    breach = await playbook.store.existing(breach_id)
    incidents, found, _ = await playbook.affected_of(breach)
    letters = await playbook.letters(breach, incidents)
    assert "chậm nhất" not in letters.authority[0] and "by " not in letters.authority[1]
    assert "ALS đang hoàn tất thông báo cho Cục An ninh mạng" in letters.authority[0]
    # The officer files the signed form at 80 h: the notices say when.
    await record_filing(playbook.store, breach_id, 1, clock.now, "123/TB-ALS", "quang")
    await playbook.run(breach_id)
    await send_all(playbook)
    body = plain(to(mailbox, "c0@example.com"))
    assert "ALS đã thông báo cho Cục An ninh mạng" in body
    assert "lúc 17:00 ngày 05/03/2026" in body
    assert "chậm nhất" not in body


async def test_unreachable_customers_get_the_public_notice_and_a_call_list(
    playbook: Playbook, store: IncidentStore, tmp_path: Path
) -> None:
    breach_id = await declare(playbook, store)
    await previewed(playbook, breach_id, tmp_path / "out")
    public = (tmp_path / "out" / "public-notice.txt").read_text()
    calls = (tmp_path / "out" / "customer-care.csv").read_text()
    assert "C-3" in calls and "C-4,Khách hàng 4,09120" in calls
    assert "email changed by the attacker, no previous address" in calls
    assert "một số khách hàng" in public and "some customers' ALS accounts" in public
    for private in ("Khách hàng 4", "0912000004", "c3@example.com", "C-4"):
        assert private not in public  # a public page names nobody
    assert not (tmp_path / "out" / "customer-C-4.txt").exists()
    warnings = (tmp_path / "out" / "WARNINGS.txt").read_text()
    assert "C-2: unknown language 'fr'" in warnings and "C-3" not in warnings


async def test_the_breach_page_previews_a_customer_s_own_notice(
    playbook: Playbook, store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    breach_id = await declare(playbook, store)
    users = Users(redis, keys)
    await users.add("control", Role.INTERNAL_CONTROL, PASSWORD)
    parts = ApiParts(store, users, playbook, frozenset(), lambda: asyncio.sleep(0, {}))
    app = create_app(store, keys, b"k" * 32, frozenset(), api=parts)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil") as web:
        assert (await attempt(web, "control", PASSWORD)).status_code == 303
        page = await web.get(f"/breaches/{breach_id}/preview/C-1")
    assert page.status_code == 200
    assert "an ALS employee exported" in page.text and "password to a new one" not in page.text
