"""One outgoing notification: an email or a webhook call, with the key that makes it unique."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class Message:
    """What to send and to whom. `key` is the idempotency key: one key, one delivery."""

    key: str
    channel: Channel
    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""
    incident_ids: tuple[str, ...] = ()
    attachments: tuple[tuple[str, str, str], ...] = ()  # (filename, mime type, text)
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @staticmethod
    def from_json(text: str | bytes) -> Message:
        data: dict[str, Any] = json.loads(text)
        return Message(
            key=data["key"],
            channel=Channel(data["channel"]),
            to=tuple(data["to"]),
            subject=data["subject"],
            text=data["text"],
            html=data.get("html", ""),
            incident_ids=tuple(data.get("incident_ids", ())),
            attachments=tuple((a[0], a[1], a[2]) for a in data.get("attachments", ())),
            headers=dict(data.get("headers", {})),
        )
