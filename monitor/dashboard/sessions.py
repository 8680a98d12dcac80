"""Browser sessions in Redis: an opaque cookie, a CSRF token per session, login lockout."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from monitor.dashboard.users import AccessDenied, Principal, Role, Users
from monitor.store.keys import Keys

SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
COOKIE = "vigil_session"


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str


class Sessions:
    def __init__(self, redis: Redis, keys: Keys, users: Users) -> None:
        self.redis = redis
        self.keys = keys
        self.users = users

    def key(self, cookie: str) -> str:
        return self.keys.users(f"session:{hashlib.sha256(cookie.encode()).hexdigest()}")

    async def login(self, name: str, password: str, address: str) -> str:
        """A new session cookie; five failures lock the account (and the address) 15 minutes."""
        locks = [
            self.keys.users(f"failures:user:{name}"),
            self.keys.users(f"failures:ip:{address}"),
        ]
        for lock in locks:
            if int(await self.redis.get(lock) or 0) >= MAX_FAILURES:
                raise AccessDenied("too many failed logins; try again in 15 minutes")
        try:
            principal = await self.users.login(name, password)
        except AccessDenied:
            for lock in locks:
                await self.redis.incr(lock)
                await self.redis.expire(lock, LOCKOUT_SECONDS)
            raise AccessDenied("wrong user name or password") from None
        await self.redis.delete(locks[0])
        cookie = secrets.token_urlsafe(32)
        record = {
            "name": principal.name,
            "role": str(principal.role),
            "csrf": secrets.token_urlsafe(24),
        }
        await self.redis.set(self.key(cookie), json.dumps(record), ex=SESSION_SECONDS)
        return cookie

    async def get(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        raw = await self.redis.get(self.key(cookie))
        if raw is None:
            return None
        record = json.loads(raw)
        if not await self.users.active(record["name"]):  # disabled since: the session ends now
            await self.redis.delete(self.key(cookie))
            return None
        return Session(Principal(record["name"], Role(record["role"])), record["csrf"])

    async def logout(self, cookie: str) -> None:
        await self.redis.delete(self.key(cookie))
