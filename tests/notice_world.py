"""A small world for the notice tests: a configured organisation, a directory with hard rows,
staff, and incidents shaped as the detectors record them."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from monitor.respond import build_sender
from monitor.service import Vigil
from monitor.settings import Settings
from monitor.store.keys import Keys
from notifications.message import Channel
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Backoff, Outbox
from notifications.transport import RetryPolicy, Sender, SmtpTransport
from playbooks.breach import BreachStore
from playbooks.playbook import Playbook, preview
from playbooks.record import Record
from playbooks.seal import seal_for

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # declared: 09:00 in Hanoi
ORGANISATION = {
    "name": "Công ty Cổ phần Logistics Hàng không",
    "name_en": "Aviation Logistics Corporation (ALS)",
    "short_name": "ALS",
    "city": "Hà Nội",
    "head_office": "Tầng 4, Nhà ga hàng hóa ALS, Cảng hàng không quốc tế Nội Bài, Hà Nội",
    "head_office_en": "4th Floor, ALS Cargo Terminal, Noi Bai International airport, Hanoi",
    "transaction_office": "Số 1 Phố Giao Dịch, Hà Nội",
    "transaction_office_en": "1 Trading Street, Hanoi",
    "registration": {
        "number": "0100000001",
        "issuer": "Sở Kế hoạch và Đầu tư thành phố Hà Nội",
        "issued_on": "2007-08-29",
        "place": "Hà Nội",
    },
    "tax_code": "0100000001",
    "phone": "024 3000 0001",
    "hotline": "1900 3133",
    "website": "https://als.example.vn",
    "officer": {
        "name": "Trần Thị Bảo",
        "title": "Trưởng ban Kiểm soát nội bộ",
        "phone": "0912000999",
        "email": "dpo@als.example.vn",
    },
}
COLUMNS = ["customer_id", "username", "full_name", "business_name", "email", "phone"]
COLUMNS += ["language", "previous_email", "email_changed_at"]


def write_directory(path: Path, rows: Sequence[Mapping[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return path


def customer(n: int, **fields: str) -> dict[str, str]:
    return {
        "customer_id": f"C-{n}",
        "username": f"cust-{n}",
        "full_name": f"Khách hàng {n}",
        "business_name": f"Công ty {n}",
        "email": f"c{n}@example.com",
        "phone": f"091200{n:04d}",
        "language": "vi",
    } | fields


def configured(
    settings: Settings, directory: Path, smtp_port: int, organisation: Mapping[str, Any]
) -> Settings:
    return settings.model_copy(
        update={
            "directories": settings.directories.model_copy(update={"customers": directory}),
            "smtp": settings.smtp.model_copy(update={"port": smtp_port}),
            "organisation": type(settings.organisation).model_validate(organisation),
        }
    )


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def playbook_for(
    redis: aioredis.Redis, keys: Keys, settings: Settings, store: IncidentStore, clock: Clock
) -> Playbook:
    record = Record(redis, keys, settings.breach.retention, seal_for(settings), clock)
    breaches = BreachStore(redis, keys, store, record, clock, settings.breach.deadline)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    return Playbook(settings, breaches, store, Outbox(redis, keys), rota, clock)


async def send_all(playbook: Playbook, url: str = "") -> None:
    """Drain the outbox to the real SMTP server; with the Valkey url, through the service's own
    sender, which writes every send on the breach record."""
    if url:
        vigil = Vigil(
            playbook.settings, playbook.store.redis, playbook.store.keys, playbook.incidents, url
        )
        sender = build_sender(vigil, playbook.outbox)
    else:
        policy = RetryPolicy(Backoff(timedelta(0), timedelta(0)), 3, timedelta(minutes=2))
        transport = SmtpTransport(playbook.settings.smtp)
        sender = Sender(playbook.outbox, {Channel.EMAIL: transport}, "vigil@als.com.vn", policy)
    while await sender.drain():
        pass


async def raise_incident(
    store: IncidentStore,
    detector: str,
    evidence: Sequence[Mapping[str, Any]],
    customers: Sequence[str],
    entities: Mapping[str, str],
    title: str = "Customer accounts taken over by cust-2",
) -> str:
    times = [datetime.fromisoformat(str(r["@timestamp"]).replace("Z", "+00:00")) for r in evidence]
    finding = Finding(
        detector=detector,
        family=detector.partition(".")[0],
        severity=Severity.CRITICAL,
        title=title,
        key=f"{detector}:{','.join(customers)}",
        entities=dict(entities),
        first_seen=min(times),
        last_seen=max(times),
        evidence=tuple(evidence),
        affected_customers=frozenset(customers),
    )
    (change,) = await store.record([finding])
    return change.incident_id


async def previewed(playbook: Playbook, breach_id: str, folder: Path) -> Path:
    """What `vigil breach preview` writes for the breach."""
    breach = await playbook.store.existing(breach_id)
    incidents, found, _ = await playbook.affected_of(breach)
    preview(playbook, breach, found, incidents, folder)
    return folder
