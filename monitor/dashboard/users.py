"""People and automation that may use the dashboard and the API, with their role (policy s.6)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from redis.asyncio import Redis

from monitor.store.keys import Keys

HASHER = PasswordHasher()
# Checked against when the user is unknown or disabled, so every failed login costs one
# argon2 verification: the answer's timing does not tell which names exist.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    INTERNAL_CONTROL = "internal_control"  # everything, customer data included
    ONCALL = "oncall"  # acknowledge, resolve, comment; customer data masked
    IT = "it"  # sources and health; incidents without customer data
    CUSTOMER_CARE = "customer_care"  # customer-notice progress and the customers' contacts
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a person or a token, and the role it acts in."""

    name: str
    role: Role
    # Bumped by a password change: sessions opened before it end.
    generation: int = 0


class AccessDenied(Exception):
    pass


class Users:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, name: str, role: Role, password: str) -> None:
        record = {"role": str(role), "hash": hashed(password), "disabled": False}
        await self.redis.hset(self.keys.users("people"), name, json.dumps(record))

    async def change(self, name: str, **fields: Any) -> bool:
        """Change a person's record; False for an unknown name. Sessions follow at once."""
        raw = await self.redis.hget(self.keys.users("people"), name)
        if raw is None:
            return False
        record = json.loads(raw) | fields
        await self.redis.hset(self.keys.users("people"), name, json.dumps(record))
        return True

    async def disable(self, name: str) -> bool:
        """Disabled, never deleted: the audit log keeps naming who did what."""
        return await self.change(name, disabled=True)

    async def set_role(self, name: str, role: Role) -> bool:
        return await self.change(name, role=str(role))

    async def set_password(self, name: str, password: str) -> bool:
        """A new password ends the sessions opened with the old one."""
        record = await self.record(name)
        if record is None:
            return False
        generation = int(record.get("generation", 0)) + 1
        return await self.change(name, hash=hashed(password), generation=generation)

    async def record(self, name: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.users("people"), name)
        found: dict[str, Any] | None = json.loads(raw) if raw else None
        return found

    async def current(self, name: str) -> Principal | None:
        """The person as the directory has them now; None if unknown or disabled."""
        record = await self.record(name)
        if record is None or record["disabled"]:
            return None
        return Principal(name, Role(record["role"]), int(record.get("generation", 0)))

    async def active(self, name: str) -> bool:
        return await self.current(name) is not None

    async def disable_token(self, name: str) -> int:
        """Disable every token made under `name`; how many there were."""
        found = 0
        for digest_key, raw in (await self.redis.hgetall(self.keys.users("tokens"))).items():
            record = json.loads(raw)
            if record["name"] == name and not record["disabled"]:
                record["disabled"] = True
                await self.redis.hset(self.keys.users("tokens"), digest_key, json.dumps(record))
                found += 1
        return found

    async def people(self) -> dict[str, dict[str, Any]]:
        raw = await self.redis.hgetall(self.keys.users("people"))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    async def login(self, name: str, password: str) -> Principal:
        record = await self.record(name)
        known = record is not None and not record["disabled"]
        try:
            HASHER.verify(record["hash"] if record and known else DUMMY_HASH, password)
        except VerificationError as error:
            raise AccessDenied("wrong password") from error
        if record is None or not known:
            raise AccessDenied("unknown or disabled user")
        return Principal(name, Role(record["role"]), int(record.get("generation", 0)))

    async def add_token(self, name: str, role: Role) -> str:
        """A bearer token for automation; only its hash is kept, the token is shown once."""
        token = f"vgl_{secrets.token_urlsafe(32)}"
        record = {
            "name": name,
            "role": str(role),
            "disabled": False,
            "created": datetime.now(UTC).isoformat(),
        }
        await self.redis.hset(self.keys.users("tokens"), digest(token), json.dumps(record))
        return token

    async def bearer(self, token: str) -> Principal:
        raw = await self.redis.hget(self.keys.users("tokens"), digest(token))
        record = json.loads(raw) if raw else None
        if record is None or record["disabled"]:
            raise AccessDenied("unknown or disabled token")
        return Principal(f"token:{record['name']}", Role(record["role"]))

    async def audit(self, who: Principal, action: str, target: str) -> None:
        """Every view of customer data and every action, for internal control."""
        await self.audit_attempt(who.name, action, target, str(who.role))

    async def audit_attempt(self, name: str, action: str, target: str, role: str = "") -> None:
        """An entry for a name that may be no user at all (a failed login)."""
        await self.redis.xadd(
            self.keys.users("audit"),
            {
                "at": datetime.now(UTC).isoformat(),
                "who": name,
                "role": role,
                "action": action,
                "target": target,
            },
            maxlen=100_000,
            approximate=True,
        )


def hashed(password: str) -> str:
    if len(password) < 12:
        raise ValueError("a password has at least 12 characters")
    return HASHER.hash(password)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
