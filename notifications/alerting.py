"""On-call alerting: group new incidents, page the rota, escalate until someone acknowledges.

Every page is an outbox message whose key names the alert, the step and the person, so a
step that runs twice (two Vigil processes, a restart in the middle) still pages once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from importlib import resources

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.findings import Severity
from monitor.incidents import Incident, Lifecycle, Status
from monitor.store.streams import ensure_group, keep_going, until_done
from notifications import pages, schedule
from notifications.oncall import Step, plan
from notifications.pages import AlertParts
from notifications.silences import Silences

log = logging.getLogger(__name__)

GROUP = "alerts"
# An alert's record (its group and start) is kept as long as its members' list (groups.lua).
ALERT_RETENTION_SECONDS = 30 * 86400
PAGED_STATES = frozenset({"created", "escalated", "reopened"})
Clock = Callable[[], datetime]


class Alerter:
    def __init__(
        self,
        parts: AlertParts,
        scheduler: AsyncIOScheduler,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.parts = parts
        self.scheduler = scheduler
        self.clock = clock
        self.alerts = parts.settings.alerts
        self.lifecycle = Lifecycle(parts.store)
        self.silences = Silences(parts.redis, parts.keys)
        lua = resources.files("notifications").joinpath("groups.lua").read_text()
        self._groups = parts.redis.register_script(lua)
        schedule.ALERTERS[parts.keys.prefix] = self

    def key(self, name: str) -> str:
        return self.parts.keys.alerts(name)

    async def run(self, stop: asyncio.Event) -> None:
        """Read incident changes (each once across Vigil processes) and act on them."""
        redis, changes = self.parts.redis, self.parts.keys.incident_changes
        # From the start of the stream: what was raised while no alerter ran is still paged.
        await ensure_group(redis, changes, GROUP)
        self.schedule_digest()
        consumer = f"alerter-{secrets.token_hex(3)}"
        idle_ms = int(self.parts.settings.worker.claim_idle.total_seconds() * 1000)
        await keep_going(stop, lambda: self.poll(consumer, idle_ms), "alerting")

    async def poll(self, consumer: str, idle_ms: int) -> None:
        """Changes a dead alerter read but never finished are taken over, then new ones."""
        redis, changes = self.parts.redis, self.parts.keys.incident_changes
        claimed = await redis.xautoclaim(changes, GROUP, consumer, idle_ms, "0-0", count=100)
        reply = await redis.xreadgroup(GROUP, consumer, {changes: ">"}, count=100, block=500)
        for entries in [claimed[1], *(entries for _, entries in reply or [])]:
            for entry_id, fields in entries:
                if fields:
                    incident_id, state = fields[b"id"].decode(), fields[b"state"].decode()
                    handle = partial(self.handle, incident_id, state, entry_id.decode())
                    await until_done(handle, f"alerting on {incident_id}")
                await redis.xack(changes, GROUP, entry_id)

    async def handle(self, incident_id: str, state: str, change_id: str = "") -> str | None:
        """Route one change: silenced, digest, or into an alert group. The alert id, if any."""
        incident = await self.parts.store.get(incident_id)
        if state not in PAGED_STATES or incident is None or incident.status is not Status.OPEN:
            return None
        now = self.clock()
        silence = await self.silences.matching(incident, now)
        if silence is not None:
            await self.lifecycle.note(
                incident_id,
                {"by": "vigil", "action": "silenced", "note": f"{silence.id}: {silence.reason}"},
            )
            return None
        if incident.severity.rank < Severity(self.alerts.page_min_severity).rank:
            await self.parts.redis.zadd(self.key("digest"), {incident_id: now.timestamp()})
            await self.lifecycle.note(
                incident_id,
                {"by": "vigil", "action": "digest", "note": "queued for the daily digest"},
            )
            return None
        return await self.join_group(incident, now, change_id or secrets.token_hex(8))

    async def join_group(self, incident: Incident, now: datetime, change_id: str) -> str:
        """Put the incident in its group's open alert, or open one whose page waits group_wait.

        A change replayed after a crash finds the alert it joined; if that alert has not
        paged yet, its flush is scheduled again (the same job id, so never twice).
        """
        group = f"{incident.family}|{sorted(incident.entities.items())}"
        wait_ms = int(self.alerts.group_wait.total_seconds() * 1000)
        alert_id, how = await self._groups(
            keys=[
                self.key(f"pending:{group}"),
                self.key("members:"),
                self.key(f"handled:{change_id}"),
            ],
            args=[
                "join",
                f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
                incident.id,
                wait_ms + 60_000,
            ],
        )
        alert = str(alert_id.decode())
        record = self.key(f"alert:{alert}")
        if how == 1 or (how == 2 and not await self.parts.redis.hexists(record, "start")):
            await self.parts.redis.hset(record, "group", group)
            await self.parts.redis.expire(record, ALERT_RETENTION_SECONDS)
            schedule.at(
                self.scheduler,
                now + self.alerts.group_wait,
                self.job_id("flush", alert),
                schedule.flush_job,
                (self.parts.keys.prefix, alert),
            )
        return alert

    def job_id(self, *parts: str | int) -> str:
        return ":".join([self.parts.keys.prefix, *map(str, parts)])

    async def flush(self, alert_id: str) -> None:
        """group_wait is over: the group takes no more members and its first page goes out."""
        group = await self.parts.redis.hget(self.key(f"alert:{alert_id}"), "group")
        if group is None:
            return
        members = await self._groups(
            keys=[self.key(f"pending:{group.decode()}"), self.key("members:")],
            args=["close", alert_id],
        )
        if not members:
            return  # the alert was never opened (see join_group)
        start = self.clock()
        await self.parts.redis.hsetnx(self.key(f"alert:{alert_id}"), "start", start.isoformat())
        await self.step(alert_id, 0)

    async def step(self, alert_id: str, index: int) -> None:
        """Page step `index` of the escalation plan unless everything was acknowledged."""
        record = await self.parts.redis.hgetall(self.key(f"alert:{alert_id}"))
        if b"start" not in record:
            return
        incidents = await self.members(alert_id)
        active = [incident for incident in incidents if incident.status is Status.OPEN]
        if not active:
            return  # acknowledged or resolved: escalation ends here
        steps = plan(self.alerts.escalation, datetime.fromisoformat(record[b"start"].decode()))
        now = self.clock()
        step = steps[index] if index < len(steps) else Step(now, len(steps), -1, steps[-1].targets)
        await self.page(alert_id, index, step, active, now)
        later = steps[index + 1].at if index + 1 < len(steps) else now + self.alerts.repeat_interval
        schedule.at(
            self.scheduler,
            later,
            self.job_id("step", alert_id, index + 1),
            schedule.step_job,
            (self.parts.keys.prefix, alert_id, index + 1),
        )

    async def members(self, alert_id: str) -> list[Incident]:
        ids = await self.parts.redis.smembers(self.key(f"members:{alert_id}"))
        return await self.parts.store.get_many(sorted(raw.decode() for raw in ids))

    async def page(
        self, alert_id: str, index: int, step: Step, incidents: Sequence[Incident], now: datetime
    ) -> None:
        rota = self.parts.rota
        people = [rota.resolve(target, now) for target in step.targets]
        for person in dict.fromkeys(p for p in people if p):
            address = rota.address(person)
            if address is None:
                await self.note_all(
                    incidents,
                    {
                        "by": "vigil",
                        "action": "notification-failed",
                        "to": person,
                        "note": "no email address",
                    },
                )
                continue
            message = pages.alert_message(
                self.parts,
                f"page:{alert_id}:{index}:{person}",
                person,
                address,
                incidents,
                pages.describe(step, index),
                now,
            )
            if await self.parts.outbox.enqueue(message):
                await self.parts.redis.hincrby(self.key("stats"), f"pages:level{step.level + 1}", 1)
                await self.note_all(
                    incidents,
                    {
                        "by": "vigil",
                        "action": "notified",
                        "to": person,
                        "note": f"level {step.level + 1}, page {index + 1}",
                    },
                )
        for number, hook in enumerate(self.alerts.webhooks):
            if max(i.severity.rank for i in incidents) >= Severity(hook.min_severity).rank:
                await self.parts.outbox.enqueue(
                    pages.hook_message(
                        self.parts, f"hook:{alert_id}:{index}:{number}", hook.url, incidents
                    )
                )

    async def note_all(self, incidents: Sequence[Incident], entry: dict[str, str]) -> None:
        for incident in incidents:
            await self.lifecycle.note(incident.id, entry)

    def schedule_digest(self) -> None:
        hour, minute = (int(part) for part in self.alerts.digest_at.split(":"))
        self.scheduler.add_job(
            schedule.digest_job,
            "cron",
            hour=hour,
            minute=minute,
            id=self.job_id("digest"),
            args=(self.parts.keys.prefix,),
            replace_existing=True,
        )

    async def digest(self) -> None:
        """Send the low-severity incidents queued since the last digest, once, then forget them.

        Also the daily moment to drop silences that ended more than a week ago.
        """
        await self.silences.prune(self.clock())
        ids = [raw.decode() for raw in await self.parts.redis.zrange(self.key("digest"), 0, -1)]
        incidents = await self.parts.store.get_many(ids)
        if not incidents:
            return
        for message in pages.digest_messages(self.parts, incidents, self.clock()):
            await self.parts.outbox.enqueue(message)
        await self.parts.redis.zrem(self.key("digest"), *ids)
