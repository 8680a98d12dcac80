"""Breaches declared by rule, one per event.

An incident of a listed family that names enough customers starts a pending declaration;
for `breach.auto_declare_delay` related incidents (sharing evidence, an actor or an address)
join it, then one breach is declared on all of them. An incident related to a breach
already open attaches to it instead of opening another.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable

from apscheduler.schedulers.base import BaseScheduler
from redis.exceptions import RedisError

from monitor.directory import DirectoryError
from monitor.incidents import Incident
from monitor.respond_settings import BreachSettings
from monitor.store.streams import ensure_group, keep_going
from playbooks.breach import BreachError
from playbooks.customers import customer_ids
from playbooks.playbook import Playbook
from playbooks.schedule import SCHEDULERS, schedule_reminders

log = logging.getLogger(__name__)

GROUP = "breach-rules"
RELATING = ("actor", "ip")  # entities that make two incidents one event


def declares(incident: Incident, settings: BreachSettings) -> bool:
    return (
        incident.family in settings.auto_declare_families
        and incident.affected_count >= settings.auto_declare_min_customers
    )


def marks(incident: Incident) -> list[str]:
    """What relates incidents: each evidence line, and the acting user or address."""
    found = [f"in:{incident.id}"] + [f"ev:{r['id']}" for r in incident.evidence if r.get("id")]
    found += [
        f"en:{name}={incident.entities[name]}" for name in RELATING if name in incident.entities
    ]
    return found


class Rules:
    """The rule's state in Redis: pending groups, and which breach or group each mark is in."""

    def __init__(self, playbook: Playbook, scheduler: BaseScheduler | None = None) -> None:
        self.playbook = playbook
        self.scheduler = scheduler
        self.redis = playbook.store.redis
        keys = playbook.store.keys
        self.index = keys.breach("rules", "marks")
        self.pending = keys.breach("rules", "pending")
        self.keys = keys

    def group(self, group_id: str) -> str:
        return self.keys.breach("rules", f"group:{group_id}")

    async def related(self, incident: Incident) -> str | None:
        """The open breach ("B:id") or pending group ("P:id") this incident belongs to, or
        "W:id" when it was in a breach since withdrawn (it is not declared again)."""
        for mark in marks(incident):
            found = await self.redis.hget(self.index, mark)
            if found is None:
                continue
            owner = found.decode()
            if owner.startswith("P:") or await self.still_open(owner[2:]):
                return str(owner)
            if mark.startswith("in:"):
                return f"W:{owner[2:]}"
        return None

    async def still_open(self, breach_id: str) -> bool:
        breach = await self.playbook.store.get(breach_id)
        return breach is not None and not breach.withdrawn

    async def consider(self, incident_id: str) -> str | None:
        """Attach, join a pending group, or start one; the breach id when one was touched."""
        incident = await self.playbook.incidents.get(incident_id)
        if incident is None:
            return None
        owner = await self.related(incident)
        if owner is not None and owner.startswith("W:"):
            return None
        if owner is not None and owner.startswith("B:"):
            return await self.attach(owner[2:], incident)
        if owner is None and not declares(incident, self.playbook.breach):
            return None
        group_id = owner[2:] if owner else secrets.token_hex(4)
        if owner is None:
            delay = self.playbook.breach.auto_declare_delay
            due = self.playbook.clock() + delay
            await self.redis.zadd(self.pending, {group_id: due.timestamp()}, nx=True)
        await self.redis.sadd(self.group(group_id), incident_id)
        await self.redis.hset(self.index, mapping={m: f"P:{group_id}" for m in marks(incident)})
        declared = await self.declare_due()
        return declared[0] if declared else None

    async def attach(self, breach_id: str, incident: Incident) -> str:
        """The same event: a follow-up phase only if the filed notice misses its customers."""
        playbook = self.playbook
        breach = await playbook.store.existing(breach_id)
        if incident.id not in breach.incidents:
            known = {
                c
                for i in await playbook.incidents.get_many(breach.incidents, every_customer=True)
                for c in customer_ids(i)
            }
            new_customers = bool(customer_ids(incident) - known)
            filed = breach.phases[-1].filed_at is not None
            breach = await playbook.store.attach(
                breach_id, [incident.id], "vigil (rule)", new_phase=filed and new_customers
            )
            if self.scheduler is not None:  # a follow-up phase has its own deadline
                schedule_reminders(self.scheduler, playbook.store.keys.prefix, breach, playbook)
            await self.redis.hset(
                self.index, mapping={m: f"B:{breach_id}" for m in marks(incident)}
            )
            log.warning("incident %s attached to breach %s", incident.id, breach_id)
        await playbook.run(breach_id)  # customers the incident named since
        return breach_id

    async def declare_due(self) -> list[str]:
        """Declare every pending group whose wait is over: one breach per group."""
        now = self.playbook.clock().timestamp()
        declared = []
        for raw in await self.redis.zrangebyscore(self.pending, "-inf", now):
            group_id = raw.decode()
            if not await self.redis.zrem(self.pending, group_id):
                continue  # another Vigil process took it
            members = sorted(m.decode() for m in await self.redis.smembers(self.group(group_id)))
            declared.append(await self.declare(members))
            await self.redis.delete(self.group(group_id))
        return declared

    async def declare(self, incident_ids: list[str]) -> str:
        playbook = self.playbook
        found = await playbook.incidents.get_many(incident_ids, every_customer=True)
        titles = "; ".join(sorted({i.title for i in found}))
        breach = await playbook.store.declare(
            incident_ids, f"Declared by rule: {titles}", "vigil (rule)"
        )
        mapping = {m: f"B:{breach.id}" for i in found for m in marks(i)}
        await self.redis.hset(self.index, mapping=mapping)
        log.warning("breach %s declared by rule on %d incidents", breach.id, len(incident_ids))
        if self.scheduler is not None:
            schedule_reminders(self.scheduler, playbook.store.keys.prefix, breach, playbook)
        await playbook.run(breach.id)
        return breach.id


async def consider(
    playbook: Playbook, incident_id: str, scheduler: BaseScheduler | None = None
) -> str | None:
    """Apply the rule to one incident (see `Rules.consider`)."""
    return await Rules(playbook, scheduler).consider(incident_id)


async def watch(playbook: Playbook, scheduler: BaseScheduler, stop: asyncio.Event) -> None:
    """Apply the rule to every incident change (each once across Vigil processes)."""
    redis, changes = playbook.store.redis, playbook.store.keys.incident_changes
    SCHEDULERS[playbook.store.keys.prefix] = scheduler
    rules = Rules(playbook, scheduler)
    await ensure_group(redis, changes, GROUP)

    async def poll() -> None:
        reply = await redis.xreadgroup(GROUP, "rules", {changes: ">"}, count=100, block=500)
        for _, entries in reply or []:
            for entry_id, fields in entries:
                if fields.get(b"state") in (b"created", b"updated", b"escalated"):
                    await isolated(rules.consider(fields[b"id"].decode()), fields[b"id"])
                await redis.xack(changes, GROUP, entry_id)
        await isolated(rules.declare_due(), b"(pending declarations)")

    await keep_going(stop, poll, "breach rules")


async def isolated(step: Awaitable[object], what: bytes) -> None:
    """A breach that cannot be declared or attached is logged; the rules go on."""
    try:
        await step
    except (RedisError, OSError):
        raise
    except (BreachError, DirectoryError, ValueError, KeyError) as error:
        log.error("breach rule on %s failed: %s", what.decode(), error)
