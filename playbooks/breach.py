"""A declared breach: T0, what it covers, its phase, and the human decisions it waits for."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from monitor.incidents import IncidentStore
from monitor.store.keys import Keys
from playbooks.record import Record


class BreachError(Exception):
    """A breach that cannot be declared or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Breach:
    id: str
    summary: str
    declared_by: str
    detected_at: datetime  # T0: the 72-hour clock starts here
    occurred_at: datetime  # the earliest evidence
    phase: int  # 1 for the initial notice, n for follow-up n - 1
    late_reason: str
    approved: str  # none, authority or all: what internal control has approved
    incidents: tuple[str, ...]

    def due(self, deadline: timedelta) -> datetime:
        return self.detected_at + deadline


class BreachStore:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        incidents: IncidentStore,
        record: Record,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.incidents = incidents
        self.record = record
        self.clock = clock

    def key(self, breach_id: str, name: str = "meta") -> str:
        return self.keys.breach(breach_id, name)

    async def declare(self, incident_ids: Sequence[str], summary: str, by: str) -> Breach:
        """Declare a breach on incidents: T0 is now; the record's first entry says who and why."""
        found = [await self.incidents.get(i) for i in incident_ids]
        missing = [i for i, incident in zip(incident_ids, found, strict=True) if incident is None]
        if missing or not incident_ids:
            raise BreachError(f"no such incident: {', '.join(missing) or '(none given)'}")
        now = self.clock()
        occurred = min(
            datetime.fromisoformat(i.first_seen.replace("Z", "+00:00"))
            for i in found
            if i is not None
        )
        breach_id = f"BR-{now:%Y%m%d}-{secrets.token_hex(2)}"
        await self.redis.hset(
            self.key(breach_id),
            mapping={
                "summary": summary,
                "declared_by": by,
                "detected_at": now.isoformat(),
                "occurred_at": occurred.isoformat(),
                "phase": 1,
                "late_reason": "",
                "approved": "none",
            },
        )
        await self.redis.sadd(self.key(breach_id, "incidents"), *incident_ids)
        await self.redis.zadd(self.keys.breaches, {breach_id: now.timestamp()})
        await self.record.append(
            breach_id,
            "declared",
            {
                "by": by,
                "summary": summary,
                "incidents": list(incident_ids),
                "detected_at": now.isoformat(),
                "occurred_at": occurred.isoformat(),
            },
        )
        return await self.existing(breach_id)

    async def get(self, breach_id: str) -> Breach | None:
        meta = await self.redis.hgetall(self.key(breach_id))
        if not meta:
            return None
        text = {k.decode(): v.decode() for k, v in meta.items()}
        incidents = sorted(
            i.decode() for i in await self.redis.smembers(self.key(breach_id, "incidents"))
        )
        return Breach(
            breach_id,
            text["summary"],
            text["declared_by"],
            datetime.fromisoformat(text["detected_at"]),
            datetime.fromisoformat(text["occurred_at"]),
            int(text["phase"]),
            text["late_reason"],
            text["approved"],
            tuple(incidents),
        )

    async def ids(self) -> list[str]:
        return [raw.decode() for raw in await self.redis.zrevrange(self.keys.breaches, 0, -1)]

    async def attach(self, breach_id: str, incident_ids: Sequence[str], by: str) -> Breach:
        """More incidents: the next phase (a follow-up notice; nobody is notified twice)."""
        breach = await self.existing(breach_id)
        fresh = [i for i in incident_ids if i not in breach.incidents]
        for incident_id in fresh:
            if await self.incidents.get(incident_id) is None:
                raise BreachError(f"no such incident: {incident_id}")
        if fresh:
            await self.redis.sadd(self.key(breach_id, "incidents"), *fresh)
            await self.redis.hincrby(self.key(breach_id), "phase", 1)
            await self.record.append(
                breach_id,
                "incidents-attached",
                {"by": by, "incidents": fresh, "phase": breach.phase + 1},
            )
        return await self.existing(breach_id)

    async def set_late_reason(self, breach_id: str, reason: str, by: str) -> Breach:
        if not reason.strip():
            raise BreachError("the late reason cannot be empty")
        await self.existing(breach_id)
        await self.redis.hset(self.key(breach_id), "late_reason", reason.strip())
        await self.record.append(breach_id, "late-reason", {"by": by, "reason": reason.strip()})
        return await self.existing(breach_id)

    async def approve(self, breach_id: str, scope: str, by: str) -> Breach:
        if scope not in ("authority", "all"):
            raise BreachError("approve either the authority notice or all notices")
        await self.existing(breach_id)
        await self.redis.hset(self.key(breach_id), "approved", scope)
        await self.record.append(breach_id, "approved", {"by": by, "scope": scope})
        return await self.existing(breach_id)

    async def existing(self, breach_id: str) -> Breach:
        breach = await self.get(breach_id)
        if breach is None:
            raise BreachError(f"no breach {breach_id}")
        return breach
