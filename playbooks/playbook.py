"""The section 10 playbook: find who was affected, notify the authority and each customer.

`run` is a sequence of idempotent steps; it is safe to run again at any time (after a
crash, a late reason, an approval, new incidents), and only what is missing is done.
Notices are queued in the outbox under keys that name the breach and the recipient, so
nobody is notified twice; the breach record logs every rendering and every send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from monitor.directory import Customer, read_customers
from monitor.directory_files import LastGood
from monitor.incidents import Incident, IncidentStore
from monitor.settings import Settings, shipped_file
from notifications.message import Channel, Message
from notifications.oncall import Rota
from notifications.outbox import Outbox
from playbooks.breach import Breach, BreachStore
from playbooks.customers import Affected, affected
from playbooks.evidence import geolocate
from playbooks.form08 import Parties
from playbooks.notices import (
    BreachView,
    Letters,
    authority_lines,
    authority_notice,
    customer_notice,
)
from playbooks.record import Record
from playbooks.safety import with_deliverable
from playbooks.stories import Stories

BATCH = 1000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did and what still waits."""

    customers: int
    queued: int
    no_address: tuple[str, ...]
    unknown: tuple[str, ...]
    waiting: str  # "", "approval" or "late reason"


def authority_key(breach_id: str, phase: int) -> str:
    return f"breach:{breach_id}:authority:{phase}"


def customer_key(breach_id: str, customer_id: str) -> str:
    return f"breach:{breach_id}:customer:{customer_id}"


