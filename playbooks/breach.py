"""A declared breach: T0, what it covers, its phases, and the human decisions it waits for."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from monitor.events import parse_time
from monitor.incidents import Incident, IncidentStore
from monitor.store.keys import Keys
from playbooks.record import Record


class BreachError(Exception):
    """A breach that cannot be declared or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Phase:
    """One notice to the authority: the initial one (1) or follow-up n - 1, and its filing."""

    number: int
    opened_at: datetime
    due: datetime
    filed_at: datetime | None = None
    reference: str = ""
    late_reason: str = ""

    def late(self, now: datetime) -> bool:
        """Filed after its deadline, or not filed and past it."""
        return (self.filed_at or now) > self.due

    def wants_late_reason(self, now: datetime) -> bool:
        return self.late(now) and not self.late_reason


@dataclass(frozen=True, slots=True)
class Breach:
    id: str
    summary: str
    declared_by: str
    detected_at: datetime  # T0, discovery: the 72-hour clock starts here
    occurred_at: datetime  # the earliest evidence
    approved: str  # none, authority or all: what internal control has approved
    incidents: tuple[str, ...]
    phases: tuple[Phase, ...]
    declared_at: datetime
    withdrawn: str = ""  # the reason, once withdrawn
    confirmed: bool = False  # a breach with no affected customer waits for this

    @property
    def phase(self) -> int:
        return len(self.phases)

    @property
    def late_reason(self) -> str:
        return self.phases[-1].late_reason

    @property
    def due(self) -> datetime:
        """The initial notice's deadline."""
        return self.phases[0].due


def discovered_at(incidents: Sequence[Incident], fallback: datetime) -> datetime:
    """When Vigil first raised the earliest of the incidents (their `created` timeline entry)."""
    times = [
        parse_time(str(entry["at"]))
        for incident in incidents
        for entry in incident.timeline[:1]
        if entry.get("action") == "created" and entry.get("at")
    ]
    return min([*times, fallback])  # never after the declaration itself


def earliest_evidence(incidents: Sequence[Incident]) -> datetime:
    return min(parse_time(i.first_seen) for i in incidents)


