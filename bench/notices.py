"""Breach notices: render and queue one notice per affected customer, then send some.

    python -m bench.notices [--customers N] [--send M]

Declares a breach over N affected customers (a generated directory, the three languages
mixed) against a fresh embedded Valkey, times `Playbook.run` (resolve, render, record,
queue) and reports its peak RSS, then sends M of the notices to a local aiosmtpd server
through the outbox sender (one message at a time over one SMTP connection) and reports
the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from monitor.breach_commands import build_playbook
from monitor.demo_mail import free_port
from monitor.findings import Finding, Severity
from monitor.service import open_vigil
from monitor.settings import load_settings
from notifications.message import Channel
from notifications.outbox import Backoff
from notifications.transport import RetryPolicy, Sender, SmtpTransport


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def directory(path: Path, count: int) -> Path:
    languages = ("vi", "en", "mixed")
    lines = [
        "customer_id,username,full_name,business_name,email,phone,language,"
        "previous_email,email_changed_at"
    ]
    lines += [
        f"C-{n},cust-{n},Nguyễn Văn {n},Công ty {n},c{n}@example.com,0912000000,"
        f"{languages[n % 3]},,"
        for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


async def measure(customers: int, send: int, folder: Path) -> None:
    settings = load_settings(None, {"VIGIL_DATA_DIR": str(folder / "redis")})
    port = free_port()
    settings = settings.model_copy(
        update={
            "directories": settings.directories.model_copy(
                update={"customers": directory(folder / "customers.csv", customers)}
            ),
            "smtp": settings.smtp.model_copy(update={"port": port}),
        }
    )
    async with open_vigil(settings) as vigil:
        now = datetime.now(UTC)
        finding = Finding(
            detector="account_takeover.compromise_after_failures",
            family="account_takeover",
            severity=Severity.CRITICAL,
            title="Customer accounts taken over",
            key="bench",
            entities={"ip": "203.0.113.7"},
            first_seen=now - timedelta(hours=2),
            last_seen=now,
            evidence=({"id": "bench:0", "@timestamp": now.isoformat()},),
            affected_customers=frozenset(f"C-{n}" for n in range(customers)),
        )
        (change,) = await vigil.store.record([finding])
        playbook = build_playbook(vigil)
        breach = await playbook.store.declare([change.incident_id], "bench", "bench")
        started, cpu = time.perf_counter(), time.process_time()
        outcome = await playbook.run(breach.id)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # CPU seconds too: on a shared machine the wall clock measures the neighbours.
        print(
            f"render and queue {outcome.queued:,} customer notices (+ authority, officer): "
            f"{elapsed:.1f} s ({cpu:.1f} s of CPU in this process), "
            f"{outcome.queued / elapsed:,.0f} notices/s; peak RSS of the process {peak:.0f} MiB"
        )
        await send_some(playbook, settings.smtp, port, send)


async def send_some(playbook: Any, smtp: Any, port: int, count: int) -> None:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        policy = RetryPolicy(
            Backoff(timedelta(seconds=1), timedelta(seconds=1)), 3, timedelta(minutes=2)
        )
        sender = Sender(
            playbook.outbox, {Channel.EMAIL: SmtpTransport(smtp)}, "vigil@als.com.vn", policy
        )
        started = time.perf_counter()
        while counter.count < count:
            await sender.drain()
        elapsed = time.perf_counter() - started
        print(
            f"sent {counter.count:,} notices in {elapsed:.1f} s: "
            f"{counter.count / elapsed:,.0f} messages/s, one at a time over one connection"
        )
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-notices-") as folder:
        asyncio.run(measure(args.customers, args.send, Path(folder)))


if __name__ == "__main__":
    main()
