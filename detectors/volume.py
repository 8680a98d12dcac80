"""Volume anomaly: an actor's hour of customer-data access unlike the population's and its own.

Every batch adds to per actor and hour tallies in Redis (counters and HyperLogLogs, kept 15
days); once a day an IsolationForest is fitted on the population's last 14 days of hours and
each actor's 95th percentile of distinct customers is worked out; both are stored in Redis
so every detect worker scores with the same model.
"""

from __future__ import annotations

import io
import logging
import pickle
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from redis.asyncio import Redis

from monitor.events import Event
from monitor.store.keys import Keys
from monitor.store.scripts import lua_script

if TYPE_CHECKING:  # scikit-learn loads in a second: only the detect role needs it, lazily
    from sklearn.ensemble import IsolationForest

log = logging.getLogger(__name__)
HOUR_MS = 3_600_000
KEEP = timedelta(days=15)
TRAIN_DAYS = 14
# Fewer actor-hours than this and the floors decide alone.
MIN_TRAINING_HOURS = 200
FEATURES = ("views", "distinct", "exports", "exported", "searches", "off_hours", "addresses")
VIEW, SEARCH, EXPORT = "customer-record-view", "customer-search", "customer-record-export"


def hour_of(event: Event) -> int:
    return event.epoch_ms // HOUR_MS


def off_hours(hour: int, zone_offset_hours: int = 7) -> int:
    """1 outside 07:00-19:00 in Hanoi (UTC+7, no daylight saving)."""
    local = (hour + zone_offset_hours) % 24
    return int(not 7 <= local < 19)


@runtime_checkable
class Recorder(Protocol):
    """A detector that also keeps statistics of what it saw (after evaluation)."""

    id: str

    async def record(self, redis: Redis, keys: Keys, events: Sequence[Event]) -> None: ...


async def tally(redis: Redis, keys: Keys, events: Sequence[Event]) -> None:
    """Add the batch's customer-data events to their actor-hour tallies: one script call."""
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    customers: dict[tuple[int, str], set[str]] = defaultdict(set)
    addresses: dict[tuple[int, str], set[str]] = defaultdict(set)
    for event in events:
        if event.action not in (VIEW, SEARCH, EXPORT) or not event.user:
            continue
        slot = (hour_of(event), event.user)
        counts[slot][{VIEW: "views", SEARCH: "searches", EXPORT: "exports"}[event.action]] += 1
        if event.action == EXPORT:
            counts[slot]["exported"] += int(event.extra.get("labels.record_count") or 0)
        customers[slot].update(customers_of(event))
        if event.source_ip:
            addresses[slot].add(event.source_ip)
    if not counts:
        return
    keys_of, values = [], [str(int(KEEP.total_seconds()))]
    for (hour, actor), fields in counts.items():
        base = actor_hour(keys, hour, actor)
        keys_of += [base, f"{base}:customers", f"{base}:addresses", keys.volume(f"actors:{hour}")]
        values += [actor, str(len(fields))]
        for name, value in fields.items():
            values += [name, str(value)]
        for found in (customers[(hour, actor)], addresses[(hour, actor)]):
            values += [str(len(found)), *found]
    await redis.register_script(TALLY_SCRIPT)(keys=keys_of, args=values)


TALLY_SCRIPT = lua_script("detectors", "tally.lua", packed=False)


def actor_hour(keys: Keys, hour: int, actor: str) -> str:
    """An actor-hour's key. The name is the audit log's: `:` and `%` are escaped in it, or
    an actor named `alice:customers` would write into alice's customers."""
    return keys.volume(f"{hour}:{actor.replace('%', '%25').replace(':', '%3A')}")


def customers_of(event: Event) -> set[str]:
    listed = event.extra.get("labels.customer_ids") or []
    ids = {str(c) for c in listed} if isinstance(listed, list) else set()
    return ids | ({event.customer_id} if event.customer_id else set())


