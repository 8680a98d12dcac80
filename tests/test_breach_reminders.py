"""Reminders name what is outstanding, stop when nothing is, and go on daily while overdue."""

from __future__ import annotations

import csv
from datetime import timedelta

from monitor.incidents import IncidentStore
from notifications.schedule import build_scheduler
from playbooks.decisions import record_filing
from playbooks.filing import withdraw
from playbooks.playbook import Playbook
from playbooks.progress import progress
from playbooks.reminders import remind
from playbooks.schedule import schedule_reminders
from tests.breach_parts import T0, clock_of, incident, playbook_fixture, send_all
from tests.mailbox import Mailbox

playbook = playbook_fixture(customers=20)
OFFICER = "quang.le@als.com.vn"


def reminders_to_officer(mailbox: Mailbox) -> list[str]:
    found = []
    for message in mailbox.messages:
        if message["To"] == OFFICER and str(message["Subject"]).startswith("[Vigil]"):
            body = message.get_body(preferencelist=("plain",))
            found.append(str(body.get_content() if body else ""))
    return found


async def test_a_reminder_names_what_is_outstanding_then_none_once_filed(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    incident_id = await incident(store, ["C-0", "C-1"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    clock_of(playbook).now = T0 + timedelta(hours=24)
    items = await remind(playbook, breach.id, 24)
    assert len(items) == 2  # phase 1 not filed; two customers not yet notified
    await send_all(playbook)
    (text,) = reminders_to_officer(mailbox)
    assert "Form 08 phase 1 is not filed" in text and "2 customers are not yet notified" in text
    clock_of(playbook).now = T0 + timedelta(hours=30)
    await record_filing(playbook.store, breach.id, 1, playbook.clock(), "A05 0142", "quang")
    assert await remind(playbook, breach.id, 48) == []  # customers were sent, form filed
    await send_all(playbook)
    assert len(reminders_to_officer(mailbox)) == 1


async def test_overdue_reminders_ask_for_the_late_reason(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    incident_id = await incident(store, ["C-0"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    await send_all(playbook)
    clock_of(playbook).now = T0 + timedelta(hours=96)
    items = await remind(playbook, breach.id, 96)
    assert [item.split(" (")[0] for item in items] == [
        "Form 08 phase 1 is not filed with the authority",
        "phase 1 is late and has no late reason",
    ]


async def test_jobs_at_each_reminder_the_deadline_and_daily_after(
    playbook: Playbook, store: IncidentStore, redis_url: str
) -> None:
    incident_id = await incident(store, ["C-0"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    scheduler = build_scheduler(redis_url, "remind-test", "UTC")
    scheduler.start(paused=True)
    try:
        schedule_reminders(scheduler, "remind-test", breach, playbook)
        jobs = {job.id.rsplit(":", 1)[1]: job for job in scheduler.get_jobs()}
        assert sorted(jobs) == ["24", "48", "60", "70", "72", "daily"]
        assert jobs["72"].trigger.run_date == T0 + timedelta(hours=72)
        assert jobs["daily"].trigger.start_date == T0 + timedelta(hours=96)
    finally:
        scheduler.remove_all_jobs()
        scheduler.shutdown(wait=False)


async def test_a_bad_directory_row_is_listed_for_manual_contact_and_stops_nothing(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    path = playbook.customers.path
    with path.open("a", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["C-50", "u50", "Lan", "Co", "c50@example.com", "0912", "vi", "", "hôm qua"]
        )
        writer.writerow(["C-51", "u51", "Minh"])  # a row with columns missing
    incident_id = await incident(store, ["C-0", "C-50", "C-51"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    outcome = await playbook.run(breach.id)
    assert (outcome.no_address, outcome.unknown) == (("C-50",), ("C-51",))
    await send_all(playbook)
    assert {str(m["To"]) for m in mailbox.messages} == {"c0@example.com", "quang.le@als.com.vn"}
    _, found, unknown = await playbook.affected_of(breach)
    state = await progress(playbook, breach, found, playbook.clock(), True, unknown)
    (manual,) = [r for r in state["recipients"] if r["customer"] == "C-50"]
    assert "email_changed_at in the customer directory is not a date" in manual["state"]
    assert state["not_in_directory"] == ["C-51"]
    # Line 24 of the file: customer C-7's quoted name holds a line break.
    assert state["directory_bad_rows"] == [{"line": 24, "reason": "3 fields, the header has 9"}]


async def test_nothing_outstanding_after_a_withdrawal(
    playbook: Playbook, store: IncidentStore
) -> None:
    incident_id = await incident(store, ["C-0"])
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    await withdraw(playbook.store, playbook.outbox, breach.id, "a staff test account", "quang")
    clock_of(playbook).now = T0 + timedelta(hours=96)
    assert await remind(playbook, breach.id, 96) == []
