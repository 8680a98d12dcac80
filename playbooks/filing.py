"""The authority's side of a breach beyond a person's decision: what the draft asks the
officer to do, an e-mailed Form 08 counted as filed when delivered, and a withdrawal that
cancels what has not gone out."""

from __future__ import annotations

from notifications.outbox import Outbox
from playbooks.breach import Breach, BreachError, BreachStore
from playbooks.decisions import mark_withdrawn
from playbooks.message_keys import authority_key


async def filed_by_email(store: BreachStore, outbox: Outbox, breach: Breach) -> Breach:
    """With e-mail delivery, a phase is filed when the authority's server took it."""
    for phase in breach.phases:
        if phase.filed_at is not None:
            continue
        delivery = await outbox.delivery(authority_key(breach.id, phase.number))
        if delivery is None or delivery.sent_at is None:
            continue
        field = f"phase:{phase.number}:"
        await store.redis.hset(
            store.key(breach.id),
            mapping={
                field + "filed_at": delivery.sent_at.isoformat(),
                field + "reference": f"e-mail {delivery.message_id}",
            },
        )
        await store.record.append(
            breach.id,
            "authority-filed",
            {
                "by": "vigil (e-mail)",
                "phase": phase.number,
                "filed_at": delivery.sent_at.isoformat(),
                "reference": f"e-mail {delivery.message_id}",
                "on_time": delivery.sent_at <= phase.due,
            },
        )
    return await store.existing(breach.id)


async def withdraw(
    store: BreachStore, outbox: Outbox, breach_id: str, reason: str, by: str
) -> Breach:
    """Withdraw a breach before anything went out; queued notices are cancelled."""
    breach = await store.open_breach(breach_id)
    if not reason.strip():
        raise BreachError("say why the breach is withdrawn")
    external = await queued(store, breach.id, "external")
    internal = await queued(store, breach.id, "internal")  # drafts: cancelled, never guarding
    gone = await outbox.cancel(external, internal)
    if gone:
        raise BreachError(
            f"{len(gone)} notices have already gone out: the breach cannot be withdrawn"
        )
    return await mark_withdrawn(store, breach_id, reason, by)


async def queued(store: BreachStore, breach_id: str, name: str) -> list[str]:
    return [raw.decode() for raw in await store.redis.smembers(store.key(breach_id, name))]


def filing_steps(breach: Breach) -> str:
    """What the officer does with the draft: sign, file, and tell Vigil."""
    phase = breach.phases[-1]
    return (
        f"DRAFT Form 08, phase {phase.number} of breach {breach.id}, for signature. Nothing "
        "was sent to the authority.\n"
        f"1. Check, sign and seal the attached form.\n2. File it with the authority by "
        f"{phase.due:%Y-%m-%d %H:%M} UTC.\n3. Record the filing, which stops this phase's "
        f"clock: on the breach page, or\n   vigil breach filed {breach.id} --phase "
        f"{phase.number} --at TIME --reference TEXT\n\n" + "-" * 40 + "\n\n"
    )
