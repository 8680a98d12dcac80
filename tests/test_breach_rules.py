"""One event, one breach: the rule waits for related incidents and attaches late ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from playbooks.breach import BreachError
from playbooks.filing import withdraw
from playbooks.playbook import Playbook
from playbooks.rules import Rules
from tests.breach_parts import T0, by_recipient, clock_of, incident, playbook_fixture, send_all
from tests.mailbox import Mailbox

EXPORT_LINE = {"id": "audit.json:9", "@timestamp": "2026-03-02T02:00:00Z"}


playbook = playbook_fixture(customers=200)


async def export(
    store: IncidentStore, detector: str, customers: range, line: dict[str, str] = EXPORT_LINE
) -> str:
    """An incident on one export line, as two bulk-access detectors raise for one export."""
    finding = Finding(
        detector=detector,
        family="bulk_access",
        severity=Severity.HIGH,
        title=f"Export of {len(customers)} customer records",
        key=f"{detector}:actor=lan",
        entities={"actor": "lan"},
        first_seen=T0,
        last_seen=T0,
        evidence=(line,),
        affected_customers=frozenset(f"C-{n}" for n in customers),
    )
    (change,) = await store.record([finding])
    return change.incident_id


async def test_one_export_two_incidents_one_breach_one_notice_each(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    rules = Rules(playbook)
    drop = await export(store, "bulk_access.export_drop", range(150))
    department = await export(store, "bulk_access.unauthorized_department", range(150))
    assert await rules.consider(drop) is None  # waits for related incidents
    assert await rules.consider(department) is None
    clock_of(playbook).now = T0 + playbook.breach.auto_declare_delay
    (breach_id,) = await rules.declare_due()
    breach = await playbook.store.existing(breach_id)
    assert set(breach.incidents) == {drop, department} and breach.phase == 1
    assert await playbook.store.ids() == [breach_id]
    await send_all(playbook)
    received = by_recipient(mailbox)
    assert (
        len([to for to in received if to.startswith(("c", "old"))]) == 150
    )  # emails changed before the export count
    assert all(len(bodies) == 1 for bodies in received.values())
    drafts = [m for m in mailbox.messages if "DRAFT" in str(m["Subject"])]
    assert len(drafts) == 1 and "a05@bocongan.gov.vn" not in received


async def test_a_later_match_on_the_same_evidence_attaches_to_the_open_breach(
    playbook: Playbook, store: IncidentStore, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    rules = Rules(playbook)
    first = await export(store, "bulk_access.export_drop", range(120))
    await rules.consider(first)
    clock_of(playbook).now += playbook.breach.auto_declare_delay
    (breach_id,) = await rules.declare_due()
    clock_of(playbook).now += timedelta(hours=1)
    second = await export(store, "bulk_access.unauthorized_department", range(100, 160))
    assert await rules.consider(second) == breach_id
    breach = await playbook.store.existing(breach_id)
    assert second in breach.incidents and breach.phase == 1  # not filed yet: the same phase
    await send_all(playbook)
    received = by_recipient(mailbox)
    customers = {to: bodies for to, bodies in received.items() if to.startswith("c")}
    assert len(customers) == 160 and all(len(bodies) == 1 for bodies in customers.values())
    assert len(received["quang.le@als.com.vn"]) == 2  # the draft, then the same phase revised


async def test_an_unrelated_incident_is_not_attached_nor_declared(
    playbook: Playbook, store: IncidentStore
) -> None:
    rules = Rules(playbook)
    big = await export(store, "bulk_access.export_drop", range(150))
    await rules.consider(big)
    small = await incident(store, ["C-1"])  # another family, another address
    assert await rules.consider(small) is None
    clock_of(playbook).now += playbook.breach.auto_declare_delay
    (breach_id,) = await rules.declare_due()
    assert (await playbook.store.existing(breach_id)).incidents == (big,)
    assert await rules.declare_due() == []


async def test_a_withdrawn_breach_is_not_declared_again_by_its_incident(
    playbook: Playbook, store: IncidentStore
) -> None:
    rules = Rules(playbook)
    big = await export(store, "bulk_access.export_drop", range(150))
    playbook.breach = playbook.breach.model_copy(update={"auto_declare_delay": timedelta(0)})
    breach_id = await rules.consider(big)
    assert breach_id is not None
    await withdraw(playbook.store, playbook.outbox, breach_id, "a test export by IT", "quang")
    assert await rules.consider(big) is None
    assert await playbook.store.ids() == [breach_id]


async def test_an_incident_in_an_open_breach_is_not_declared_again_by_hand(
    playbook: Playbook, store: IncidentStore
) -> None:
    incident_id = await incident(store, ["C-1"])
    first = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    with pytest.raises(BreachError, match=f"already in breach {first.id}: attach to it"):
        await playbook.store.declare([incident_id], "the same, from the dashboard", "lan")
    await withdraw(playbook.store, playbook.outbox, first.id, "declared by mistake", "quang")
    again = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    assert again.id != first.id
