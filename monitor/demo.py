"""`vigil demo`: the story on embedded defaults: an SSH brute force, then a login that follows."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor.incidents import Incident
from monitor.service import Role, open_vigil, run
from monitor.settings import Settings, SourceSettings, StartAt

ATTACKER = "203.0.113.7"
PAUSE_SECONDS = 0.15


def attack_lines(now: datetime) -> list[str]:
    """Eight failed root passwords from one address, then a success: a guessed password."""
    lines = []
    for i in range(8):
        stamp = (now + timedelta(seconds=i * 3)).strftime("%b %e %H:%M:%S")
        lines.append(
            f"{stamp} web-01 sshd[4{i:03d}]: Failed password for root from {ATTACKER} "
            f"port {50000 + i} ssh2"
        )
    stamp = (now + timedelta(seconds=27)).strftime("%b %e %H:%M:%S")
    lines.append(
        f"{stamp} web-01 sshd[4100]: Accepted password for root from {ATTACKER} port 50100 ssh2"
    )
    return lines


async def demo(settings: Settings) -> int:
    with tempfile.TemporaryDirectory(prefix="vigil-demo-") as folder:
        log_file = Path(folder) / "auth.log"
        log_file.touch()
        demo_settings = settings.model_copy(
            update={
                "sources": (
                    SourceSettings(path=str(log_file), format="sshd", start_at=StartAt.BEGINNING),
                ),
                "redis": settings.redis.model_copy(update={"prefix": "vigil-demo"}),
            }
        )
        async with open_vigil(demo_settings) as vigil:
            await vigil.redis.delete(
                *[k async for k in vigil.redis.scan_iter("vigil-demo:*")] or ["vigil-demo:none"]
            )
            print(f"Vigil demo: watching {log_file}")
            stop = asyncio.Event()
            seen: list[Incident] = []

            async def show(incident: Incident, state: str) -> None:
                if state in ("created", "escalated"):
                    seen.append(incident)
                    print(
                        f"  INCIDENT {state:9} {incident.severity.upper():8} {incident.title}"
                        f"  [{incident.id}]",
                        flush=True,
                    )

            service = asyncio.create_task(run(vigil, Role.ALL, stop, show))
            await asyncio.sleep(0.5)
            now = datetime.now(ZoneInfo(settings.ingest.timezone))
            for line in attack_lines(now):
                with log_file.open("a") as handle:
                    handle.write(line + "\n")
                print(f"  log   {line}")
                await asyncio.sleep(PAUSE_SECONDS)
            for _ in range(50):
                if len(seen) >= 2:
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await service
            print(
                f"Vigil demo: {len(seen)} incidents raised; see them with "
                "`VIGIL_REDIS_PREFIX=vigil-demo vigil incidents list`."
            )
            return 0 if len(seen) >= 2 else 1