class BreachStore:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        incidents: IncidentStore,
        record: Record,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        deadline: timedelta = timedelta(hours=72),
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.incidents = incidents
        self.record = record
        self.clock = clock
        self.deadline = deadline
        self.index = keys.breach("index", "incidents")  # incident id -> its breach

    def key(self, breach_id: str, name: str = "meta") -> str:
        return self.keys.breach(breach_id, name)

    async def found(self, incident_ids: Sequence[str]) -> list[Incident]:
        found = [await self.incidents.get(i) for i in incident_ids]
        missing = [i for i, incident in zip(incident_ids, found, strict=True) if incident is None]
        if missing or not incident_ids:
            raise BreachError(f"no such incident: {', '.join(missing) or '(none given)'}")
        return [i for i in found if i is not None]

    async def not_declared(self, incident_ids: Sequence[str]) -> None:
        """One event, one breach: an incident already in an open breach is attached to it."""
        for incident_id, owner in zip(
            incident_ids, await self.redis.hmget(self.index, list(incident_ids)), strict=True
        ):
            breach = await self.get(owner.decode()) if owner else None
            if breach is not None and not breach.withdrawn:
                raise BreachError(
                    f"incident {incident_id} is already in breach {breach.id}: attach to it"
                )

    async def declare(self, incident_ids: Sequence[str], summary: str, by: str) -> Breach:
        """Declare a breach on incidents: T0 is discovery; the first entry says who and why."""
        found = await self.found(incident_ids)
        await self.not_declared(incident_ids)
        now = self.clock()
        detected, occurred = discovered_at(found, now), earliest_evidence(found)
        breach_id = f"BR-{now:%Y%m%d}-{secrets.token_hex(2)}"
        await self.redis.hset(
            self.key(breach_id),
            mapping={
                "summary": summary,
                "declared_by": by,
                "declared_at": now.isoformat(),
                "detected_at": detected.isoformat(),
                "occurred_at": occurred.isoformat(),
                "phase": 1,
                "phase:1:opened": detected.isoformat(),
                "phase:1:due": (detected + self.deadline).isoformat(),
                "approved": "none",
            },
        )
        await self.redis.sadd(self.key(breach_id, "incidents"), *incident_ids)
        await self.redis.hset(self.index, mapping=dict.fromkeys(incident_ids, breach_id))
        await self.redis.zadd(self.keys.breaches, {breach_id: now.timestamp()})
        await self.record.append(
            breach_id,
            "declared",
            {
                "by": by,
                "summary": summary,
                "incidents": list(incident_ids),
                "detected_at": detected.isoformat(),
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
            text["approved"],
            tuple(incidents),
            tuple(phase_of(text, n) for n in range(1, int(text["phase"]) + 1)),
            datetime.fromisoformat(text.get("declared_at", text["detected_at"])),
            text.get("withdrawn", ""),
            text.get("confirmed") == "1",
        )

    async def ids(self) -> list[str]:
        return [raw.decode() for raw in await self.redis.zrevrange(self.keys.breaches, 0, -1)]

    async def attach(
        self, breach_id: str, incident_ids: Sequence[str], by: str, new_phase: bool = True
    ) -> Breach:
        """More incidents: the next phase (a follow-up notice; nobody is notified twice).

        With `new_phase` False they join the current phase (the same event, its notice
        not yet filed).
        """
        breach = await self.open_breach(breach_id)
        fresh = [i for i in incident_ids if i not in breach.incidents]
        if not fresh:
            return breach
        await self.found(fresh)
        await self.not_declared(fresh)
        await self.redis.sadd(self.key(breach_id, "incidents"), *fresh)
        await self.redis.hset(self.index, mapping=dict.fromkeys(fresh, breach_id))
        phase = breach.phase
        if new_phase:
            phase = await self.redis.hincrby(self.key(breach_id), "phase", 1)
            opened = self.clock()
            await self.redis.hset(
                self.key(breach_id),
                mapping={
                    f"phase:{phase}:opened": opened.isoformat(),
                    f"phase:{phase}:due": (opened + self.deadline).isoformat(),
                },
            )
        await self.record.append(
            breach_id, "incidents-attached", {"by": by, "incidents": fresh, "phase": phase}
        )
        return await self.existing(breach_id)

    async def set_late_reason(
        self, breach_id: str, reason: str, by: str, phase: int | None = None
    ) -> Breach:
        """Why a phase is (or was) filed after its deadline; the current phase by default."""
        if not reason.strip():
            raise BreachError("the late reason cannot be empty")
        breach = await self.existing(breach_id)
        number = phase or breach.phase
        if not 1 <= number <= breach.phase:
            raise BreachError(f"{breach_id} has no phase {number}")
        await self.redis.hset(self.key(breach_id), f"phase:{number}:late_reason", reason.strip())
        await self.record.append(
            breach_id, "late-reason", {"by": by, "reason": reason.strip(), "phase": number}
        )
        return await self.existing(breach_id)

    async def approve(self, breach_id: str, scope: str, by: str) -> Breach:
        if scope not in ("authority", "all"):
            raise BreachError("approve either the authority notice or all notices")
        await self.open_breach(breach_id)
        await self.redis.hset(self.key(breach_id), "approved", scope)
        await self.record.append(breach_id, "approved", {"by": by, "scope": scope})
        return await self.existing(breach_id)

    async def existing(self, breach_id: str) -> Breach:
        breach = await self.get(breach_id)
        if breach is None:
            raise BreachError(f"no breach {breach_id}")
        return breach

    async def open_breach(self, breach_id: str) -> Breach:
        breach = await self.existing(breach_id)
        if breach.withdrawn:
            raise BreachError(f"{breach_id} was withdrawn: {breach.withdrawn}")
        return breach


def phase_of(text: dict[str, str], number: int) -> Phase:
    field = f"phase:{number}:"
    filed = text.get(field + "filed_at")
    return Phase(
        number,
        datetime.fromisoformat(text[field + "opened"]),
        datetime.fromisoformat(text[field + "due"]),
        datetime.fromisoformat(filed) if filed else None,
        text.get(field + "reference", ""),
        text.get(field + "late_reason", ""),
    )
