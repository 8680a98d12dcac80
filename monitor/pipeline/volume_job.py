"""The detect role's hourly job: adopt the stored volume model, refitting it once a day."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.exceptions import RedisError

from detectors.engine import Detection
from detectors.volume import VolumeModel, load_model, refit
from detectors.volume_anomaly import VolumeAnomaly

log = logging.getLogger(__name__)
REFIT_AFTER = timedelta(days=1)


def holders(detection: Detection) -> list[VolumeModel]:
    return [d.model for d in detection.detectors if isinstance(d, VolumeAnomaly)]


async def refit_now(detection: Detection, now: datetime) -> None:
    """Fit on the 14 days before `now` (event time in `vigil scan`) and use it."""
    if holders(detection):
        model = await refit(detection.redis, detection.keys, now)
        for holder in holders(detection):
            holder.adopt(model)


async def keep_volume_model(detection: Detection, stop: asyncio.Event) -> None:
    """Every hour (and at start): use the newest stored model; refit when it is a day old."""
    if not holders(detection):
        return

    async def refresh() -> None:
        try:
            model = await load_model(detection.redis, detection.keys)
            now = datetime.now(UTC)
            if model is None or model.fitted_at is None or now - model.fitted_at > REFIT_AFTER:
                model = await refit(detection.redis, detection.keys, now)
            for holder in holders(detection):
                holder.adopt(model)
        except RedisError as error:
            log.warning("volume model not refreshed: %s", type(error).__name__)

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        refresh,
        "interval",
        hours=1,
        next_run_time=datetime.now(UTC),
        id="volume-model",
        coalesce=True,
        max_instances=1,
    )
    scheduler.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
