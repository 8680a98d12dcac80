"""Section 10: every affected customer notified once, in their language, the authority too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.incidents import IncidentStore
from playbooks.customers import affected
from playbooks.message_keys import customer_key
from playbooks.playbook import Playbook, preview
from tests.breach_parts import (
    T0,
    by_email,
    by_recipient,
    clock_of,
    incident,
    playbook_fixture,
    send_all,
    sender,
    verify,
)
from tests.mailbox import Mailbox

playbook = playbook_fixture()


async def test_a_thousand_customers_get_one_notice_each_and_the_authority_one(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    by_email(playbook)
    incident_id = await incident(store, [f"C-{n}" for n in range(1000)])
    breach = await playbook.store.declare([incident_id], "Customer accounts taken over", "quang")
    outcome = await playbook.run(breach.id)
    assert (outcome.customers, outcome.queued, outcome.no_address) == (1000, 999, ("C-4",))
    await playbook.run(breach.id)  # running again queues nothing more
    await send_all(playbook)
    received = by_recipient(mailbox)
    assert len(mailbox.messages) == 999 + 2
    assert all(len(bodies) == 1 for bodies in received.values())
    assert "a05@bocongan.gov.vn" in received and "quang.le@als.com.vn" in received
    assert "old3@example.com" in received and "c3@example.com" not in received  # attacker's
    vi, en, mixed = (
        received["c0@example.com"][0],
        received["c1@example.com"][0],
        received["c2@example.com"][0],
    )
    assert "Điều gì đã xảy ra" in vi and "What happened" not in vi
    languages = {str(m["To"]): str(m["Content-Language"]) for m in mailbox.messages}
    assert (languages["c0@example.com"], languages["c1@example.com"]) == ("vi", "en")
    assert "What happened" in en and "Điều gì đã xảy ra" not in en
    assert mixed.index("Điều gì đã xảy ra") < mixed.index("What happened")
    assert "Ngày sinh" in vi and "Mật khẩu" in vi  # a taken-over account: the whole profile
    assert "1900 3133" in vi and "c0@example.com" not in vi  # contact given, data not repeated
    assert await verify(playbook, breach.id) == []


async def test_an_export_exposes_only_its_columns(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    incident_id = await incident(store, ["C-0"], columns=["full_name", "phone"])
    breach = await playbook.store.declare([incident_id], "Export of customer records", "quang")
    await playbook.run(breach.id)
    await send_all(playbook)
    (body,) = by_recipient(mailbox)["c0@example.com"]
    assert "Họ và tên" in body and "Số điện thoại" in body
    assert "Mật khẩu" not in body and "Ngày sinh" not in body


async def test_a_crash_half_way_resumes_and_nobody_gets_two(
    playbook: Playbook,
    store: IncidentStore,
    smtp: tuple[Mailbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailbox, _ = smtp
    incident_id = await incident(store, [f"C-{n}" for n in range(0, 1000, 2)])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    real = playbook.outbox.enqueue_many
    calls = {"n": 0}

    async def crash_after_first_batch(messages: list[object]) -> int:
        calls["n"] += 1
        if calls["n"] > 2:  # the authority and the first customer batch got through
            raise ConnectionError("killed")
        return await real(messages)  # type: ignore[arg-type]

    monkeypatch.setattr("playbooks.playbook.BATCH", 100)
    monkeypatch.setattr(playbook.outbox, "enqueue_many", crash_after_first_batch)
    with pytest.raises(ConnectionError):
        await playbook.run(breach.id)
    monkeypatch.setattr(playbook.outbox, "enqueue_many", real)
    await sender(playbook).drain()  # some notices go out before the restart
    await playbook.run(breach.id)  # the restart resumes the playbook
    await send_all(playbook)
    received = by_recipient(mailbox)
    customers = [to for to in received if to.startswith(("c", "old"))]
    assert len(customers) == 500 - 1  # C-4 has no safe address
    assert all(len(bodies) == 1 for bodies in received.values())


async def test_after_72_hours_the_authority_notice_waits_for_a_late_reason(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    by_email(playbook)
    incident_id = await incident(store, ["C-0", "C-1"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    clock_of(playbook).now = T0 + timedelta(hours=73)
    outcome = await playbook.run(breach.id)
    assert outcome.waiting == "late reason"
    await playbook.store.set_late_reason(breach.id, "forensics took four days", "quang")
    assert (await playbook.run(breach.id)).waiting == ""
    await send_all(playbook)
    (authority,) = by_recipient(mailbox)["a05@bocongan.gov.vn"]
    assert "forensics took four days" in authority
    (notice,) = [m for m in mailbox.messages if m["To"] == "a05@bocongan.gov.vn"]
    assert str(notice["Subject"]).startswith(f"[{breach.id}]")
    (document,) = notice.iter_attachments()
    assert "Lý do thông báo chậm" in document.get_content()


async def test_a_follow_up_notifies_only_the_new_customers(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    by_email(playbook)
    first = await incident(store, ["C-0", "C-1"])
    breach = await playbook.store.declare([first], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    second = await incident(store, ["C-1", "C-2"], ip="198.51.100.4")
    await playbook.store.attach(breach.id, [second], "quang")
    await playbook.run(breach.id)
    await send_all(playbook)
    received = by_recipient(mailbox)
    assert {to: len(b) for to, b in received.items() if to.startswith("c")} == {
        "c0@example.com": 1,
        "c1@example.com": 1,
        "c2@example.com": 1,
    }
    assert len(received["a05@bocongan.gov.vn"]) == 2  # the initial notice and follow-up 1
    subjects = sorted(
        str(m["Subject"]) for m in mailbox.messages if m["To"] == "a05@bocongan.gov.vn"
    )
    assert "follow-up 1" in subjects[1] or "follow-up 1" in subjects[0]


async def test_hostile_names_are_rendered_safely(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    incident_id = await incident(store, ["C-7"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    await send_all(playbook)
    (message,) = [m for m in mailbox.messages if m["To"] == "c7@example.com"]
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and "&lt;script&gt;" in html.get_content()
    assert message["Bcc"] is None


async def test_approval_holds_the_authority_notice_until_given(
    playbook: Playbook, store: IncidentStore
) -> None:
    playbook.breach = playbook.breach.model_copy(update={"require_approval": "all"})
    incident_id = await incident(store, ["C-0"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    held = await playbook.run(breach.id)
    assert (held.waiting, held.queued) == ("approval", 0)
    await playbook.store.approve(breach.id, "all", "quang")
    assert (await playbook.run(breach.id)).queued == 1


async def test_preview_writes_every_notice_and_sends_nothing(
    playbook: Playbook, store: IncidentStore, tmp_path: Path
) -> None:
    incident_id = await incident(store, ["C-0", "C-1", "C-2"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    incidents = [i for i in [await store.get(incident_id)] if i]
    customers, _ = affected(incidents, playbook.directory(), breach.occurred_at)
    written = preview(playbook, breach, customers, incidents, tmp_path / "preview")
    assert written == 4
    assert (tmp_path / "preview" / "customer-C-1.txt").read_text().count("What happened") == 1
    assert await playbook.outbox.states([customer_key(breach.id, "C-0")]) == {}
