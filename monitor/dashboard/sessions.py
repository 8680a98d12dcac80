"""Browser sessions in Redis: an opaque cookie, a CSRF token per session, login throttling.

A session follows the directory: each request reads the user's record, so a role change
applies at the next request, and a password change or a disable ends the session.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from monitor.dashboard.throttle import Throttle
from monitor.dashboard.users import AccessDenied, Principal, Users
from monitor.store.keys import Keys

SESSION_SECONDS = 8 * 3600
COOKIE = "vigil_session"


class Throttled(AccessDenied):
    """Too many failures from this address: the next attempt must wait."""


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str


class Sessions:
    def __init__(self, redis: Redis, keys: Keys, users: Users) -> None:
        self.redis = redis
        self.keys = keys
        self.users = users
        self.throttle = Throttle(redis, keys)

    def key(self, cookie: str) -> str:
        return self.keys.users(f"session:{hashlib.sha256(cookie.encode()).hexdigest()}")

    async def login(self, name: str, password: str, address: str, now_ms: int) -> str:
        """A new session cookie; failures slow this address down (see throttle)."""
        wait_ms = await self.throttle.wait_ms(name, address, now_ms)
        if wait_ms:
            seconds = -(-wait_ms // 1000)
            raise Throttled(f"too many failed logins from your address; wait {seconds} s")
        try:
            principal = await self.users.login(name, password)
        except AccessDenied:
            await self.throttle.failed(name, address, now_ms)
            raise AccessDenied("wrong user name or password") from None
        await self.throttle.succeeded(name, address)
        cookie = secrets.token_urlsafe(32)
        record = {
            "name": principal.name,
            "generation": principal.generation,
            "csrf": secrets.token_urlsafe(24),
        }
        await self.redis.set(self.key(cookie), json.dumps(record), ex=SESSION_SECONDS)
        return cookie

    async def get(self, cookie: str | None) -> Session | None:
        """The session, in the role the directory gives its user now; None once it ended."""
        if not cookie:
            return None
        raw = await self.redis.get(self.key(cookie))
        if raw is None:
            return None
        record = json.loads(raw)
        now = await self.users.current(record["name"])
        # Disabled or a new password since: the session ends now.
        if now is None or now.generation != record.get("generation", 0):
            await self.redis.delete(self.key(cookie))
            return None
        return Session(now, record["csrf"])

    async def logout(self, cookie: str) -> None:
        await self.redis.delete(self.key(cookie))
