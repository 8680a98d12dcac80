"""APScheduler with its Redis job store: escalations and digests survive a restart.

APScheduler stores a job as a textual reference to a module-level function plus its
arguments, so the job functions here find the running Alerter through `ALERTERS`, filled
by the Alerter itself when it starts.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis import ConnectionPool, Redis, RedisCluster
from redis.exceptions import RedisError, ResponseError

from monitor.store.streams import until_done

if TYPE_CHECKING:
    from notifications.alerting import Alerter

log = logging.getLogger(__name__)
ALERTERS: dict[str, Alerter] = {}
STORE_RETRY_SECONDS = 1.0
# A job that should have run while Vigil was down still runs (once) within this many seconds.
MISFIRE_GRACE_SECONDS = 24 * 3600


def build_scheduler(redis_url: str, prefix: str, timezone: str) -> AsyncIOScheduler:
    store = RedisJobStore(
        jobs_key=f"{prefix}:{{jobs}}:jobs",
        run_times_key=f"{prefix}:{{jobs}}:run_times",
        connection_pool=ConnectionPool.from_url(redis_url, client_name=f"vigil-{os.getpid()}"),
    )
    if clustered(store.redis):
        store.redis = ClusterJobClient(redis_url)
    return SteadyScheduler(
        jobstores={"default": store},
        timezone=timezone,
        job_defaults={
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            "coalesce": True,
            "max_instances": 1,
        },
    )


class SteadyScheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 is untyped
    """APScheduler whose clock outlives a job store error while it hands out due jobs.

    After handing a job out it removes or reschedules it in the store: a MULTI block that
    fails while Redis is away, and that Redis refuses whole at its memory limit when it
    writes (the digest's next run). APScheduler then stops waking up (its wakeup raised) and
    no later step would run. This one wakes again shortly; a job still in the store runs
    again, and jobs are idempotent.
    """

    def _process_jobs(self) -> float | None:
        try:
            wait: float | None = super()._process_jobs()
        except (RedisError, OSError) as error:
            log.warning("scheduled jobs wait: Redis refused (%s)", type(error).__name__)
            return STORE_RETRY_SECONDS
        return wait


class ClusterJobClient:
    """What RedisJobStore asks of its client, on a cluster: both job keys share the {jobs}
    tag, so its MULTI blocks become one-slot cluster transactions."""

    def __init__(self, url: str) -> None:
        self.cluster = RedisCluster.from_url(url)
        self.connection_pool = SimpleNamespace(disconnect=self.cluster.close)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cluster, name)

    def pipeline(self) -> _Transaction:
        return _Transaction(self.cluster.pipeline(transaction=True))


class _Transaction:
    """A cluster transaction that accepts the store's explicit multi()."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe

    def __enter__(self) -> _Transaction:
        return self

    def __exit__(self, *_: object) -> None:
        self.pipe.reset()

    def multi(self) -> None:
        """Already a transaction."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)


def clustered(client: Redis) -> bool:
    """A cluster node answers INFO cluster with cluster_enabled:1."""
    try:
        return bool(client.info("cluster").get("cluster_enabled") == 1)
    except ResponseError:
        return False


def at(
    scheduler: AsyncIOScheduler,
    when: datetime,
    job_id: str,
    func: object,
    args: tuple[str | int, ...],
) -> None:
    """Schedule once under a stable id: scheduling the same step twice changes nothing."""
    scheduler.add_job(func, "date", run_date=when, id=job_id, args=args, replace_existing=True)


# A job runs once (its date trigger is spent): each retries in place until it gets through.


async def flush_job(prefix: str, alert_id: str) -> None:
    await until_done(lambda: ALERTERS[prefix].flush(alert_id), f"the first page of {alert_id}")


async def step_job(prefix: str, alert_id: str, index: int) -> None:
    alerter = ALERTERS[prefix]
    await until_done(lambda: alerter.step(alert_id, index), f"page {index + 1} of {alert_id}")


async def digest_job(prefix: str) -> None:
    await until_done(ALERTERS[prefix].digest, "the daily digest")
