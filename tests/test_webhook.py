"""The webhook channel: a signed JSON body, delivered through the outbox once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import redis.asyncio as aioredis

from monitor.store.keys import Keys
from notifications.message import Channel, Message
from notifications.outbox import Backoff, Outbox
from notifications.transport import RetryPolicy, Sender, WebhookTransport

SECRET = "hook-secret"


class Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802 (the http.server naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.calls.append((body, self.headers["X-Vigil-Signature"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Receiver.calls = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/vigil"
    server.shutdown()
    server.server_close()


async def test_a_webhook_is_posted_once_with_a_valid_signature(
    redis: aioredis.Redis, keys: Keys, hook: str
) -> None:
    outbox = Outbox(redis, keys)
    message = Message(
        "hook:a:0:0",
        Channel.WEBHOOK,
        (hook,),
        "[Vigil][HIGH] Account takeover",
        "text",
        "",
        ("a1b2c3d4e5-1",),
    )
    assert await outbox.enqueue(message)
    assert not await outbox.enqueue(message)
    policy = RetryPolicy(Backoff(timedelta(0), timedelta(0)), 3, timedelta(minutes=1))
    sender = Sender(
        outbox, {Channel.WEBHOOK: WebhookTransport({hook: SECRET})}, "vigil@als.com.vn", policy
    )
    await sender.drain()
    await sender.drain()
    ((body, signature),) = Receiver.calls
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert json.loads(body)["incidents"] == ["a1b2c3d4e5-1"]


async def test_a_webhook_without_a_secret_is_refused_not_sent_unsigned(
    redis: aioredis.Redis, keys: Keys, hook: str
) -> None:
    outbox = Outbox(redis, keys)
    await outbox.enqueue(Message("hook:b:0:0", Channel.WEBHOOK, (hook,), "s", "t"))
    policy = RetryPolicy(Backoff(timedelta(0), timedelta(0)), 3, timedelta(minutes=1))
    transport = WebhookTransport({"http://elsewhere.example/": SECRET})
    await Sender(outbox, {Channel.WEBHOOK: transport}, "vigil@als.com.vn", policy).drain()
    assert Receiver.calls == []
    (dead,) = await outbox.dead()
    assert dead.key == "hook:b:0:0"
