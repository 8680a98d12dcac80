"""One outgoing notification: an email or a webhook call, with the key that makes it unique."""

from __future__ import annotations

import base64
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
    # (filename, mime type, content): text, or bytes (a signed PDF) kept byte for byte
    attachments: tuple[tuple[str, str, str | bytes], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["attachments"] = [stored(*a) for a in self.attachments]
        return json.dumps(data, ensure_ascii=False)

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
            attachments=tuple(loaded(a) for a in data.get("attachments", ())),
            headers=dict(data.get("headers", {})),
        )


def stored(name: str, mime: str, content: str | bytes) -> list[str]:
    """An attachment as JSON: bytes in base64, marked so they come back as bytes."""
    if isinstance(content, bytes):
        return [name, mime, base64.b64encode(content).decode(), "base64"]
    return [name, mime, content]


def loaded(item: list[str]) -> tuple[str, str, str | bytes]:
    if len(item) > 3 and item[3] == "base64":
        return item[0], item[1], base64.b64decode(item[2])
    return item[0], item[1], item[2]
