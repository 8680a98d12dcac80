"""What the breach tests share: a directory, incidents, a playbook on real Valkey, sending."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from monitor.findings import Finding, Severity
from monitor.incidents import IncidentStore
from monitor.settings import Settings
from monitor.store.keys import Keys
from notifications.message import Channel
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Backoff, Outbox
from notifications.transport import RetryPolicy, Sender, SmtpTransport
from playbooks.breach import BreachStore
from playbooks.playbook import Playbook
from playbooks.record import Record
from playbooks.seal import Seal
from tests.mailbox import Mailbox

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>\r\nBcc: evil@example.com Nguyễn Ḁ𝔸 ' + "x" * 300


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def write_customers(path: Path, count: int) -> Path:
    languages = ["vi", "en", "mixed"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "customer_id",
                "username",
                "full_name",
                "business_name",
                "email",
                "phone",
                "language",
                "previous_email",
                "email_changed_at",
            ]
        )
        for n in range(count):
            name = HOSTILE if n == 7 else f"Khách hàng {n}"
            changed = "2026-03-01T23:00:00Z" if n in (3, 4) else ""  # changed during the attack
            previous = f"old{n}@example.com" if n == 3 else ""
            writer.writerow(
                [
                    f"C-{n}",
                    f"cust-{n}",
                    name,
                    f"Công ty {n}",
                    f"c{n}@example.com",
                    "0912000000",
                    languages[n % 3],
                    previous,
                    changed,
                ]
            )
    return path


def make_playbook(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    store: IncidentStore,
    smtp_port: int,
    folder: Path,
    customers: int = 1000,
) -> Playbook:
    """A playbook on its own directory and clock; incidents are raised at T0 (discovery)."""
    clock = Clock()
    path = write_customers(folder / "customers.csv", customers)
    settings = settings.model_copy(
        update={
            "directories": settings.directories.model_copy(update={"customers": path}),
            "smtp": settings.smtp.model_copy(update={"port": smtp_port}),
        }
    )
    store.clock = clock
    seal = Seal(b"a key outside Redis", folder / "record-heads.log")
    record = Record(redis, keys, settings.breach.retention, seal, clock)
    breaches = BreachStore(redis, keys, store, record, clock)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    return Playbook(settings, breaches, store, Outbox(redis, keys), rota, clock)


def playbook_fixture(customers: int = 1000) -> Callable[..., Playbook]:
    """A `playbook` fixture for a test module, on a directory of `customers` customers."""

    @pytest.fixture
    def playbook(
        redis: aioredis.Redis,
        keys: Keys,
        settings: Settings,
        store: IncidentStore,
        smtp: tuple[Mailbox, int],
        tmp_path: Path,
    ) -> Playbook:
        return make_playbook(redis, keys, settings, store, smtp[1], tmp_path, customers)

    return playbook


def clock_of(playbook: Playbook) -> Clock:
    assert isinstance(playbook.clock, Clock)
    return playbook.clock


def sender(playbook: Playbook) -> Sender:
    policy = RetryPolicy(Backoff(timedelta(0), timedelta(0)), 3, timedelta(minutes=2))
    transport = SmtpTransport(playbook.settings.smtp)
    return Sender(playbook.outbox, {Channel.EMAIL: transport}, "vigil@als.com.vn", policy)


def by_email(playbook: Playbook) -> None:
    """The opt-in delivery: Form 08 e-mailed to the authority as rendered."""
    playbook.breach = playbook.breach.model_copy(update={"authority_delivery": "email"})


async def verify(playbook: Playbook, breach_id: str) -> list[str]:
    return (await playbook.record.verify(breach_id))[1]


async def send_all(playbook: Playbook) -> None:
    outbox_sender = sender(playbook)
    while await outbox_sender.drain():
        pass


async def incident(
    store: IncidentStore,
    customers: list[str],
    columns: list[str] | None = None,
    ip: str = "203.0.113.7",
) -> str:
    evidence = tuple(
        {
            "id": f"audit.json:{n}",
            "@timestamp": "2026-03-01T22:00:00Z",
            "labels.customer_id": c,
            **({"labels.columns": columns} if columns else {}),
        }
        for n, c in enumerate(customers[:50])
    )
    finding = Finding(
        detector="account_takeover.compromise_after_failures",
        family="account_takeover",
        severity=Severity.CRITICAL,
        title=f"Accounts taken over from {ip}",
        key=f"ip={ip}:{len(customers)}",
        entities={"ip": ip},
        first_seen=T0 - timedelta(hours=4),
        last_seen=T0,
        evidence=evidence,
        affected_customers=frozenset(customers),
    )
    (change,) = await store.record([finding])
    return change.incident_id


def by_recipient(mailbox: Mailbox) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in mailbox.messages:
        body = message.get_body(preferencelist=("plain",))
        found.setdefault(str(message["To"]), []).append(str(body.get_content() if body else ""))
    return found
