"""Reminders that name what is still outstanding on a breach, and say nothing once nothing is."""

from __future__ import annotations

from datetime import datetime

from notifications.message import Channel, Message
from playbooks.breach import Breach
from playbooks.customers import Affected
from playbooks.message_keys import customer_key
from playbooks.playbook import Playbook


async def outstanding(
    playbook: Playbook, breach: Breach, found: list[Affected], now: datetime
) -> list[str]:
    """Each thing still to do, as one line; empty when the breach needs nothing more."""
    if breach.withdrawn:
        return []
    lines = []
    for phase in breach.phases:
        if phase.filed_at is None:
            when = "OVERDUE since" if now > phase.due else "due"
            lines.append(
                f"Form 08 phase {phase.number} is not filed with the authority "
                f"({when} {phase.due:%Y-%m-%d %H:%M} UTC): sign it, file it, and record the "
                f"filing (`vigil breach filed {breach.id} --phase {phase.number} ...`)"
            )
        if phase.wants_late_reason(now):
            lines.append(
                f"phase {phase.number} is late and has no late reason "
                f"(`vigil breach late-reason {breach.id} --phase {phase.number} REASON`)"
            )
    keys = [customer_key(breach.id, a.customer.customer_id) for a in found if a.address]
    states = await playbook.outbox.states(keys)
    unsent = [key for key in keys if states.get(key) != "sent"]
    if unsent:
        dead = sum(1 for key in unsent if states.get(key) == "dead")
        lines.append(
            f"{len(unsent)} customers are not yet notified"
            + (f" ({dead} failed for good: retry them on the breach page)" if dead else "")
        )
    return lines


async def remind(playbook: Playbook, breach_id: str, hours: int) -> list[str]:
    """Tell the officer and `breach.remind` what is outstanding; nothing when nothing is."""
    breach = await playbook.store.existing(breach_id)
    now = playbook.clock()
    if not breach.withdrawn:
        await playbook.run(breach_id)  # a filing by e-mail, customers queued since
        breach = await playbook.store.existing(breach_id)
    _, found, _ = await playbook.affected_of(breach)
    items = await outstanding(playbook, breach, found, now)
    if not items:
        return []
    left = breach.due - now
    clock = (
        f"{int(left.total_seconds() // 3600)} hours left before the initial notice's deadline."
        if left.total_seconds() > 0
        else "the initial notice's deadline has passed."
    )
    text = (
        f"Breach {breach.id}: {breach.summary}\n{hours} hours since discovery; {clock}\n\n"
        "Still outstanding:\n"
        + "".join(f"- {item}\n" for item in items)
        + f"\nSee `vigil breach status {breach.id}` or the breach page.\n"
    )
    people = playbook.people()
    keys = {person: f"breach:{breach.id}:reminder:{hours}:{person}" for person in people}
    await playbook.remember(breach.id, list(keys.values()), external=False)
    await playbook.outbox.enqueue_many(
        [
            Message(
                keys[person],
                Channel.EMAIL,
                (address,),
                f"[Vigil] Breach {breach.id}: {len(items)} outstanding, {hours} h since discovery",
                text,
                headers={"X-Vigil-Record-Head": str(await playbook.record.head(breach.id))},
            )
            for person, address in people.items()
        ]
    )
    await playbook.record.append(
        breach.id, "reminder", {"hours": hours, "to": sorted(people), "outstanding": items}
    )
    return items
