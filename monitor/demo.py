"""`vigil demo`: the story on embedded defaults: an SSH takeover paged and acknowledged, one
attack of each other family, then a breach of customer accounts and its notices."""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
import tempfile
import urllib.request
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor.dashboard.users import Role as UserRole
from monitor.dashboard.users import Users
from monitor.demo_breach import breach_act
from monitor.demo_families import families_act
from monitor.demo_mail import EmlMailbox, ack_link, free_port, port_free, start_mailbox
from monitor.demo_signed import signed_act
from monitor.incidents import Incident
from monitor.service import Role, Vigil, open_vigil, run, stop_on_signals
from monitor.settings import Settings, SourceSettings, StartAt
from notifications.render import masked_title

ATTACKER = "203.0.113.7"
PAUSE_SECONDS = 0.15
MAIL_FOLDER = Path("var/demo-mail")


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
    """The story: an attack in a watched log, incidents, a page by email, acknowledged by link."""
    mail_port = free_port()
    web_port = 8700 if port_free(8700) else free_port()
    with tempfile.TemporaryDirectory(prefix="vigil-demo-") as folder:
        log_file = Path(folder) / "auth.log"
        log_file.touch()
        site = Path(folder) / "site"
        site.mkdir()
        (site / "index.php").write_text("<?php echo 'ALS cargo tracking'; ?>\n")
        demo_settings = demo_overrides(settings, log_file, mail_port, web_port, site)
        controller, mailbox = start_mailbox(MAIL_FOLDER, mail_port)
        try:
            async with open_vigil(demo_settings) as vigil:
                await forget(vigil)
                return await tell(vigil, log_file, mailbox, settings.ingest.timezone)
        finally:
            controller.stop()


def demo_overrides(
    settings: Settings, log_file: Path, mail_port: int, web_port: int, site: Path
) -> Settings:
    alerts = settings.alerts.model_copy(
        update={"group_wait": timedelta(seconds=2), "public_url": f"http://127.0.0.1:{web_port}"}
    )
    return settings.model_copy(
        update={
            "sources": (
                SourceSettings(path=str(log_file), format="sshd", start_at=StartAt.BEGINNING),
                SourceSettings(
                    path=str(log_file.with_name("audit.json")),
                    format="ecs",
                    start_at=StartAt.BEGINNING,
                ),
            ),
            "redis": settings.redis.model_copy(update={"prefix": "vigil-demo"}),
            "smtp": settings.smtp.model_copy(update={"host": "127.0.0.1", "port": mail_port}),
            "web": settings.web.model_copy(update={"host": "127.0.0.1", "port": web_port}),
            "alerts": alerts,
            # The demo's website folder, watched at all hours (no maintenance window).
            "folders": settings.folders.model_copy(
                update={"integrity": (str(site),), "poll_interval": timedelta(seconds=1)}
            ),
            "detectors": settings.detectors.model_copy(
                update={
                    "file_integrity": settings.detectors.file_integrity.model_copy(
                        update={"maintenance": ()}
                    )
                }
            ),
        }
    )


async def forget(vigil: Vigil) -> None:
    """Start every demo from a clean slate (its own key prefix: real data is never touched)."""
    stale = [key async for key in vigil.redis.scan_iter("vigil-demo:*")]
    if stale:
        await vigil.redis.delete(*stale)


async def tell(vigil: Vigil, log_file: Path, mailbox: EmlMailbox, zone: str) -> int:
    """Act one: an SSH attack is paged and acknowledged. Act two: a breach and its notices."""
    print(f"Vigil demo: watching {log_file}; mail goes to {MAIL_FOLDER}/")
    stop = asyncio.Event()
    seen: list[Incident] = []

    async def show(incident: Incident, state: str) -> None:
        if state in ("created", "escalated"):
            seen.append(incident)
            title = masked_title(incident, frozenset())
            print(
                f"  INCIDENT {state:9} {incident.severity.upper():8} {title}  [{incident.id}]",
                flush=True,
            )

    service = asyncio.create_task(run(vigil, Role.ALL, stop, show))
    try:
        await asyncio.sleep(0.5)
        for line in attack_lines(datetime.now(ZoneInfo(zone))):
            with log_file.open("a") as handle:
                handle.write(line + "\n")
            print(f"  log   {line}")
            await asyncio.sleep(PAUSE_SECONDS)
        page = await wait_for_page(mailbox)
        if page is None:
            print("Vigil demo: no alert email arrived")
            return 1
        acknowledged = await acknowledge(vigil, page)
        audit = log_file.with_name("audit.json")
        families = await families_act(audit, log_file.with_name("site"), seen)
        notified = await breach_act(vigil, audit, mailbox, seen)
        signed = await signed_act(vigil, log_file.parent, mailbox, seen)
        await show_dashboard(vigil, stop)
    finally:
        stop.set()
        await service
    print(
        f"Vigil demo: {len(seen)} incidents raised in all four families, the SSH takeover paged "
        "and acknowledged, "
        "a breach declared and every notice delivered, a second one's Form 08 signed and sent. "
        "See them with `VIGIL_REDIS_PREFIX=vigil-demo .venv/bin/vigil incidents list`."
    )
    return 0 if acknowledged and families and notified and signed else 1


async def show_dashboard(vigil: Vigil, stop: asyncio.Event) -> None:
    """Print the dashboard's address and a login; at a terminal, keep it up until Ctrl-C."""
    password = secrets.token_urlsafe(12)
    await Users(vigil.redis, vigil.keys).add("demo", UserRole.INTERNAL_CONTROL, password)
    web = vigil.settings.web
    print(
        f"  DASHBOARD http://{web.host}:{web.port}/  log in as demo / {password} (internal control)"
    )
    if sys.stdin.isatty():
        print("Vigil demo: the service keeps running so you can look around; Ctrl-C stops it.")
        stop_on_signals(stop)
        await stop.wait()


async def wait_for_page(mailbox: EmlMailbox) -> tuple[Path, EmailMessage] | None:
    for _ in range(300):
        if mailbox.received:
            path, message = mailbox.received[0]
            print(f"  MAIL     to {message['To']}: {message['Subject']}  (saved as {path})")
            return path, message
        await asyncio.sleep(0.1)
    return None


async def acknowledge(vigil: Vigil, page: tuple[Path, EmailMessage]) -> bool:
    """Do what the on-call person does: open the link, press the button, see the result."""
    link = ack_link(page[1])
    if link is None:
        return False
    print(f"  CLICK    {link[:72]}...")
    shown = await asyncio.to_thread(fetch, link, None)
    done = await asyncio.to_thread(fetch, link, b"")
    print(f"  PAGE     {heading(shown)} -> {heading(done)}")
    incident_id = re.search(r"<dd>([0-9a-f]{10}-\d+)</dd>", done)
    found = await vigil.store.get(incident_id.group(1)) if incident_id else None
    if found is None:
        return False
    for entry in found.timeline:
        print(
            f"  TIMELINE {entry.get('at', '')} {entry.get('by', '')}: {entry.get('action')}"
            f" {entry.get('to', '')}"
        )
    return str(found.status) == "acknowledged"


def fetch(url: str, body: bytes | None) -> str:
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as answer:
        return str(answer.read().decode())


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page)
    return found.group(1) if found else "?"
