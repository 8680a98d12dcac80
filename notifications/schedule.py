"""APScheduler with its Redis job store: escalations and digests survive a restart.

APScheduler stores a job as a textual reference to a module-level function plus its
arguments, so the job functions here find the running Alerter through `ALERTERS`, filled
by the Alerter itself when it starts.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis import ConnectionPool

if TYPE_CHECKING:
    from notifications.alerting import Alerter

ALERTERS: dict[str, Alerter] = {}
# A job that should have run while Vigil was down still runs (once) within this many seconds.
MISFIRE_GRACE_SECONDS = 24 * 3600


def build_scheduler(redis_url: str, prefix: str, timezone: str) -> AsyncIOScheduler:
    store = RedisJobStore(
        jobs_key=f"{prefix}:{{jobs}}:jobs",
        run_times_key=f"{prefix}:{{jobs}}:run_times",
        connection_pool=ConnectionPool.from_url(redis_url, client_name=f"vigil-{os.getpid()}"),
    )
    return AsyncIOScheduler(
        jobstores={"default": store},
        timezone=timezone,
        job_defaults={
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            "coalesce": True,
            "max_instances": 1,
        },
    )


def at(
    scheduler: AsyncIOScheduler,
    when: datetime,
    job_id: str,
    func: object,
    args: tuple[str | int, ...],
) -> None:
    """Schedule once under a stable id: scheduling the same step twice changes nothing."""
    scheduler.add_job(func, "date", run_date=when, id=job_id, args=args, replace_existing=True)


async def flush_job(prefix: str, alert_id: str) -> None:
    await ALERTERS[prefix].flush(alert_id)


async def step_job(prefix: str, alert_id: str, index: int) -> None:
    await ALERTERS[prefix].step(alert_id, index)


async def digest_job(prefix: str) -> None:
    await ALERTERS[prefix].digest()
