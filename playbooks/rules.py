"""Breaches declared by rule: an incident of a listed family that names enough customers."""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.base import BaseScheduler

from monitor.incidents import Incident
from monitor.settings import BreachSettings
from monitor.store.streams import ensure_group, keep_going
from playbooks.playbook import Playbook
from playbooks.schedule import schedule_reminders

log = logging.getLogger(__name__)

GROUP = "breach-rules"


def declares(incident: Incident, settings: BreachSettings) -> bool:
    return (
        incident.family in settings.auto_declare_families
        and incident.affected_count >= settings.auto_declare_min_customers
    )


async def consider(
    playbook: Playbook, incident_id: str, scheduler: BaseScheduler | None = None
) -> str | None:
    """Declare a breach on the incident if the rule matches and none was declared for it."""
    incident = await playbook.incidents.get(incident_id)
    if incident is None or not declares(incident, playbook.breach):
        return None
    redis, keys = playbook.store.redis, playbook.store.keys
    if not await redis.set(keys.alerts(f"auto-declared:{incident_id}"), "1", nx=True):
        return None
    breach = await playbook.store.declare(
        [incident_id], f"Declared by rule: {incident.title}", "vigil (rule)"
    )
    log.warning("breach %s declared by rule on incident %s", breach.id, incident_id)
    if scheduler is not None:
        schedule_reminders(scheduler, keys.prefix, breach, playbook)
    await playbook.run(breach.id)
    return breach.id


async def watch(playbook: Playbook, scheduler: BaseScheduler, stop: asyncio.Event) -> None:
    """Apply the rule to every incident change (each once across Vigil processes)."""
    redis, changes = playbook.store.redis, playbook.store.keys.incident_changes
    await ensure_group(redis, changes, GROUP)

    async def poll() -> None:
        reply = await redis.xreadgroup(GROUP, "rules", {changes: ">"}, count=100, block=500)
        for _, entries in reply or []:
            for entry_id, fields in entries:
                if fields.get(b"state") in (b"created", b"updated", b"escalated"):
                    await consider(playbook, fields[b"id"].decode(), scheduler)
                await redis.xack(changes, GROUP, entry_id)

    await keep_going(stop, poll, "breach rules")
