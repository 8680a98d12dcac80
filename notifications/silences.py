"""Silences: time-boxed matchers; a silenced incident is stored and shown but not paged."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from monitor.incidents import Incident
from monitor.store.keys import Keys


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    starts: str
    ends: str
    reason: str
    by: str
    family: str | None = None
    detector: str | None = None
    entity: str | None = None  # "ip=203.0.113.7", "user=root"

    def matches(self, incident: Incident, at: datetime) -> bool:
        if not datetime.fromisoformat(self.starts) <= at < datetime.fromisoformat(self.ends):
            return False
        if self.family and incident.family != self.family:
            return False
        if self.detector and incident.detector != self.detector:
            return False
        if self.entity:
            name, _, value = self.entity.partition("=")
            return incident.entities.get(name) == value
        return True


class Silences:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.key = keys.alerts("silences")

    async def add(
        self,
        starts: datetime,
        ends: datetime,
        reason: str,
        by: str,
        family: str | None = None,
        detector: str | None = None,
        entity: str | None = None,
    ) -> Silence:
        if not (family or detector or entity):
            raise ValueError("a silence needs at least one matcher: family, detector or entity")
        if ends <= starts:
            raise ValueError("a silence must end after it starts")
        silence = Silence(
            secrets.token_hex(4),
            starts.astimezone(UTC).isoformat(),
            ends.astimezone(UTC).isoformat(),
            reason,
            by,
            family,
            detector,
            entity,
        )
        await self.redis.hset(self.key, silence.id, json.dumps(asdict(silence)))
        return silence

    async def all(self) -> list[Silence]:
        raw = await self.redis.hgetall(self.key)
        return sorted((Silence(**json.loads(v)) for v in raw.values()), key=lambda s: s.starts)

    async def expire(self, silence_id: str, now: datetime) -> bool:
        raw = await self.redis.hget(self.key, silence_id)
        if raw is None:
            return False
        data = json.loads(raw)
        ends = datetime.fromisoformat(data["ends"])
        data["ends"] = min(ends, now).astimezone(UTC).isoformat()
        await self.redis.hset(self.key, silence_id, json.dumps(data))
        return True

    async def matching(self, incident: Incident, at: datetime) -> Silence | None:
        return next((s for s in await self.all() if s.matches(incident, at)), None)

    async def prune(self, now: datetime) -> None:
        """Silences that ended a week ago are dropped; the hash never grows without bound."""
        for silence in await self.all():
            if (now - datetime.fromisoformat(silence.ends)).days > 7:
                await self.redis.hdel(self.key, silence.id)
