"""Delivery: SMTP through aiosmtplib, signed JSON webhooks, and the loop draining the outbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import aiosmtplib

from monitor.respond_settings import SmtpSettings
from notifications.message import Channel, Message
from notifications.outbox import Backoff, Outbox

log = logging.getLogger(__name__)
# Claimed at once by one sender: after a kill, these wait for the lease to end (few, so
# that a kill delays few messages), then go out; none of them goes twice.
CLAIMED = 5


class PermanentFailure(Exception):
    """The receiving side said no for good (a 5xx answer): trying again cannot help."""


class Transport(Protocol):
    async def deliver(self, message: Message, message_id: str) -> None: ...


def message_id_for(key: str, sender: str) -> str:
    """Stable Message-ID: a resend after a crash carries the same id, so mail systems see one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "vigil.invalid"
    return f"<{digest}@{domain}>"


def clean_header(value: str, limit: int = 250) -> str:
    """No CR or LF can reach a header (no header injection through names or log content)."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())[:limit]


# Headers are not folded: Python's folding of long non-ASCII subjects splits encoded words
# where a space was and the space is lost ("bảo vệ" arrives as "bảovệ").
UNFOLDED = policy.default.clone(max_line_length=998)


def to_email(message: Message, sender: str, message_id: str) -> EmailMessage:
    email = EmailMessage(policy=UNFOLDED)
    email["From"] = sender
    email["To"] = ", ".join(clean_header(address) for address in message.to)
    email["Subject"] = clean_header(message.subject)
    email["Message-ID"] = message_id
    email["Date"] = formatdate(localtime=False)
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for filename, mime, content in message.attachments:
        maintype, _, subtype = mime.partition("/")
        name = clean_header(filename, 100)
        if isinstance(content, bytes):  # a signed PDF: any changed byte breaks its signature
            email.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
        elif maintype == "text":  # text stays text, in UTF-8, so it opens as written
            email.add_attachment(content, subtype=subtype, filename=name)
        else:
            email.add_attachment(
                content.encode(), maintype=maintype, subtype=subtype, filename=name
            )
    # After the content: setting content drops every Content-* header, Content-Language too.
    for name, value in message.headers.items():
        email[clean_header(name, 60)] = clean_header(value)
    return email


class SmtpTransport:
    """SMTP on one connection kept open between messages.

    A message counts as delivered when the server accepts its data; no QUIT follows it, so
    between the server taking a message and the outbox marking it sent there is only that
    one local write (a kill there is the one way a message goes twice). A connection left
    idle is opened afresh rather than trusted, and any failure drops it.
    """

    IDLE_SECONDS = 30.0  # servers may drop idle sessions; RFC 5321 asks them to wait 5 min

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None
        self.used = 0.0
        self.lock = asyncio.Lock()

    async def deliver(self, message: Message, message_id: str) -> None:
        email = to_email(message, self.settings.sender, message_id)
        # Flattened here, not by aiosmtplib, so the headers stay unfolded (see UNFOLDED).
        data = email.as_bytes(policy=UNFOLDED.clone(linesep="\r\n"))
        async with self.lock:
            try:
                client = await self.connected()
                await client.sendmail(self.settings.sender, list(message.to), data)
            except aiosmtplib.SMTPRecipientsRefused as error:
                self.drop()
                if all(refusal.code >= 500 for refusal in error.recipients):
                    raise PermanentFailure(
                        f"recipients refused: {error.recipients[0].code}"
                    ) from error
                raise
            except aiosmtplib.SMTPResponseException as error:
                self.drop()
                if error.code >= 500:
                    raise PermanentFailure(f"{error.code} {error.message}") from error
                raise
            except BaseException:
                self.drop()
                raise
            self.used = time.monotonic()

    async def connected(self) -> aiosmtplib.SMTP:
        fresh = time.monotonic() - self.used < self.IDLE_SECONDS
        if self.client is not None and self.client.is_connected and fresh:
            return self.client
        self.drop()
        smtp = self.settings
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            start_tls=smtp.starttls,
            use_tls=smtp.tls,
            timeout=smtp.timeout.total_seconds(),
        )
        await client.connect()
        self.client = client
        return client

    def drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


@dataclass(frozen=True, slots=True)
class WebhookTransport:
    """POST the message as JSON, signed with HMAC-SHA256 over the body (X-Vigil-Signature).

    Each webhook URL has its own secret, so a receiver can check that the body is Vigil's.
    """

    secrets: Mapping[str, str]
    timeout: timedelta = timedelta(seconds=10)

    def body(self, message: Message, message_id: str) -> bytes:
        return json.dumps(
            {
                "id": message_id,
                "key": message.key,
                "subject": message.subject,
                "text": message.text,
                "incidents": list(message.incident_ids),
            },
            ensure_ascii=False,
        ).encode()

    def signature(self, url: str, body: bytes) -> str:
        secret = self.secrets.get(url, "")
        if not secret:
            raise PermanentFailure("no secret is configured for this webhook URL")
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    async def deliver(self, message: Message, message_id: str) -> None:
        body = self.body(message, message_id)
        for url in message.to:
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Vigil-Signature": self.signature(url, body),
                    "Idempotency-Key": message.key,
                },
            )
            await asyncio.to_thread(self.post, request)

    def post(self, request: urllib.request.Request) -> None:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout.total_seconds()):
                pass
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code not in (408, 429):
                raise PermanentFailure(f"HTTP {error.code}") from error
            raise


OnResult = Callable[[Message, str, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    backoff: Backoff
    max_attempts: int
    lease: timedelta
    rate_per_second: float = 50.0  # across one sender; the SMTP relay's own limits come first


class Sender:
    """Drains the outbox: claim due messages, deliver, record the outcome."""

    def __init__(
        self,
        outbox: Outbox,
        transports: dict[Channel, Transport],
        sender: str,
        policy: RetryPolicy,
        on_result: OnResult | None = None,
    ) -> None:
        self.outbox = outbox
        self.transports = transports
        self.sender = sender
        self.policy = policy
        # Told "sent", "retrying" or "dead" with a detail, to keep each incident's timeline.
        self.on_result = on_result

    async def run(self, stop: asyncio.Event, poll: float = 0.1) -> None:
        """Drain until `stop`; an idle outbox is asked again every `poll` seconds (one call)."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                sent = await self.drain()
            except Exception:  # the loop must outlive any one failure; it is logged
                log.exception("outbox sender failed; retrying")
                sent = 0
            # Paced to rate_per_second: a breach's thousands of notices do not flood the relay.
            pause = sent / self.policy.rate_per_second - (time.monotonic() - started)
            await asyncio.sleep(max(pause, 0.0) if sent else poll)

    async def drain(self) -> int:
        """Send what is due now, one message after another; the number of messages tried.

        One at a time, so that a kill finds at most one message delivered and not yet marked
        sent (sent concurrently, a whole batch could be, and would all go twice).
        """
        claimed = await self.outbox.claim(self.policy.lease, CLAIMED)
        # Past half the lease, the rest waits for it to end rather than risk a second sender
        # claiming a message this one is still sending.
        until = time.monotonic() + self.policy.lease.total_seconds() / 2
        tried = 0
        for item in claimed:
            if time.monotonic() > until:
                break
            await self.send(item.message, item.attempt)
            tried += 1
        return tried

    async def send(self, message: Message, attempt: int) -> None:
        message_id = message_id_for(message.key, self.sender)
        try:
            await self.transports[message.channel].deliver(message, message_id)
        except PermanentFailure as error:
            log.warning("message %s refused for good", message.key)
            await self.outbox.failed(message.key, str(error), None)
            await self.report(message, "dead", str(error))
        except Exception as error:  # any transport trouble is worth another try
            last = attempt >= self.policy.max_attempts
            log.warning(
                "message %s failed (try %d): %s", message.key, attempt, type(error).__name__
            )
            retry_in = None if last else self.policy.backoff.delay(attempt)
            detail = f"{type(error).__name__}: {error}"
            await self.outbox.failed(message.key, detail, retry_in)
            await self.report(message, "dead" if last else "retrying", detail)
        else:
            await self.outbox.sent(message.key, message_id)
            await self.report(message, "sent", message_id)

    async def report(self, message: Message, outcome: str, detail: str) -> None:
        if self.on_result is not None:
            await self.on_result(message, outcome, detail[:200])
