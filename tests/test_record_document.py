"""The exported biên bản as the officer signs it: Vietnamese, local times, no raw JSON."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from pypdf import PdfReader

from monitor.incidents import IncidentStore
from monitor.settings import Settings
from monitor.store.keys import Keys
from playbooks.minutes import record_html, record_minutes
from playbooks.pdf import record_pdf
from playbooks.playbook import Playbook
from tests.mailbox import Mailbox
from tests.notice_world import (
    ORGANISATION,
    Clock,
    configured,
    customer,
    playbook_for,
    previewed,
    raise_incident,
    send_all,
    write_directory,
)

LOGIN = {
    "id": "audit.json:1",
    "@timestamp": "2026-03-01T22:00:00Z",
    "event.action": "user-login",
    "event.outcome": "success",
    "source.ip": "203.0.113.7",
    "labels.customer_id": "C-0",
}


@pytest.fixture
def playbook(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    store: IncidentStore,
    tmp_path: Path,
    smtp: tuple[Mailbox, int],
) -> Playbook:
    directory = write_directory(tmp_path / "customers.csv", [customer(0), customer(1, email="")])
    world = configured(settings, directory, smtp[1], ORGANISATION)
    return playbook_for(redis, keys, world, store, Clock())


async def handled(playbook: Playbook, store: IncidentStore, url: str = "") -> str:
    incident = await raise_incident(
        store,
        "account_takeover.compromise_after_failures",
        [LOGIN, {**LOGIN, "id": "audit.json:2", "labels.customer_id": "C-1"}],
        ["C-0", "C-1"],
        {"ip": "203.0.113.7"},
    )
    breach = await playbook.store.declare([incident], "Hai tài khoản bị chiếm quyền", "quang")
    await playbook.run(breach.id)
    await send_all(playbook, url)
    return breach.id


async def test_the_record_reads_as_a_vietnamese_document_in_hanoi_time(
    playbook: Playbook, store: IncidentStore, redis_url: str
) -> None:
    breach_id = await handled(playbook, store, redis_url)
    breach = await playbook.store.existing(breach_id)
    entries, problems = await playbook.record.verify(breach_id)
    page = record_html(record_minutes(breach, playbook.settings.organisation, entries, problems))
    assert "BIÊN BẢN XÁC NHẬN VỀ VIỆC XẢY RA VI PHẠM" in page
    assert "Khai báo vi phạm bởi quang: “Hai tài khoản bị chiếm quyền”" in page
    assert "09:00 ngày 02/03/2026" in page  # declared at 02:00 UTC
    assert "Đã gửi thông báo tới khách hàng C-0" in page
    # Form 08 goes to the officer as a draft for signature, never to the authority unsigned.
    assert "Lập bản dự thảo Mẫu số 08 để ký" in page
    assert "Đã gửi thông báo tới cán bộ phụ trách bảo vệ dữ liệu (bản dự thảo" in page
    assert "cơ quan chức năng lúc" not in page
    assert "1 khách hàng không có địa chỉ email an toàn" in page
    assert "toàn vẹn / intact" in page and entries[-1]["hash"] in page
    assert "c0@example.com" not in page  # recipients by role and id, not by address
    assert '{"' not in page and "\\u" not in page and "&#34;" not in page


async def test_a_rewritten_entry_shows_on_the_printed_record(
    playbook: Playbook, store: IncidentStore, redis: aioredis.Redis, keys: Keys
) -> None:
    breach_id = await handled(playbook, store)
    entries = await playbook.record.entries(breach_id)
    forged = dict(entries[0], data={**entries[0]["data"], "by": "someone else"})
    await redis.lset(keys.breach(breach_id, "record"), 0, json.dumps(forged))
    breach = await playbook.store.existing(breach_id)
    entries, problems = await playbook.record.verify(breach_id)
    minutes = record_minutes(breach, playbook.settings.organisation, entries, problems)
    assert "BỊ THAY ĐỔI / BROKEN" in record_html(minutes)
    text = PdfReader(BytesIO(record_pdf(minutes))).pages[0].extract_text()
    assert "BỊ THAY ĐỔI / BROKEN" in " ".join(text.split())


async def test_form_08_and_the_record_print_as_pdf_pages(
    playbook: Playbook, store: IncidentStore, tmp_path: Path
) -> None:
    breach_id = await handled(playbook, store)
    await previewed(playbook, breach_id, tmp_path)
    form = PdfReader(tmp_path / "authority-form-08.pdf")
    words = " ".join(" ".join(page.extract_text().split()) for page in form.pages)
    for field in (
        "Mẫu số 08",
        "Số: ………/TB-ALS",
        "Mã số thuế 0100000001",
        "Ngày cấp: 29/08/2007",
        "Chiếm quyền tài khoản: đăng nhập thành công vào 2 tài khoản khách hàng",
        "Số lượng chủ thể dữ liệu 2",
        "(Ký, ghi rõ họ tên, đóng dấu)",
        "Form No. 08",  # the English translation follows
        "Person in charge of personal data protection",
    ):
        assert field in words, field
    assert words.index("Mẫu số 08") < words.index("Form No. 08")
    breach = await playbook.store.existing(breach_id)
    entries = await playbook.record.entries(breach_id)
    record = PdfReader(
        BytesIO(record_pdf(record_minutes(breach, playbook.settings.organisation, entries, [])))
    )
    text = " ".join(" ".join(page.extract_text().split()) for page in record.pages)
    assert "BIÊN BẢN XÁC NHẬN" in text and "09:00 ngày 02/03/2026" in text