@dataclass(slots=True)
class VolumeModel:
    """The fitted forest and each actor's usual hour; empty until the first fit."""

    forest: IsolationForest | None = None
    usual: dict[str, float] = field(default_factory=dict)  # actor -> p95 distinct customers
    fitted_at: datetime | None = None

    def adopt(self, other: VolumeModel) -> None:
        """Take another fit's state (detectors hold this object; it is updated in place)."""
        self.forest, self.usual, self.fitted_at = other.forest, other.usual, other.fitted_at

    def outlier(self, features: Sequence[float]) -> bool | None:
        """The forest's verdict, or None before there was enough history to fit one."""
        if self.forest is None:
            return None
        return bool(self.forest.predict([list(features)])[0] == -1)


async def actor_hours(redis: Redis, keys: Keys, until: datetime) -> dict[str, list[list[float]]]:
    """Every actor's feature vectors over the training days before `until`."""
    last = int(until.timestamp() * 1000) // HOUR_MS
    hours = range(last - TRAIN_DAYS * 24, last)
    async with redis.pipeline(transaction=False) as pipe:
        for hour in hours:
            pipe.smembers(keys.volume(f"actors:{hour}"))
        members = await pipe.execute()
    # Sorted: Redis returns set members in any order, and the fit must not depend on it.
    slots = [
        (hour, actor.decode())
        for hour, actors in zip(hours, members, strict=True)
        for actor in sorted(actors)
    ]
    # PFCOUNT as a raw command: a cluster pipeline refuses the method (PFCOUNT may take keys
    # of several slots; these are one key each).
    async with redis.pipeline(transaction=False) as pipe:
        for hour, actor in slots:
            base = actor_hour(keys, hour, actor)
            pipe.hgetall(base)
            pipe.execute_command("PFCOUNT", f"{base}:customers")
            pipe.execute_command("PFCOUNT", f"{base}:addresses")
        replies = await pipe.execute()
    vectors: dict[str, list[list[float]]] = defaultdict(list)
    for index, (hour, actor) in enumerate(slots):
        counts, distinct, ips = replies[3 * index : 3 * index + 3]
        values = {k.decode(): int(v) for k, v in counts.items()}
        vectors[actor].append(vector(values, distinct, off_hours(hour), ips))
    return vectors


def vector(counts: dict[str, int], distinct: int, off: int, addresses: int) -> list[float]:
    return [
        float(counts.get("views", 0)),
        float(distinct),
        float(counts.get("exports", 0)),
        float(counts.get("exported", 0)),
        float(counts.get("searches", 0)),
        float(off),
        float(addresses),
    ]


async def refit(redis: Redis, keys: Keys, now: datetime | None = None) -> VolumeModel:
    """Fit on the last 14 days, store the model in Redis, and return it."""
    moment = now or datetime.now(UTC)
    vectors = await actor_hours(redis, keys, moment)
    rows = [row for rows in vectors.values() for row in rows]
    model = VolumeModel(fitted_at=moment)
    # numpy and scikit-learn take a second to load: a log without actor-hours (sshd
    # alone) needs neither.
    if vectors:
        import numpy as np

        model.usual = {
            actor: float(np.percentile([row[1] for row in rows_], 95))
            for actor, rows_ in vectors.items()
        }
        if len(rows) >= MIN_TRAINING_HOURS:
            from sklearn.ensemble import IsolationForest

            forest = IsolationForest(n_estimators=100, contamination="auto", random_state=0)
            model.forest = forest.fit(np.array(rows, dtype=float))
    buffer = io.BytesIO()
    pickle.dump(model, buffer)
    await redis.set(keys.volume("model"), buffer.getvalue())
    log.info("volume model fitted on %d actor-hours of %d actors", len(rows), len(vectors))
    return model


async def load_model(redis: Redis, keys: Keys) -> VolumeModel | None:
    """The model the last refit stored (Vigil's own Redis, written only by refit)."""
    raw: Any = await redis.get(keys.volume("model"))
    if raw is None:
        return None
    model = pickle.loads(raw)  # noqa: S301 - written by refit into Vigil's own Redis
    return model if isinstance(model, VolumeModel) else None
