"""The demo's last act: customer accounts taken over on the website, a breach, the notices."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from monitor.breach_commands import build_playbook, reminders
from monitor.demo_mail import EmlMailbox
from monitor.incidents import Incident
from monitor.service import Vigil
from notifications.mask import mask_email
from playbooks.decisions import record_filing
from playbooks.progress import progress

STUFFER = "198.51.100.23"
T = TypeVar("T")
VICTIMS = (("cust-1003", "C-1003"), ("cust-1017", "C-1017"))


def audit_lines(now: datetime) -> list[str]:
    """Five wrong passwords, then the right one, for each of two customers (ECS audit log)."""
    lines = []
    for number, (user, customer) in enumerate(VICTIMS):
        for attempt in range(6):
            moment = now + timedelta(seconds=number * 30 + attempt * 4)
            lines.append(
                json.dumps(
                    {
                        "@timestamp": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                        "event": {
                            "action": "user-login",
                            "category": "authentication",
                            "outcome": "success" if attempt == 5 else "failure",
                        },
                        "user": {"name": user},
                        "source": {"ip": STUFFER},
                        "labels": {"customer_id": customer, "session_id": f"s-{user}-{attempt}"},
                    }
                )
            )
    return lines


async def breach_act(
    vigil: Vigil, audit_log: Path, mailbox: EmlMailbox, seen: list[Incident]
) -> bool:
    before = len(seen)
    for line in audit_lines(datetime.now(UTC)):
        with audit_log.open("a") as handle:
            handle.write(line + "\n")
    print(f"  log   {len(VICTIMS) * 6} website logins from {STUFFER} written to {audit_log.name}")
    taken = await wait(lambda: [i for i in seen[before:] if i.affected_customers], len(VICTIMS))
    if not taken:
        return False
    playbook = build_playbook(vigil)
    breach = await playbook.store.declare(
        [i.id for i in taken], "Customer accounts on the website taken over", "quang.le"
    )
    await reminders(vigil, playbook, breach.id)
    print(
        f"  BREACH   {breach.id} declared by internal control; discovered "
        f"{breach.detected_at:%H:%M} UTC, Form 08 due by {breach.due:%Y-%m-%d %H:%M} UTC"
    )
    mail_before = len(mailbox.received)
    outcome = await playbook.run(breach.id)
    drafts = len(playbook.people())
    print(
        f"  PLAYBOOK {outcome.customers} affected customers, {outcome.queued} notices queued; "
        f"Form 08 as a draft to the officer for signature (nothing to the authority)"
    )
    arrived = await wait(
        lambda: [
            m
            for m in mailbox.received[mail_before:]
            if not str(m[1]["Subject"]).startswith("[Vigil]")
        ],
        outcome.queued + drafts,
    )
    for path, message in arrived:
        to = str(message["To"])
        shown = to if to.endswith("als.com.vn") else mask_email(to)  # a customer
        print(f"  MAIL     to {shown}: {message['Subject']}  ({path})")
    # The officer signs the form and files it with A05; the filing stops the clock.
    breach = await record_filing(
        playbook.store, breach.id, 1, datetime.now(UTC), "A05 receipt 0142/2026", "quang.le"
    )
    _, found, _ = await playbook.affected_of(breach)
    state = await progress(playbook, breach, found, datetime.now(UTC))
    entries, problems = await playbook.record.verify(breach.id)
    print(
        f"  FILED    phase 1 {state['authority']['phase 1']} (`vigil breach filed {breach.id} "
        "--phase 1 --at TIME --reference TEXT`)"
    )
    print(f"  STATUS   customers {state['customers']}")
    chain = "intact" if not problems else "BROKEN"
    print(
        f"  RECORD   {len(entries)} entries, HMAC chain {chain}, "
        f"heads anchored in {playbook.record.seal.anchors}"
    )
    return len(arrived) >= outcome.queued + drafts


async def wait(found: Callable[[], list[T]], count: int, seconds: float = 30.0) -> list[T]:
    """Poll `found()` until it lists `count` things (or time runs out)."""
    for _ in range(int(seconds * 10)):
        items = found()
        if len(items) >= count:
            return items
        await asyncio.sleep(0.1)
    return found()
