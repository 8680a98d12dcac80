"""Where a breach stands: each phase's clock and filing, and every recipient's notice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from playbooks.breach import Breach, Phase
from playbooks.customers import Affected
from playbooks.message_keys import authority_key, customer_key
from playbooks.playbook import Playbook
from playbooks.signed_form import EMAILED, failures_key


def filing_state(phase: Phase, sent: str | None, now: datetime) -> str:
    """One phase in words: filed on time, filed late, or what it waits for."""
    if phase.filed_at is not None:
        return "filed on time" if not phase.late(now) else "filed late"
    if sent is not None:
        return f"e-mail {sent}"
    return "OVERDUE, not filed" if now > phase.due else "not filed yet"


def phase_report(phase: Phase, sent: str | None, now: datetime) -> dict[str, Any]:
    return {
        "phase": phase.number,
        "state": filing_state(phase, sent, now),
        "due": phase.due.isoformat(),
        "overdue": phase.filed_at is None and now > phase.due,
        "filed_at": phase.filed_at.isoformat() if phase.filed_at else None,
        "reference": phase.reference,
        "late_reason": phase.late_reason,
        "late_reason_missing": phase.wants_late_reason(now),
    }


async def progress(
    playbook: Playbook,
    breach: Breach,
    found: list[Affected],
    now: datetime,
    recipients: bool = False,
    unknown: list[str] | None = None,
) -> dict[str, Any]:
    """The clocks, the authority's filings, and customer notices by state (JSON-ready)."""
    keys = [customer_key(breach.id, a.customer.customer_id) for a in found if a.address]
    email = playbook.breach.authority_delivery in EMAILED
    authority = [authority_key(breach.id, p.number) for p in breach.phases] if email else []
    states = await playbook.outbox.states(keys + authority)
    phases = [
        phase_report(p, states.get(authority_key(breach.id, p.number)) if email else None, now)
        for p in breach.phases
    ]
    failed = await playbook.store.redis.hgetall(failures_key(playbook.store, breach.id))
    for phase in phases:  # a signed-email phase whose key failed: the officer has the draft
        reason = failed.get(str(phase["phase"]).encode())
        phase["signing_failed"] = reason.decode() if reason else None
    counts = Counter(states.get(key, "not queued") for key in keys)
    report: dict[str, Any] = {
        "id": breach.id,
        "summary": breach.summary,
        "declared_by": breach.declared_by,
        "declared_at": breach.declared_at.isoformat(),
        "occurred_at": breach.occurred_at.isoformat(),
        "detected_at": breach.detected_at.isoformat(),
        "due": breach.due.isoformat(),
        "overdue": any(p["overdue"] for p in phases),
        "hours_left": round((breach.due - now).total_seconds() / 3600, 1),
        "phase": breach.phase,
        "late_reason": breach.late_reason,
        "approved": breach.approved,
        "withdrawn": breach.withdrawn,
        "confirmed": breach.confirmed,
        "delivery": playbook.breach.authority_delivery,
        "incidents": list(breach.incidents),
        "authority": {f"phase {p['phase']}": p["state"] for p in phases},
        "phases": phases,
        "customers": {
            "affected": len(found),
            **dict(counts),
            "no_safe_address": sum(1 for a in found if a.address is None),
        },
    }
    if recipients:
        report["recipients"] = [recipient(a, breach.id, states) for a in found]
        # Ids the directory lacks, or whose row it skipped: someone contacts them by hand.
        report["not_in_directory"] = list(unknown or [])
        report["directory_bad_rows"] = [
            {"line": bad.line, "reason": bad.reason} for bad in playbook.customers.read().bad_rows
        ]
    return report


def recipient(item: Affected, breach_id: str, states: dict[str, str]) -> dict[str, Any]:
    return {
        "customer": item.customer.customer_id,
        "language": item.customer.language,
        "contact": {
            "name": item.customer.full_name,
            "email": item.address or "",
            "phone": item.customer.phone,
        },
        "state": states.get(customer_key(breach_id, item.customer.customer_id), "not queued")
        if item.address
        else f"manual contact: {item.problem or 'no safe address'}; phone, post, public notice",
    }
