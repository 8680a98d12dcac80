"""How far detection runs behind the logs, and on-call told when it is too far.

A stream entry's id is the millisecond ingest wrote it, so the oldest entry the detect group
has not finished (pending, or not yet delivered) says how late detection runs: an attack in
that entry is detected at best that late. Detection that runs late is a security problem in
itself, so past `alerts.lag_bound` the person on call gets an e-mail, at most once an hour.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from monitor.pipeline.worker import GROUP
from monitor.store.keys import Keys
from notifications.message import Channel, Message
from notifications.oncall import Rota
from notifications.outbox import Outbox

log = logging.getLogger(__name__)
CHECK_SECONDS = 15


def entry_ms(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.partition("-")[0])


async def seconds_behind(redis: Redis, keys: Keys, now: datetime) -> float:
    """Age of the oldest batch detection has not finished; 0 when it is up to date."""
    oldest: list[int] = []
    try:
        summary = await redis.xpending(keys.events, GROUP)
        groups = await redis.xinfo_groups(keys.events)
    except ResponseError:  # no stream or no group yet: everything waits
        first = await redis.xrange(keys.events, count=1)
        oldest = [entry_ms(first[0][0])] if first else []
    else:
        if summary["pending"]:
            oldest.append(entry_ms(summary["min"]))
        group = next((g for g in groups if g["name"].decode() == GROUP), None)
        after = group["last-delivered-id"].decode() if group else "0-0"
        waiting = await redis.xrange(keys.events, min=f"({after}", count=1)
        if waiting:
            oldest.append(entry_ms(waiting[0][0]))
    if not oldest:
        return 0.0
    return max(0.0, now.timestamp() - min(oldest) / 1000)


def lag_message(behind: float, to: str, now: datetime, public_url: str) -> Message:
    """One e-mail per hour of lag: the key names the hour, the outbox sends it once."""
    hour = now.strftime("%Y%m%d%H")
    return Message(
        f"lag:{hour}",
        Channel.EMAIL,
        (to,),
        f"[Vigil] detection is running {behind:,.0f} s behind the logs",
        f"Vigil's detection is {behind:,.0f} seconds behind the logs it reads: an attack "
        "written now would be raised at least that late.\n\n"
        "Check the detect processes and Redis (`vigil status`, the health page: "
        f"{public_url}/health). Start another detect process if the load is higher than "
        "usual; a lag that keeps growing means Vigil cannot keep up.\n",
    )


async def watch_lag(
    redis: Redis,
    keys: Keys,
    outbox: Outbox,
    rota: Rota,
    bound: float,
    public_url: str,
    stop: asyncio.Event,
    every: float = CHECK_SECONDS,
) -> None:
    """Every `every` seconds until `stop`: past `bound` seconds behind, tell the on-call."""
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        if stop.is_set():
            return
        now = datetime.now(UTC)
        try:
            behind = await seconds_behind(redis, keys, now)
            to = rota.address(rota.on_call(now))
            if behind > bound and to:
                log.warning("detection is %.0f s behind the logs", behind)
                await outbox.enqueue(lag_message(behind, to, now, public_url))
        except RedisError as error:
            log.warning("lag not checked: %s", type(error).__name__)
