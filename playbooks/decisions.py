"""What people decide on a breach after its declaration: filings, discovery, confirmation."""

from __future__ import annotations

from datetime import datetime

from playbooks.breach import Breach, BreachError, BreachStore


async def record_filing(
    store: BreachStore,
    breach_id: str,
    phase: int,
    at: datetime,
    reference: str,
    by: str,
    late_reason: str = "",
) -> Breach:
    """The authority has this phase's signed Form 08: its clock stops at `at`."""
    breach = await store.open_breach(breach_id)
    if not 1 <= phase <= breach.phase:
        raise BreachError(f"{breach_id} has no phase {phase} (it has {breach.phase})")
    if at > store.clock():
        raise BreachError("a filing cannot be recorded in the future")
    if not reference.strip():
        raise BreachError("give the filing's reference (the authority's receipt or number)")
    current = breach.phases[phase - 1]
    if current.filed_at is not None:
        raise BreachError(f"phase {phase} was filed at {current.filed_at:%Y-%m-%d %H:%M} UTC")
    if at > current.due and not (late_reason.strip() or current.late_reason):
        raise BreachError(
            f"phase {phase} was filed after its deadline "
            f"({current.due:%Y-%m-%d %H:%M} UTC): give the late reason"
        )
    if late_reason.strip():
        await store.set_late_reason(breach_id, late_reason, by, phase)
    field = f"phase:{phase}:"
    await store.redis.hset(
        store.key(breach_id),
        mapping={field + "filed_at": at.isoformat(), field + "reference": reference.strip()},
    )
    await store.record.append(
        breach_id,
        "authority-filed",
        {
            "by": by,
            "phase": phase,
            "filed_at": at.isoformat(),
            "reference": reference.strip(),
            "on_time": at <= current.due,
        },
    )
    return await store.existing(breach_id)


async def record_discovery(
    store: BreachStore, breach_id: str, at: datetime, reason: str, by: str
) -> Breach:
    """Internal control knew earlier than Vigil raised it: T0 and the first deadline move back."""
    breach = await store.open_breach(breach_id)
    if not reason.strip():
        raise BreachError("say how the breach was discovered earlier")
    if at >= breach.detected_at:
        raise BreachError(
            f"discovery can only move earlier than {breach.detected_at:%Y-%m-%d %H:%M} UTC"
        )
    due = at + (breach.phases[0].due - breach.phases[0].opened_at)
    await store.redis.hset(
        store.key(breach_id),
        mapping={
            "detected_at": at.isoformat(),
            "phase:1:opened": at.isoformat(),
            "phase:1:due": due.isoformat(),
        },
    )
    await store.record.append(
        breach_id,
        "discovery",
        {"by": by, "detected_at": at.isoformat(), "reason": reason.strip(), "due": due.isoformat()},
    )
    return await store.existing(breach_id)


async def confirm(store: BreachStore, breach_id: str, by: str) -> Breach:
    """A breach with no affected customer is notified only once someone confirms it."""
    await store.open_breach(breach_id)
    await store.redis.hset(store.key(breach_id), "confirmed", "1")
    await store.record.append(breach_id, "confirmed", {"by": by})
    return await store.existing(breach_id)


async def mark_withdrawn(store: BreachStore, breach_id: str, reason: str, by: str) -> Breach:
    """Withdrawn, with the reason on the record; the playbook sends nothing more for it."""
    await store.open_breach(breach_id)
    if not reason.strip():
        raise BreachError("say why the breach is withdrawn")
    await store.redis.hset(store.key(breach_id), "withdrawn", reason.strip())
    await store.record.append(breach_id, "withdrawn", {"by": by, "reason": reason.strip()})
    return await store.existing(breach_id)
