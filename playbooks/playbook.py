"""The section 10 playbook: find who was affected, prepare Form 08, notify each customer.

`run` is a sequence of idempotent steps; it is safe to run again at any time (after a
crash, a late reason, an approval, a filing, new incidents), and only what is missing is
done. By default Form 08 goes as a draft to the officer for signature, and the filing is
recorded by hand; e-mailing it to the authority is an explicit option. Notices are queued in
the outbox under keys that name the breach and the recipient, so nobody is notified twice;
every e-mail carries the record's head, and the record logs every rendering and every send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.directory import Customer, read_customers
from monitor.directory_files import LastGood
from monitor.incidents import Incident, IncidentStore
from monitor.settings import Settings, shipped_file
from notifications.message import Channel, Message
from notifications.oncall import Rota
from notifications.outbox import Outbox
from playbooks.authority_form import authority_messages
from playbooks.breach import Breach, BreachError, BreachStore
from playbooks.customers import Affected, affected
from playbooks.deliveries import record_missing_sends
from playbooks.evidence import geolocate
from playbooks.filing import filed_by_email
from playbooks.message_keys import authority_key, customer_key, draft_key
from playbooks.notices import (
    BreachView,
    Letters,
    authority_lines,
    customer_notice,
)
from playbooks.record import Record, head_headers
from playbooks.safety import with_deliverable
from playbooks.signed_form import EMAILED, fall_back, signing_failed
from playbooks.signing import SigningError
from playbooks.stories import Stories
from playbooks.view import Moment

log = logging.getLogger(__name__)

BATCH = 1000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did and what still waits."""

    customers: int
    queued: int
    no_address: tuple[str, ...]
    unknown: tuple[str, ...]
    waiting: str  # "", "approval", "late reason", "confirmation" or "withdrawn"


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
        await record_missing_sends(self.store, self.outbox, breach.id)  # after a kill
        if breach.withdrawn:
            return Outcome(0, 0, (), (), "withdrawn")
        incidents, found, unknown = await self.affected_of(breach)
        if not (found or unknown or breach.confirmed):
            return Outcome(0, 0, (), (), "confirmation")  # nothing goes out unconfirmed
        if self.breach.authority_delivery in EMAILED:
            breach = await filed_by_email(self.store, self.outbox, breach)
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
        """The breach as its documents print it, with what the flow knows of the filing."""
        first = breach.phases[0]
        return BreachView(
            breach.id,
            breach.summary,
            breach.occurred_at,
            breach.detected_at,
            phase=breach.phase,
            rendered_at=self.clock(),
            first_notice_number=first.reference,
            first_notice_date=Moment(first.filed_at).date_vi if first.filed_at else "",
            authority_notified_at=first.filed_at,
            authority_reference=first.reference,
            late_reason=breach.late_reason,
        )

    def people(self) -> dict[str, str]:
        """Who signs and who is reminded: the officer and `breach.remind`, by address."""
        now = self.clock()
        people = [self.rota.resolve(t, now) for t in self.breach.remind]
        found = {"dpo": self.breach.dpo.email} | {p: self.rota.address(p) for p in people}
        by_address = {address: person for person, address in reversed(found.items()) if address}
        return {person: address for address, person in by_address.items()}  # one copy each

    async def notify_authority(
        self,
        breach: Breach,
        incidents: Sequence[Incident],
        found: Sequence[Affected],
        unknown: Sequence[str] = (),
    ) -> str:
        """Queue this phase's Form 08 (a draft, or the e-mail); or say what it waits for."""
        if self.breach.require_approval != "none" and breach.approved == "none":
            return "approval"
        delivery = self.breach.authority_delivery
        signed = delivery == "signed-email"
        failed = await signing_failed(self.store, breach.id, breach.phase) if signed else None
        email = delivery in EMAILED and failed is None
        if email:
            copies = [
                (authority_key(breach.id, breach.phase), self.breach.authority_email),
                (f"breach:{breach.id}:dpo:{breach.phase}", self.breach.dpo.email),
            ]
        else:
            revision = len(breach.incidents)
            copies = [
                (draft_key(breach.id, breach.phase, revision, person), address)
                for person, address in self.people().items()
            ]
        if breach.phases[-1].filed_at or await self.outbox.delivery(copies[0][0]) is not None:
            return ""
        now = self.clock()
        if email and breach.phases[-1].wants_late_reason(now):
            return "late reason"
        mode = ("signed" if delivery == "signed-email" else "email") if email else "draft"
        try:
            messages = await authority_messages(
                self, breach, incidents, found, unknown, copies, mode, failed or ""
            )
        except SigningError as error:  # expired, token pulled, wrong PIN: the officer signs
            log.error("breach %s: Form 08 not signed, sent as a draft: %s", breach.id, error)
            await fall_back(self.store, breach, str(error))
            return await self.notify_authority(breach, incidents, found, unknown)
        await self.remember(breach.id, [k for k, _ in copies], external=email)
        await self.outbox.enqueue_many(messages)
        await self.store.redis.hsetnx(
            self.store.key(breach.id), "authority_queued_at", now.isoformat()
        )
        return ""

    async def authority_time(self, breach: Breach) -> datetime | None:
        """When the authority had (or, by e-mail, was sent) the initial notice."""
        if breach.phases[0].filed_at is not None:
            return breach.phases[0].filed_at
        if self.breach.authority_delivery not in EMAILED:
            return None
        if await signing_failed(self.store, breach.id, 1):  # only a draft went, to the officer
            return None
        raw = await self.store.redis.hget(self.store.key(breach.id), "authority_queued_at")
        return datetime.fromisoformat(raw.decode()) if raw else None

    async def letters(self, breach: Breach, incidents: Sequence[Incident]) -> Letters:
        """What every customer notice of this breach shares, as of now."""
        view = self.view(breach)
        notified = view.authority_notified_at or await self.authority_time(breach)
        lines = authority_lines(self.breach, notified, breach.due, view.today)
        return Letters(view, self.settings.organisation, Stories(incidents), lines)

    async def remember(self, breach_id: str, keys: Sequence[str], external: bool = True) -> None:
        """Messages that leave ALS: once one has gone out, the breach cannot be withdrawn.
        Internal ones (drafts) are only cancelled by a withdrawal."""
        name = "external" if external else "internal"
        if keys:
            await self.store.redis.sadd(self.store.key(breach_id, name), *keys)

    async def retry_authority(self, breach_id: str) -> bool:
        """Queue the current phase's dead e-mail to the authority again, rendered anew: past
        its deadline, only once a late reason is given (it is then in the form)."""
        breach = await self.store.open_breach(breach_id)
        if breach.phases[-1].wants_late_reason(self.clock()):
            raise BreachError(
                f"phase {breach.phase} is past its deadline: give the late reason first"
            )
        key = authority_key(breach.id, breach.phase)
        delivery = await self.outbox.delivery(key)
        if delivery is None or delivery.state != "dead":
            raise BreachError(f"the authority notice of phase {breach.phase} has not failed")
        incidents, found, unknown = await self.affected_of(breach)
        copies = [(key, self.breach.authority_email)]
        mode = "signed" if self.breach.authority_delivery == "signed-email" else "email"
        try:
            messages = await authority_messages(
                self, breach, incidents, found, unknown, copies, mode
            )
        except SigningError as error:
            raise BreachError(f"Form 08 cannot be signed: {error}") from None
        return await self.outbox.retry(key, messages[0])

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
        head = await self.record.head(breach.id)
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
                    head_headers(head, "vi, en" if notice.language == "mixed" else notice.language),
                )
            )
        # Recorded before it is queued: whatever is sent has its rendering on the record.
        # The head each carries is the one before this entry: rendering came first.
        await self.record.append(breach.id, "notices-rendered", {"notices": rendered})
        await self.remember(breach.id, [m.key for m in messages])
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
