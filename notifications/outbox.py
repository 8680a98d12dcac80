"""The outbox: every notification is queued once by key, sent until it succeeds or dies.

States: pending -> sending -> sent, or back to pending with a backoff, or dead after the
last try; a pending or dead message may be cancelled (a withdrawn breach). A sender that
dies while sending leaves the message to be claimed again when its lease ends.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from redis.asyncio import Redis

from monitor.store.keys import Keys
from monitor.store.scripts import run_many
from notifications.message import Message

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Claimed:
    message: Message
    attempt: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the outbox knows of one message."""

    key: str
    state: str
    attempts: int
    subject: str
    to: tuple[str, ...]
    message_id: str | None
    last_error: str | None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: base * 2^(attempt-1), capped, times a random share."""

    base: timedelta
    cap: timedelta

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2.0 ** (attempt - 1))
        return float(ceiling * (0.5 + rng() / 2))


class Outbox:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        clock: Clock = time.time,
        retention: timedelta = timedelta(days=30),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.clock = clock
        self.retention_ms = int(retention.total_seconds() * 1000)
        self._move = redis.register_script(
            resources.files("notifications").joinpath("outbox.lua").read_text()
        )

    async def call(self, *args: str | int) -> object:
        keys = [self.keys.outbox("due"), self.keys.outbox("msg:")]
        return await self._move(keys=keys, args=list(args))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def enqueue(self, message: Message) -> bool:
        """Queue a message; False when its key was queued before (it is not sent again)."""
        return bool(await self.call("enqueue", message.key, message.to_json(), self.now_ms()))

    async def enqueue_many(self, messages: Sequence[Message]) -> int:
        """Queue many in one round trip; the number that were new."""
        keys = [self.keys.outbox("due"), self.keys.outbox("msg:")]
        now = self.now_ms()
        calls = [(keys, ["enqueue", m.key, m.to_json(), now]) for m in messages]
        return sum(int(reply) for reply in await run_many(self.redis, self._move, calls))

    async def states(self, keys: Sequence[str]) -> dict[str, str]:
        """The state of each message key (pending, sending, sent, dead); absent: never queued."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hget(self.keys.outbox(f"msg:{key}"), "state")
            replies = await pipe.execute()
        return {key: state.decode() for key, state in zip(keys, replies, strict=True) if state}

    async def claim(self, lease: timedelta, count: int = 50) -> list[Claimed]:
        reply = await self.call("claim", self.now_ms(), int(lease.total_seconds() * 1000), count)
        assert isinstance(reply, list)
        return [
            Claimed(Message.from_json(reply[i + 1]), int(reply[i + 2]))
            for i in range(0, len(reply), 3)
        ]

    async def sent(self, key: str, message_id: str) -> None:
        await self.call("sent", key, message_id, self.now_ms(), self.retention_ms)

    async def failed(self, key: str, error: str, retry_in: float | None) -> None:
        """Record a failed try: due again in `retry_in` seconds, or dead when None."""
        when: str | int = "dead" if retry_in is None else self.now_ms() + int(retry_in * 1000)
        await self.call("failed", key, error[:500], when, self.keys.outbox("dead"))

    async def retry(self, key: str, rewritten: Message | None = None) -> bool:
        """Queue a dead message again by hand, as `rewritten` if given; False when not dead."""
        args: list[str | int] = ["retry", key, self.now_ms(), self.keys.outbox("dead")]
        if rewritten is not None:
            args.append(rewritten.to_json())
        return bool(await self.call(*args))

    async def cancel(self, guarded: Sequence[str], others: Sequence[str] = ()) -> list[str]:
        """Cancel every message not yet gone out, unless one of `guarded` has: then cancel
        none and return those that have."""
        dead = self.keys.outbox("dead")
        reply = await self.call("cancel", dead, len(guarded), *guarded, *others)
        assert isinstance(reply, list)
        return [key.decode() for key in reply]

    async def delivery(self, key: str) -> Delivery | None:
        fields = await self.redis.hgetall(self.keys.outbox(f"msg:{key}"))
        if not fields:
            return None
        text = {k.decode(): v.decode() for k, v in fields.items()}
        message = Message.from_json(text["message"])
        return Delivery(
            key,
            text["state"],
            int(text["attempts"]),
            message.subject,
            message.to,
            text.get("message_id"),
            text.get("last_error"),
            datetime.fromtimestamp(int(text["sent_at"]) / 1000, UTC) if "sent_at" in text else None,
        )

    async def dead(self) -> list[Delivery]:
        keys = await self.redis.zrange(self.keys.outbox("dead"), 0, -1)
        found = [await self.delivery(key.decode()) for key in keys]
        return [delivery for delivery in found if delivery is not None]

    async def counts(self) -> dict[str, int]:
        return {
            "due": await self.redis.zcard(self.keys.outbox("due")),
            "dead": await self.redis.zcard(self.keys.outbox("dead")),
        }
