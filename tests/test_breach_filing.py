"""Form 08 is a draft for signature by default; a recorded filing stops its phase's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.breach_status import print_status
from monitor.incidents import IncidentStore
from playbooks.breach import BreachError
from playbooks.decisions import confirm, record_discovery, record_filing
from playbooks.filing import withdraw
from playbooks.message_keys import authority_key, customer_key
from playbooks.playbook import Playbook
from playbooks.progress import progress
from tests.breach_parts import (
    T0,
    by_email,
    by_recipient,
    clock_of,
    incident,
    playbook_fixture,
    send_all,
)
from tests.mailbox import Mailbox

OFFICER = "quang.le@als.com.vn"
AUTHORITY = "a05@bocongan.gov.vn"


playbook = playbook_fixture(customers=20)


async def declared(playbook: Playbook, store: IncidentStore, customers: list[str]) -> str:
    incident_id = await incident(store, customers)
    clock_of(playbook).now = T0 + timedelta(hours=2)  # declared two hours after discovery
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    return breach.id


async def phase_state(playbook: Playbook, breach_id: str, number: int = 1) -> dict[str, object]:
    breach = await playbook.store.existing(breach_id)
    _, found, _ = await playbook.affected_of(breach)
    state = await progress(playbook, breach, found, playbook.clock())
    phase: dict[str, object] = state["phases"][number - 1]
    return phase


async def test_by_default_form_08_goes_to_the_officer_as_a_draft_and_never_to_a05(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    breach_id = await declared(playbook, store, ["C-0", "C-1"])
    await send_all(playbook)
    received = by_recipient(mailbox)
    assert AUTHORITY not in received
    assert set(received) == {OFFICER, "c0@example.com", "c1@example.com"}
    (draft,) = [m for m in mailbox.messages if m["To"] == OFFICER]
    assert str(draft["Subject"]).startswith("[DRAFT for signature]")
    assert f"vigil breach filed {breach_id} --phase 1" in received[OFFICER][0]
    (form,) = draft.iter_attachments()
    assert form.get_filename() == f"{breach_id}-form-08-phase-1.html"
    assert (await phase_state(playbook, breach_id))["state"] == "not filed yet"


async def test_a_recorded_filing_stops_the_clock_and_status_says_filed_on_time(
    playbook: Playbook, store: IncidentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    breach_id = await declared(playbook, store, ["C-0"])
    clock_of(playbook).now = T0 + timedelta(hours=31)
    await record_filing(
        playbook.store, breach_id, 1, T0 + timedelta(hours=30), "A05 0142/2026", "quang"
    )
    clock_of(playbook).now = T0 + timedelta(hours=100)  # long after the deadline
    phase = await phase_state(playbook, breach_id)
    assert (phase["state"], phase["overdue"], phase["late_reason_missing"]) == (
        "filed on time",
        False,
        False,
    )
    breach = await playbook.store.existing(breach_id)
    _, found, _ = await playbook.affected_of(breach)
    print_status(await progress(playbook, breach, found, playbook.clock()))
    assert "phase 1: filed on time" in capsys.readouterr().out
    filed = [e for e in await playbook.record.entries(breach_id) if e["kind"] == "authority-filed"]
    assert [e["data"]["reference"] for e in filed] == ["A05 0142/2026"]
    with pytest.raises(BreachError, match="was filed at"):
        await record_filing(playbook.store, breach_id, 1, T0, "again", "quang")


async def test_only_a_phase_filed_after_its_own_deadline_needs_a_late_reason(
    playbook: Playbook, store: IncidentStore
) -> None:
    breach_id = await declared(playbook, store, ["C-0"])
    clock_of(playbook).now = T0 + timedelta(hours=90)
    with pytest.raises(BreachError, match="give the late reason"):
        await record_filing(playbook.store, breach_id, 1, T0 + timedelta(hours=75), "R1", "lan")
    await record_filing(
        playbook.store, breach_id, 1, T0 + timedelta(hours=75), "R1", "lan", "A05 was closed"
    )
    phase = await phase_state(playbook, breach_id)
    assert (phase["state"], phase["late_reason"]) == ("filed late", "A05 was closed")
    # A follow-up opened now has its own 72 hours: filed within them, no reason is asked.
    second = await incident(store, ["C-1"], ip="198.51.100.4")
    await playbook.store.attach(breach_id, [second], "lan")
    clock_of(playbook).now += timedelta(hours=10)
    await record_filing(playbook.store, breach_id, 2, playbook.clock(), "R2", "lan")
    assert (await phase_state(playbook, breach_id, 2))["state"] == "filed on time"


async def test_an_emailed_form_retried_after_the_deadline_carries_a_late_reason(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    by_email(playbook)
    breach_id = await declared(playbook, store, ["C-0"])
    key = authority_key(breach_id, 1)
    await playbook.outbox.claim(timedelta(minutes=1), count=100)
    await playbook.outbox.failed(key, "550 mailbox unavailable", None)  # dead, as after 5 tries
    clock_of(playbook).now = T0 + timedelta(hours=80)
    with pytest.raises(BreachError, match="give the late reason first"):
        await playbook.retry_authority(breach_id)
    await playbook.store.set_late_reason(breach_id, "the authority's server refused it", "lan")
    assert await playbook.retry_authority(breach_id)
    await send_all(playbook)
    (notice,) = [m for m in mailbox.messages if m["To"] == AUTHORITY]
    (form,) = notice.iter_attachments()
    assert "the authority&#39;s server refused it" in form.get_content()
    await playbook.run(breach_id)  # the delivery is the filing
    phase = await phase_state(playbook, breach_id)
    assert (phase["state"], phase["late_reason_missing"]) == ("filed late", False)


async def test_a_breach_without_customers_waits_for_confirmation(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    incident_id = await incident(store, [])
    breach = await playbook.store.declare([incident_id], "test", "quang")
    assert (await playbook.run(breach.id)).waiting == "confirmation"
    await send_all(playbook)
    assert mailbox.messages == []
    await confirm(playbook.store, breach.id, "quang")
    assert (await playbook.run(breach.id)).waiting == ""
    await send_all(playbook)
    assert [str(m["To"]) for m in mailbox.messages] == [OFFICER]


async def test_withdrawn_before_anything_went_out_and_not_after(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    breach_id = await declared(playbook, store, ["C-0", "C-1"])
    await withdraw(playbook.store, playbook.outbox, breach_id, "a staff test account", "quang")
    await send_all(playbook)
    assert mailbox.messages == []
    states = await playbook.outbox.states([customer_key(breach_id, "C-0")])
    assert states == {customer_key(breach_id, "C-0"): "cancelled"}
    assert (await playbook.run(breach_id)).waiting == "withdrawn"
    kinds = [e["kind"] for e in await playbook.record.entries(breach_id)]
    assert kinds[-1] == "withdrawn"
    other = await declared(playbook, store, ["C-2"])
    await send_all(playbook)
    with pytest.raises(BreachError, match="already gone out"):
        await withdraw(playbook.store, playbook.outbox, other, "changed my mind", "quang")


async def test_discovery_is_when_vigil_raised_the_incident_or_earlier_with_a_reason(
    playbook: Playbook, store: IncidentStore
) -> None:
    breach_id = await declared(playbook, store, ["C-0"])  # raised at T0, declared at T0 + 2 h
    breach = await playbook.store.existing(breach_id)
    assert (breach.detected_at, breach.due) == (T0, T0 + timedelta(hours=72))
    with pytest.raises(BreachError, match="only move earlier"):
        await record_discovery(playbook.store, breach_id, T0 + timedelta(hours=1), "x", "lan")
    await record_discovery(
        playbook.store, breach_id, T0 - timedelta(hours=5), "a customer called the hotline", "lan"
    )
    breach = await playbook.store.existing(breach_id)
    assert breach.due == T0 + timedelta(hours=67)
    (entry,) = [e for e in await playbook.record.entries(breach_id) if e["kind"] == "discovery"]
    assert entry["data"]["reason"] == "a customer called the hotline"