class Playbook:
    def __init__(
        self,
        settings: Settings,
        store: BreachStore,
        incidents: IncidentStore,
        outbox: Outbox,
        rota: Rota,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.breach = settings.breach
        self.store = store
        self.incidents = incidents
        self.outbox = outbox
        self.rota = rota
        self.record: Record = store.record
        self.clock = clock
        path = shipped_file(settings.directories.customers)
        # Read again when it changes; a copy that turns unreadable keeps the last good one.
        self.customers = LastGood(path, read_customers)
        self.locate = geolocate(settings.detectors.geo)

    def directory(self) -> dict[str, Customer]:
        return dict(self.customers.read().customers)

    async def run(self, breach_id: str) -> Outcome:
        breach = await self.store.existing(breach_id)
        incidents, found, unknown = await self.affected_of(breach)
        waiting = await self.notify_authority(breach, incidents, found, unknown)
        queued = 0
        if not waiting or waiting == "late reason":
            queued = await self.notify_customers(breach, found, incidents)
        no_address = tuple(a.customer.customer_id for a in found if a.address is None)
        await self.record_unreachable(breach, no_address, unknown)
        return Outcome(len(found), queued, no_address, tuple(unknown), waiting)

    async def affected_of(self, breach: Breach) -> tuple[list[Incident], list[Affected], list[str]]:
        """The breach's incidents, its affected customers, and ids the directory lacks."""
        incidents = await self.incidents.get_many(breach.incidents, every_customer=True)
        customers, unknown = affected(incidents, self.directory(), breach.occurred_at)
        return incidents, [with_deliverable(c) for c in customers], unknown

    def view(self, breach: Breach) -> BreachView:
        return BreachView(
            breach.id,
            breach.summary,
            breach.occurred_at,
            breach.detected_at,
            phase=breach.phase,
            rendered_at=self.clock(),
            late_reason=breach.late_reason,
        )

    async def notify_authority(
        self,
        breach: Breach,
        incidents: Sequence[Incident],
        found: Sequence[Affected],
        unknown: Sequence[str] = (),
    ) -> str:
        """Queue this phase's Form 08 notice and the officer's copy; or say what it waits for."""
        key = authority_key(breach.id, breach.phase)
        if await self.outbox.delivery(key) is not None:
            return ""
        if self.breach.require_approval != "none" and breach.approved == "none":
            return "approval"
        now = self.clock()
        if now > breach.due(self.breach.deadline) and not breach.late_reason:
            return "late reason"
        entries = await self.record.entries(breach.id)
        head = entries[-1]["hash"] if entries else ""
        view = replace(self.view(breach), record_entries=len(entries), record_head=head)
        notice, _ = authority_notice(
            view,
            self.settings.organisation,
            self.breach,
            incidents,
            Parties(found, unknown, self.rota.staff),
            self.locate,
        )
        attachment = (
            f"{breach.id}-form-08-phase-{breach.phase}.html",
            "text/html",
            notice.attachment,
        )
        copies = [
            (key, self.breach.authority_email, "authority"),
            (f"breach:{breach.id}:dpo:{breach.phase}", self.breach.dpo.email, "dpo"),
        ]
        await self.record.append(
            breach.id,
            "notice-rendered",
            {
                "recipient": "authority",
                "phase": breach.phase,
                "language": notice.language,
                "sha256": notice.digest,
                "late_reason": breach.late_reason,
            },
        )
        await self.outbox.enqueue_many(
            [
                Message(
                    k,
                    Channel.EMAIL,
                    (address,),
                    notice.subject,
                    notice.text,
                    "",
                    breach.incidents,
                    (attachment,),
                    {"Content-Language": "vi, en"},
                )
                for k, address, _ in copies
            ]
        )
        await self.store.redis.hsetnx(
            self.store.key(breach.id), "authority_queued_at", now.isoformat()
        )
        return ""

    async def authority_time(self, breach: Breach) -> datetime | None:
        raw = await self.store.redis.hget(self.store.key(breach.id), "authority_queued_at")
        return datetime.fromisoformat(raw.decode()) if raw else None

    async def letters(self, breach: Breach, incidents: Sequence[Incident]) -> Letters:
        """What every customer notice of this breach shares, as of now."""
        view = self.view(breach)
        notified = view.authority_notified_at or await self.authority_time(breach)
        lines = authority_lines(self.breach, notified, breach.due(self.breach.deadline), view.today)
        return Letters(view, self.settings.organisation, Stories(incidents), lines)

    async def notify_customers(
        self, breach: Breach, found: Sequence[Affected], incidents: Sequence[Incident]
    ) -> int:
        """One notice per reachable customer who has none yet, in batches of BATCH."""
        if self.breach.require_approval == "all" and breach.approved != "all":
            return 0
        letters = await self.letters(breach, incidents)
        reachable = [a for a in found if a.address is not None]
        queued = 0
        for start in range(0, len(reachable), BATCH):
            batch = reachable[start : start + BATCH]
            keys = [customer_key(breach.id, a.customer.customer_id) for a in batch]
            known = await self.outbox.states(keys)
            fresh = [a for a, k in zip(batch, keys, strict=True) if k not in known]
            queued += await self.queue_customers(breach, fresh, letters)
        return queued

    async def queue_customers(
        self, breach: Breach, batch: Sequence[Affected], letters: Letters
    ) -> int:
        if not batch:
            return 0
        messages, rendered = [], []
        for item in batch:
            notice = customer_notice(letters, item)
            customer_id = item.customer.customer_id
            rendered.append(
                {
                    "customer": customer_id,
                    "language": notice.language,
                    "sha256": notice.digest,
                    "categories": sorted(str(c) for c in item.categories),
                }
                | ({"warning": notice.warning} if notice.warning else {})
            )
            messages.append(
                Message(
                    customer_key(breach.id, customer_id),
                    Channel.EMAIL,
                    (str(item.address),),
                    notice.subject,
                    notice.text,
                    notice.html,
                    breach.incidents,
                    (),
                    {
                        "Content-Language": "vi, en"
                        if notice.language == "mixed"
                        else notice.language
                    },
                )
            )
        # Recorded before it is queued: whatever is sent has its rendering on the record.
        await self.record.append(breach.id, "notices-rendered", {"notices": rendered})
        return await self.outbox.enqueue_many(messages)

    async def record_unreachable(
        self, breach: Breach, no_address: tuple[str, ...], unknown: list[str]
    ) -> None:
        """Customers with no safe address: phone or post, and the public notice (D356 29(3))."""
        marker = self.store.key(breach.id, "unreachable")
        listed = {raw.decode() for raw in await self.store.redis.smembers(marker)}
        fresh = sorted(set(no_address) - listed)
        missing = sorted(set(unknown) - listed)
        if fresh or missing:
            await self.record.append(
                breach.id,
                "unreachable",
                {
                    "no_safe_address": fresh,
                    "not_in_directory": missing,
                    "action": "contact by phone or post; publish the public notice on the website",
                },
            )
            await self.store.redis.sadd(marker, *fresh, *missing)

    async def remind(self, breach_id: str, hours: int) -> None:
        """+24, +48, +60, +70 hours: tell internal control and the officer where things stand."""
        breach = await self.store.existing(breach_id)
        left = breach.due(self.breach.deadline) - self.clock()
        text = (
            f"Breach {breach.id}: {breach.summary}\n"
            f"{hours} hours since detection; "
            + (
                f"{int(left.total_seconds() // 3600)} hours left before the 72-hour deadline."
                if left.total_seconds() > 0
                else "the 72-hour deadline has passed."
            )
            + "\nSee `vigil breach status "
            + breach.id
            + "`.\n"
        )
        people = [self.rota.resolve(t, self.clock()) for t in self.breach.remind]
        addresses = {p: self.rota.address(p) for p in people} | {"dpo": self.breach.dpo.email}
        await self.outbox.enqueue_many(
            [
                Message(
                    f"breach:{breach.id}:reminder:{hours}:{person}",
                    Channel.EMAIL,
                    (address,),
                    f"[Vigil] Breach {breach.id}: {hours} h since detection",
                    text,
                )
                for person, address in addresses.items()
                if address
            ]
        )
        await self.record.append(breach.id, "reminder", {"hours": hours, "to": sorted(addresses)})


def preview(
    playbook: Playbook,
    breach: Breach,
    found: Sequence[Affected],
    incidents: Sequence[Incident],
    folder: Path,
) -> int:
    """Write every notice of the breach into `folder` without sending anything."""
    from playbooks.preview import write_preview  # it renders with this module's Playbook

    return write_preview(playbook, breach, found, incidents, folder)
