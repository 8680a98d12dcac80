"""Incidents in Redis: create or merge findings by fingerprint, list, acknowledge, resolve."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import chain

from redis.asyncio import Redis, RedisCluster

from monitor.events import format_time
from monitor.findings import Finding, Severity, finding_id
from monitor.incidents.indexing import Indexer, customer_names, fixed_names, pack
from monitor.incidents.merging import merge_by_fingerprint
from monitor.incidents.model import Incident, Status, incident_from_redis
from monitor.incidents.query import IncidentQuery, Selection
from monitor.settings import IncidentSettings
from monitor.store.keys import Keys, fingerprint_tag
from monitor.store.scripts import lua_script, run_many

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Change:
    """What happened to one incident: created, updated, escalated, acknowledged, resolved."""

    incident_id: str
    state: str
    severity: Severity


PACKAGE = "monitor.incidents"
# json.dumps(..., ensure_ascii=False) builds an encoder per call; evidence is 50 a crossing.
EVIDENCE_JSON = json.JSONEncoder(ensure_ascii=False).encode


class IncidentStore:
    def __init__(
        self, redis: Redis, keys: Keys, settings: IncidentSettings, clock: Clock = wall_clock
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.clock = clock
        self._record = redis.register_script(
            lua_script(PACKAGE, "record.lua", "count.lua", "index.lua")
        )
        self.indexer = Indexer(redis, keys)
        self.query = IncidentQuery(redis, keys)
        self._extend = redis.register_script(lua_script(PACKAGE, "extend.lua", "count.lua"))
        self.suppression_ms = int(settings.suppression_window.total_seconds() * 1000)
        # How long a fingerprint's applied finding ids are kept: two windows and a day.
        self.applied_ttl_ms = 2 * self.suppression_ms + 86_400_000

    async def record(self, findings: Iterable[Finding]) -> list[Change]:
        """Store findings (merged per fingerprint) in one round trip, then index them in another."""
        merged = merge_by_fingerprint(
            findings, self.settings.suppression_window, self.settings.evidence_limit
        )
        if not merged:
            return []
        now = self.clock()
        opening = [finding for finding in merged if not finding.extends_only]
        # The extensions of a fingerprint that also opens go first (they were split from
        # its crossing, which follows them); the others after the openings are announced:
        # a flood's thousands of count updates do not delay a new incident's page.
        opens = {finding.fingerprint for finding in opening}
        extensions = [finding for finding in merged if finding.extends_only]
        changes = await self.extend([f for f in extensions if f.fingerprint in opens])
        calls = [
            ([self.keys.fingerprint(tag)], self.record_args(finding, tag, now))
            for finding in opening
            for tag in (fingerprint_tag(finding.fingerprint),)
        ]
        replies = await run_many(self.redis, self._record, calls) if calls else []
        recorded = [Change(r[0].decode(), r[1].decode(), Severity(r[2].decode())) for r in replies]
        fresh = [c for c in recorded if c.state != "duplicate"]
        fresh += await self.unfiled([c for c in recorded if c.state == "duplicate"])
        await self.after_write(fresh)
        changes += await self.extend([f for f in extensions if f.fingerprint not in opens])
        return fresh + changes

    async def unfiled(self, duplicates: Sequence[Change]) -> list[Change]:
        """On a cluster, the incidents of findings replayed after a crash that came between
        their write and their filing (see after_write): found in no index, they were created
        by that write and never announced, so they are now, as created; the rest were."""
        if self.index_prefix or not duplicates:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for change in duplicates:
                pipe.zscore(self.keys.incident_index("all"), change.incident_id)
            scores = await pipe.execute()
        return [
            replace(change, state="created")
            for change, score in zip(duplicates, scores, strict=True)
            if score is None
        ]

    async def extend(self, findings: Sequence[Finding]) -> list[Change]:
        """Add the events of attacks past their thresholds to their open incidents: one
        script call for all of them (one per fingerprint on a cluster, where each key may
        live on another node). Not announced: the incident's count moves, nothing else."""
        if not findings:
            return []
        tags = [fingerprint_tag(finding.fingerprint) for finding in findings]
        keys = list(map(self.keys.fingerprint, tags))
        per_key = list(map(self.extend_args, findings, tags))
        constants: list[str | int] = [self.suppression_ms, self.applied_ttl_ms]
        if isinstance(self.redis, RedisCluster):
            calls = [([key], constants + args) for key, args in zip(keys, per_key, strict=True)]
            replies = [reply[0] for reply in await run_many(self.redis, self._extend, calls)]
        else:
            replies = await self._extend(keys=keys, args=constants + list(chain(*per_key)))
        return [
            Change(reply[0].decode(), "extended", finding.severity)
            for finding, reply in zip(findings, replies, strict=True)
            if reply[1] == b"extended"
        ]

    def extend_args(self, finding: Finding, tag: str) -> list[str | int]:
        """The script's arguments for one fingerprint (its hash `tag`): see extend.lua."""
        marks = finding.counted
        customers = sorted(finding.affected_customers) if finding.affected_customers else []
        packed = "\x1e".join(marks)
        # Marks each past the one before (no '|' of a fold among them, none holding the
        # separator): if the oldest is past what the incident counted, the script counts
        # them all without reading them.
        rising = (
            bool(marks)
            and packed.count("\x1e") == len(marks) - 1
            and all(map(str.__lt__, marks, marks[1:]))
        )
        head: list[str | int] = [
            tag,
            self.keys.incident_base(tag),
            finding_id(finding.fingerprint, marks),
            epoch_ms(finding.first_seen),
            epoch_ms(finding.last_seen),
            format_time(finding.last_seen),
            len(customers),
            len(marks),
        ]
        if rising:
            return [*head, marks[0], marks[-1], *customers, packed]
        return [*head, "", "", *customers, packed]

    def record_args(self, finding: Finding, tag: str, now: datetime) -> list[str | int]:
        now_ms, now_text = epoch_ms(now), format_time(now)
        counted = finding.counted
        args: list[str | int] = [
            tag,
            finding_id(finding.fingerprint, counted),
            epoch_ms(finding.first_seen),
            format_time(finding.first_seen),
            epoch_ms(finding.last_seen),
            format_time(finding.last_seen),
            self.suppression_ms,
            str(finding.severity),
            finding.severity.rank,
            finding.detector,
            finding.family,
            finding.title,
            json.dumps(dict(finding.entities), ensure_ascii=False),
            self.settings.evidence_limit,
            now_text,
            self.applied_ttl_ms,
            len(finding.evidence),
            self.keys.incident_base(tag),
            now_ms,
            int(self.settings.reopen_window.total_seconds() * 1000),
            len(counted),
            self.index_prefix,
            pack(fixed_names(finding.family, finding.detector, finding.entities, finding.title)),
            pack(customer_names(sorted(finding.affected_customers))),
        ]
        for reference in finding.evidence:
            args += [str(reference["id"]), EVIDENCE_JSON(reference)]
        args += counted
        args += sorted(finding.affected_customers)
        return args

    @property
    def index_prefix(self) -> str:
        """Where the scripts file incidents; '' on a cluster, where `after_write` does."""
        return "" if isinstance(self.redis, RedisCluster) else self.keys.incident_index("")

    async def after_write(self, changes: Sequence[Change]) -> None:
        """Announce the changes; on a cluster, file the incidents first (see indexing)."""
        if not changes:
            return
        if not self.index_prefix:
            await self.indexer.refresh([change.incident_id for change in changes])
        async with self.redis.pipeline(transaction=False) as pipe:
            for change in changes:
                self.announce(pipe, change)
            await pipe.execute()

    def announce(self, pipe: Redis, change: Change) -> None:
        """Append to the change stream that live consumers (printer, dashboard, alerts) read."""
        pipe.xadd(
            self.keys.incident_changes,
            {"id": change.incident_id, "state": change.state, "severity": str(change.severity)},
            maxlen=self.settings.changes_maxlen,
            approximate=True,
        )

    async def get(self, incident_id: str) -> Incident | None:
        found = await self.get_many([incident_id])
        return found[0] if found else None

    async def get_many(
        self, incident_ids: Sequence[str], every_customer: bool = False
    ) -> list[Incident]:
        """Incidents in the order asked, in one round trip; unknown ids are left out.

        They list the first `customers_shown` customer ids (sorted) and count them all; with
        `every_customer`, all of them (the breach playbook, an export of 100,000 records).
        """
        shown = None if every_customer else self.settings.customers_shown
        async with self.redis.pipeline(transaction=False) as pipe:
            for incident_id in incident_ids:
                key = self.keys.incident(incident_id)
                pipe.hgetall(key)
                pipe.lrange(f"{key}:evidence", 0, -1)
                pipe.lrange(f"{key}:timeline", 0, -1)
                pipe.smembers(f"{key}:customers")  # SORT ... LIMIT: refused in cluster pipelines
            replies = await pipe.execute()
        return [
            incident_from_redis(fields, evidence, timeline, customers, shown)
            for fields, evidence, timeline, customers in zip(*[iter(replies)] * 4, strict=True)
            if fields
        ]

    async def customers(self, incident_id: str) -> list[str] | None:
        """Every customer id an incident names, sorted; None for an unknown incident."""
        found = await self.get_many([incident_id], every_customer=True)
        return list(found[0].affected_customers) if found else None

    async def list(
        self, status: Status | None = None, severity: Severity | None = None, limit: int = 50
    ) -> list[Incident]:
        """Newest first, filtered by status and severity."""
        selection = Selection(
            statuses=(str(status),) if status else (),
            severities=(str(severity),) if severity else (),
        )
        found = await self.query.page(selection, limit=limit)
        return await self.get_many(found.ids)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
