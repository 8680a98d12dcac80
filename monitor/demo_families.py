"""The demo's middle act: one attack of each other family, seen live by the same service."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.incidents import Incident

HOME, ABROAD = "113.160.0.1", "46.101.0.1"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
FAMILIES = ("impersonation", "bulk_access", "integrity")


def ecs(moment: datetime, **fields: object) -> str:
    stamp = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"@timestamp": stamp, **fields})


def audit_lines(now: datetime) -> list[str]:
    """A customer's session replayed from London; a warehouse clerk opening customer records."""
    session = {"labels.session_id": "s-demo-7f3a", "labels.customer_id": "C-1003"}
    hijack = [
        ecs(
            now,
            **{
                "event.action": "user-login",
                "event.outcome": "success",
                "user.name": "cust-1003",
                "source.ip": HOME,
                "user_agent.original": CHROME,
            },
            **session,
        ),
        ecs(
            now + timedelta(minutes=1),
            **{
                "event.action": "customer-record-view",
                "user.name": "cust-1003",
                "source.ip": ABROAD,
                "user_agent.original": "curl/8.5",
            },
            **session,
        ),
    ]
    clerk = [
        ecs(
            now + timedelta(minutes=2, seconds=n),
            **{
                "event.action": "customer-record-view",
                "user.name": "khanh.bui",
                "source.ip": "10.0.4.21",
                "labels.customer_id": customer,
            },
        )
        for n, customer in enumerate(("C-1001", "C-1002", "C-1017"))
    ]
    return hijack + clerk


async def families_act(audit_log: Path, site: Path, seen: list[Incident]) -> bool:
    """Write the attacks, change a file of the website, and wait for the three incidents."""
    print("Act two: one attack of each other family")
    for line in audit_lines(datetime.now(UTC)):
        with audit_log.open("a") as handle:
            handle.write(line + "\n")
        print(f"  audit {line[:110]}...")
        await asyncio.sleep(0.15)
    page = site / "index.php"
    page.write_text("<?php eval($_POST['cmd']); ?>\n")
    print(f"  file  {page} changed outside any maintenance window")
    for _ in range(200):
        if {i.family for i in seen} >= set(FAMILIES):
            return True
        await asyncio.sleep(0.1)
    print("Vigil demo: not every family raised an incident")
    return False
