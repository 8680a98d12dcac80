"""What people do to incidents: acknowledge, resolve (classified), assign, comment, merge."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from monitor.events import format_time
from monitor.incidents.model import Incident, Status
from monitor.incidents.store import Change, IncidentStore, epoch_ms
from monitor.store.scripts import lua_script


class Classification(StrEnum):
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    BENIGN = "benign"
    DUPLICATE = "duplicate"


class TransitionRefused(Exception):
    """The incident is missing or already past that status."""


# Which statuses each move may start from.
ALLOWED_FROM = {
    Status.ACKNOWLEDGED: (Status.OPEN,),
    Status.RESOLVED: (Status.OPEN, Status.ACKNOWLEDGED),
}


class Lifecycle:
    def __init__(self, store: IncidentStore) -> None:
        self.store = store
        lua = lua_script("monitor.incidents", "transition.lua", "index.lua")
        self._transition = store.redis.register_script(lua)

    async def acknowledge(self, incident_id: str, by: str, note: str = "") -> Incident:
        return await self.move(incident_id, Status.ACKNOWLEDGED, by, note)

    async def resolve(
        self,
        incident_id: str,
        by: str,
        classification: Classification = Classification.TRUE_POSITIVE,
        note: str = "",
    ) -> Incident:
        return await self.move(incident_id, Status.RESOLVED, by, note, classification)

    async def move(
        self,
        incident_id: str,
        status: Status,
        by: str,
        note: str,
        classification: Classification | None = None,
    ) -> Incident:
        now = self.store.clock()
        outcome, old = await self._transition(
            keys=[self.store.keys.incident(incident_id)],
            args=[
                str(status),
                by,
                format_time(now),
                note,
                ",".join(ALLOWED_FROM[status]),
                epoch_ms(now),
                str(classification or ""),
                self.store.index_prefix,
                incident_id,
            ],
        )
        if outcome == b"missing":
            raise TransitionRefused(f"no incident {incident_id}")
        if outcome == b"refused":
            raise TransitionRefused(f"incident {incident_id} is {old.decode()}, cannot be {status}")
        incident = await self.existing(incident_id)
        await self.store.after_write([Change(incident_id, str(status), incident.severity)])
        return incident

    async def assign(self, incident_id: str, owner: str, by: str) -> Incident:
        await self.existing(incident_id)
        await self.store.redis.hset(self.store.keys.incident(incident_id), "owner", owner)
        return await self.note(incident_id, {"by": by, "action": "assigned", "owner": owner})

    async def comment(self, incident_id: str, by: str, text: str) -> Incident:
        return await self.note(incident_id, {"by": by, "action": "comment", "note": text})

    async def note(self, incident_id: str, entry: Mapping[str, Any]) -> Incident:
        """Append to the timeline (who did what, what was sent or failed)."""
        key = self.store.keys.incident(incident_id)
        if not await self.store.redis.exists(key):
            raise TransitionRefused(f"no incident {incident_id}")
        record = {"at": format_time(self.store.clock()), **entry}
        await self.store.redis.rpush(f"{key}:timeline", json.dumps(record, ensure_ascii=False))
        return await self.existing(incident_id)

    async def merge(self, target_id: str, source_ids: Sequence[str], by: str) -> Incident:
        """Fold other incidents into one: evidence, customers and counts move; they resolve."""
        target = await self.existing(target_id)
        key = self.store.keys.incident(target_id)
        for source_id in source_ids:
            if source_id == target_id:
                raise TransitionRefused("an incident cannot be merged into itself")
            source = await self.existing(source_id)
            await self.absorb(key, target, source)
            await self.note(target_id, {"by": by, "action": "merged", "note": source_id})
            if source.status is not Status.RESOLVED:
                await self.resolve(
                    source_id, by, Classification.DUPLICATE, f"merged into {target_id}"
                )
            target = await self.existing(target_id)
        # The merged customers become searchable on the target.
        await self.store.indexer.refresh([target_id])
        return target

    async def absorb(self, key: str, target: Incident, source: Incident) -> None:
        redis = self.store.redis
        known = {str(reference.get("id")) for reference in target.evidence}
        room = self.store.settings.evidence_limit - len(target.evidence)
        fresh = [r for r in source.evidence if str(r.get("id")) not in known][: max(room, 0)]
        async with redis.pipeline(transaction=True) as tx:
            tx.hincrby(key, "event_count", source.event_count)
            if source.first_seen < target.first_seen:
                tx.hset(key, "first_seen", source.first_seen)
            if source.last_seen > target.last_seen:
                tx.hset(key, "last_seen", source.last_seen)
            for reference in fresh:
                tx.rpush(f"{key}:evidence", json.dumps(reference, ensure_ascii=False))
                tx.sadd(f"{key}:evidence_ids", str(reference.get("id")))
            customers = await self.store.customers(source.id) or []
            if customers:
                tx.sadd(f"{key}:customers", *customers)
            await tx.execute()

    async def existing(self, incident_id: str) -> Incident:
        incident = await self.store.get(incident_id)
        if incident is None:
            raise TransitionRefused(f"no incident {incident_id}")
        return incident
