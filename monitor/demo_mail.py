"""The demo's mailbox: a real local SMTP server (aiosmtpd) that keeps each message as .eml."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ACK_LINK = re.compile(r"https?://\S+/ack/\S+")


class EmlMailbox:
    """Writes every message it accepts into `folder` as NNN.eml; a person can open them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.received: list[tuple[Path, EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        path = self.folder / f"{len(list(self.folder.glob('*.eml'))) + 1:03d}.eml"
        path.write_bytes(envelope.content)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        if isinstance(parsed, EmailMessage):
            self.received.append((path, parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_mailbox(folder: Path, port: int) -> tuple[Controller, EmlMailbox]:
    mailbox = EmlMailbox(folder)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, mailbox


def ack_link(message: EmailMessage) -> str | None:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    found = ACK_LINK.search(str(text))
    return found.group(0) if found else None
