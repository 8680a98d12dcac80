"""What a page says: the alert email, the webhook call and the daily digest, as messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from monitor.incidents import Incident, IncidentStore
from monitor.settings import Settings
from monitor.store.keys import Keys
from notifications.message import Channel, Message
from notifications.oncall import Rota, Step
from notifications.outbox import Outbox
from notifications.render import render_alert, render_digest
from notifications.tokens import sign


@dataclass(frozen=True, slots=True)
class AlertParts:
    """What the alerter works with, built by the service."""

    settings: Settings
    redis: Redis
    keys: Keys
    store: IncidentStore
    outbox: Outbox
    rota: Rota
    runbooks: dict[str, str]
    secret: bytes

    @property
    def staff(self) -> frozenset[str]:
        return frozenset(self.rota.staff)


def alert_message(
    parts: AlertParts,
    key: str,
    person: str,
    address: str,
    incidents: Sequence[Incident],
    escalation: str,
    now: datetime,
) -> Message:
    """The email that pages `person`, with an ack link signed for them per incident."""
    alerts = parts.settings.alerts
    links = {
        i.id: f"{alerts.public_url}/ack/"
        f"{sign(parts.secret, i.id, person, now, alerts.ack_link_ttl)}"
        for i in incidents
    }
    rendered = render_alert(
        incidents, links, alerts.public_url, parts.runbooks, escalation, parts.staff
    )
    return Message(
        key,
        Channel.EMAIL,
        (address,),
        rendered.subject,
        rendered.text,
        rendered.html,
        tuple(i.id for i in incidents),
    )


def hook_message(parts: AlertParts, key: str, url: str, incidents: Sequence[Incident]) -> Message:
    alerts = parts.settings.alerts
    rendered = render_alert(
        incidents,
        {i.id: "" for i in incidents},
        alerts.public_url,
        parts.runbooks,
        "webhook",
        parts.staff,
    )
    return Message(
        key,
        Channel.WEBHOOK,
        (url,),
        rendered.subject,
        rendered.text,
        "",
        tuple(i.id for i in incidents),
    )


def digest_messages(
    parts: AlertParts, incidents: Sequence[Incident], now: datetime
) -> list[Message]:
    """One digest per recipient per day: the key makes a second run that day send nothing."""
    alerts = parts.settings.alerts
    day = now.astimezone(ZoneInfo(parts.settings.ingest.timezone)).date()
    rendered = render_digest(incidents, alerts.public_url, parts.staff)
    messages = []
    for target in alerts.digest_to:
        person = parts.rota.resolve(target, now)
        address = parts.rota.address(person)
        if address:
            messages.append(
                Message(
                    f"digest:{day}:{person}",
                    Channel.EMAIL,
                    (address,),
                    rendered.subject,
                    rendered.text,
                    "",
                    tuple(i.id for i in incidents),
                )
            )
    return messages


def describe(step: Step, index: int) -> str:
    if step.loop < 0:
        return f"repeat page {index + 1}: nobody has acknowledged yet"
    return f"level {step.level + 1}, loop {step.loop + 1} (page {index + 1})"
