"""Alert latency: from an incident stored to the page accepted by the SMTP server.

    python -m bench.alerts [--incidents N]

Runs the respond role (alerter, escalation scheduler, outbox sender) against a fresh
embedded Valkey and a local aiosmtpd server, with group_wait 0 so the figure is Vigil's own
delay. Raises one high incident at a time for N distinct attackers and prints p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from monitor.demo_mail import free_port
from monitor.findings import Finding, Severity
from monitor.respond import respond
from monitor.service import open_vigil
from monitor.settings import load_settings


class Stopwatch:
    """SMTP handler noting when each page was accepted, by the incident id in its subject."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted[envelope.content.decode(errors="replace")] = time.perf_counter()
        return "250 OK"


def finding(number: int) -> Finding:
    ip = f"203.0.{113 + number // 250}.{number % 250 + 1}"
    now = datetime.now(UTC)
    return Finding(
        detector="account_takeover.compromise_after_failures",
        family="account_takeover",
        severity=Severity.HIGH,
        title=f"Login as root after 9 failures from {ip}",
        key=f"ip={ip}",
        entities={"ip": ip, "user": "root"},
        first_seen=now,
        last_seen=now,
        evidence=({"id": f"bench:{number}", "@timestamp": now.isoformat()},),
    )


async def measure(count: int, folder: Path) -> list[float]:
    watch = Stopwatch()
    port = free_port()
    controller = Controller(watch, hostname="127.0.0.1", port=port)
    controller.start()
    settings = load_settings(None, {"VIGIL_DATA_DIR": str(folder / "redis")})
    settings = settings.model_copy(
        update={
            "smtp": settings.smtp.model_copy(update={"port": port}),
            "web": settings.web.model_copy(update={"port": free_port()}),
            "alerts": settings.alerts.model_copy(update={"group_wait": timedelta(0)}),
        }
    )
    latencies = []
    try:
        async with open_vigil(settings) as vigil:
            stop = asyncio.Event()
            service = asyncio.create_task(respond(vigil, stop))
            await asyncio.sleep(1.0)
            for number in range(count):
                started = time.perf_counter()
                (change,) = await vigil.store.record([finding(number)])
                while not any(change.incident_id in body for body in watch.accepted):
                    await asyncio.sleep(0.005)
                arrived = next(
                    t for body, t in watch.accepted.items() if change.incident_id in body
                )
                latencies.append(arrived - started)
            stop.set()
            await service
    finally:
        controller.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-alerts-") as folder:
        latencies = asyncio.run(measure(args.incidents, Path(folder)))
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"alert latency over {len(latencies)} incidents (incident stored -> SMTP accepted): "
        f"p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
