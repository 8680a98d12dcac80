"""The outbox and the breach record must agree: every delivered message has its entry.

The sender marks a message sent in the outbox, then writes `notice-sent` on the record; a
kill between the two would leave a delivery off the record. The playbook writes what is
missing when it next runs (marked as recovered), and `vigil breach verify` reports any
disagreement left.
"""

from __future__ import annotations

from typing import Any

from notifications.outbox import Delivery, Outbox
from playbooks.breach import BreachStore

GONE_OUT = frozenset({"sent"})


async def breach_keys(store: BreachStore, breach_id: str) -> list[str]:
    """Every message key the playbook queued for the breach (external and internal)."""
    found: set[str] = set()
    for name in ("external", "internal"):
        found.update(raw.decode() for raw in await store.redis.smembers(store.key(breach_id, name)))
    return sorted(found)


def recorded(entries: list[dict[str, Any]]) -> set[str]:
    return {
        str(entry["data"].get("key"))
        for entry in entries
        if entry.get("kind") == "notice-sent" and isinstance(entry.get("data"), dict)
    }


async def disagreements(
    store: BreachStore, outbox: Outbox, breach_id: str, entries: list[dict[str, Any]]
) -> list[str]:
    """Where outbox and record disagree, one line each kind (empty when they agree)."""
    keys = await breach_keys(store, breach_id)
    states = await outbox.states(keys)
    on_record = recorded(entries)
    unrecorded = [k for k in keys if states.get(k) in GONE_OUT and k not in on_record]
    unsent = [k for k in on_record if states.get(k, "sent") not in GONE_OUT]
    problems = []
    if unrecorded:
        problems.append(
            f"{len(unrecorded)} delivered messages have no notice-sent entry, e.g. {unrecorded[0]}"
        )
    if unsent:
        problems.append(
            f"{len(unsent)} notice-sent entries name messages the outbox has not sent, "
            f"e.g. {sorted(unsent)[0]}"
        )
    return problems


async def record_missing_sends(store: BreachStore, outbox: Outbox, breach_id: str) -> int:
    """Write the notice-sent entries a kill left out; how many were written."""
    keys = await breach_keys(store, breach_id)
    states = await outbox.states(keys)
    on_record = recorded(await store.record.entries(breach_id))
    written = 0
    for key in keys:
        if states.get(key) not in GONE_OUT or key in on_record:
            continue
        delivery = await outbox.delivery(key)
        if delivery is not None:
            await store.record.append(breach_id, "notice-sent", recovered(delivery))
            written += 1
    return written


def recovered(delivery: Delivery) -> dict[str, Any]:
    return {
        "key": delivery.key,
        "to": list(delivery.to),
        "detail": delivery.message_id or "",
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else "",
        "recovered": True,  # written after a restart, from the outbox
    }
