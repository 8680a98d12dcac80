"""The outbox against a real SMTP server: once per key, retried, dead after N tries, no doubles."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import redis.asyncio as aioredis

from monitor.respond_settings import SmtpSettings
from monitor.store.keys import Keys
from notifications.message import Channel, Message
from notifications.outbox import Backoff, Outbox
from notifications.transport import RetryPolicy, Sender, SmtpTransport, to_email
from tests.mailbox import Mailbox

NO_WAIT = Backoff(timedelta(0), timedelta(0))


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def message(key: str, subject: str = "[Vigil][HIGH] Account takeover") -> Message:
    return Message(
        key,
        Channel.EMAIL,
        ("hoa.nguyen@als.com.vn",),
        subject,
        "body text",
        "<p>body</p>",
        ("a1b2c3d4e5-1",),
    )


def sender(
    outbox: Outbox, port: int, attempts: int = 3, timeout: float = 5.0, backoff: Backoff = NO_WAIT
) -> Sender:
    smtp = SmtpSettings(host="127.0.0.1", port=port, timeout=timedelta(seconds=timeout))
    policy = RetryPolicy(backoff, attempts, timedelta(minutes=2))
    return Sender(outbox, {Channel.EMAIL: SmtpTransport(smtp)}, "vigil@als.com.vn", policy)


async def test_a_message_is_delivered_once_per_key(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    outbox = Outbox(redis, keys)
    assert await outbox.enqueue(message("page:1:0:hoa"))
    assert not await outbox.enqueue(message("page:1:0:hoa"))  # the same page queued again
    assert await sender(outbox, port).drain() == 1
    assert await sender(outbox, port).drain() == 0
    assert mailbox.subjects() == ["[Vigil][HIGH] Account takeover"]
    delivery = await outbox.delivery("page:1:0:hoa")
    assert delivery is not None and delivery.state == "sent"
    assert delivery.message_id == mailbox.ids()[0]


async def test_a_refusing_server_makes_the_message_dead_at_once(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    mailbox.mode = "refuse"
    outbox = Outbox(redis, keys)
    await outbox.enqueue(message("page:2:0:hoa"))
    await sender(outbox, port).drain()
    (dead,) = await outbox.dead()
    assert dead.key == "page:2:0:hoa" and dead.attempts == 1
    assert dead.last_error is not None and "550" in dead.last_error
    mailbox.mode = "accept"
    assert await outbox.retry("page:2:0:hoa")
    await sender(outbox, port).drain()
    assert len(mailbox.messages) == 1
    assert await outbox.dead() == []


async def test_no_server_retries_with_backoff_then_dies(redis: aioredis.Redis, keys: Keys) -> None:
    clock = Clock()
    outbox = Outbox(redis, keys, clock=clock)
    await outbox.enqueue(message("page:3:0:hoa"))
    unreachable = sender(
        outbox, port=1, attempts=3, backoff=Backoff(timedelta(seconds=30), timedelta(hours=1))
    )
    assert await unreachable.drain() == 1
    assert await unreachable.drain() == 0  # backing off: not due yet
    clock.now += 30
    assert await unreachable.drain() == 1
    clock.now += 3600
    assert await unreachable.drain() == 1
    (dead,) = await outbox.dead()
    assert dead.attempts == 3 and dead.state == "dead"


async def test_smtp_down_for_ten_minutes_then_back_delivers_once(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    """The mail server unreachable for ten minutes (on the outbox's clock): the page backs
    off (30 s, 1 min, 2 min, 4 min ...) without dying, then arrives once when it is back."""
    mailbox, port = smtp
    clock = Clock()
    outbox = Outbox(redis, keys, clock=clock)
    await outbox.enqueue(message("page:9:0:hoa"))
    defaults = Backoff(timedelta(seconds=30), timedelta(hours=1))
    down = sender(outbox, port=1, attempts=8, backoff=defaults)
    tries = 0
    for _ in range(10):
        tries += await down.drain()
        clock.now += 60
    assert 3 <= tries <= 5  # backing off, not hammering
    back = sender(outbox, port, attempts=8, backoff=defaults)
    delivered = 0
    for _ in range(10):  # until the next try is due
        delivered += await back.drain()
        clock.now += 60
    assert delivered == 1 and mailbox.subjects() == ["[Vigil][HIGH] Account takeover"]
    delivery = await outbox.delivery("page:9:0:hoa")
    assert delivery is not None and delivery.state == "sent"


async def test_a_connection_dropped_mid_message_is_retried(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    mailbox.mode = "drop"
    outbox = Outbox(redis, keys)
    await outbox.enqueue(message("page:4:0:hoa"))
    await sender(outbox, port).drain()
    assert mailbox.messages == []
    delivery = await outbox.delivery("page:4:0:hoa")
    assert delivery is not None and delivery.state == "pending"
    mailbox.mode = "accept"
    await sender(outbox, port).drain()
    assert len(mailbox.messages) == 1


async def test_a_slow_server_times_out_and_the_resend_keeps_its_message_id(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    mailbox.mode, mailbox.delay = "slow", 1.0
    outbox = Outbox(redis, keys)
    await outbox.enqueue(message("page:5:0:hoa"))
    await sender(outbox, port, timeout=0.3).drain()
    delivery = await outbox.delivery("page:5:0:hoa")
    assert delivery is not None and delivery.state == "pending"
    mailbox.mode = "accept"
    await asyncio.sleep(1.0)  # the slow server finishes the first copy after the client left
    await sender(outbox, port).drain()
    # The server may hold two copies (SMTP's own window), but they are one message to a reader.
    assert len(set(mailbox.ids())) == 1
    delivery = await outbox.delivery("page:5:0:hoa")
    assert delivery is not None and delivery.state == "sent"


async def test_concurrent_senders_deliver_each_message_once(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    outbox = Outbox(redis, keys)
    for number in range(30):
        await outbox.enqueue(message(f"page:6:{number}:hoa", subject=f"alert {number}"))
    senders = [sender(Outbox(redis, keys), port) for _ in range(3)]
    await asyncio.gather(*(s.drain() for s in senders), *(s.drain() for s in senders))
    assert sorted(mailbox.subjects()) == sorted(f"alert {n}" for n in range(30))


def test_headers_cannot_be_injected_through_the_subject() -> None:
    hostile = message("k", subject="Brute force from x\r\nBcc: attacker@example.com")
    email = to_email(hostile, "vigil@als.com.vn", "<id@als.com.vn>")
    assert email["Bcc"] is None
    assert "\n" not in str(email["Subject"])


async def test_a_long_vietnamese_subject_arrives_with_its_spaces(
    redis: aioredis.Redis, keys: Keys, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    subject = "[BR-20261125-2d7d] Thông báo vi phạm bảo vệ dữ liệu cá nhân (Mẫu số 08) - ban đầu"
    outbox = Outbox(redis, keys)
    await outbox.enqueue(message("breach:x:authority:1", subject=subject))
    await sender(outbox, port).drain()
    assert mailbox.subjects() == [subject]
