"""Where a breach stands: the 72-hour clock and every recipient's notice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from playbooks.breach import Breach
from playbooks.customers import Affected
from playbooks.playbook import Playbook, authority_key, customer_key


async def progress(
    playbook: Playbook,
    breach: Breach,
    found: list[Affected],
    now: datetime,
    recipients: bool = False,
) -> dict[str, Any]:
    """The clock, the authority notice, and customer notices by state (JSON-ready)."""
    due = breach.due(playbook.breach.deadline)
    keys = [customer_key(breach.id, a.customer.customer_id) for a in found if a.address]
    authority = [authority_key(breach.id, phase) for phase in range(1, breach.phase + 1)]
    states = await playbook.outbox.states(keys + authority)
    counts = Counter(states.get(key, "not queued") for key in keys)
    report: dict[str, Any] = {
        "id": breach.id,
        "summary": breach.summary,
        "declared_by": breach.declared_by,
        "occurred_at": breach.occurred_at.isoformat(),
        "detected_at": breach.detected_at.isoformat(),
        "due": due.isoformat(),
        "overdue": now > due,
        "hours_left": round((due - now).total_seconds() / 3600, 1),
        "phase": breach.phase,
        "late_reason": breach.late_reason,
        "approved": breach.approved,
        "incidents": list(breach.incidents),
        "authority": {
            f"phase {n}": states.get(key, "not queued") for n, key in enumerate(authority, 1)
        },
        "customers": {
            "affected": len(found),
            **dict(counts),
            "no_safe_address": sum(1 for a in found if a.address is None),
        },
    }
    if recipients:
        report["recipients"] = [
            {
                "customer": a.customer.customer_id,
                "language": a.customer.language,
                "contact": {
                    "name": a.customer.full_name,
                    "email": a.address or "",
                    "phone": a.customer.phone,
                },
                "state": states.get(customer_key(breach.id, a.customer.customer_id), "not queued")
                if a.address
                else "no safe address: phone, post, public notice",
            }
            for a in found
        ]
    return report
