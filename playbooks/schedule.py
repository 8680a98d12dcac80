"""Breach reminders as APScheduler jobs in Redis: the configured hours after T0, one at
each phase's deadline, and one a day after it while anything is outstanding.

Jobs are stored by textual reference; `PLAYBOOKS` is filled by the respond role and
`SCHEDULERS` by the breach rules, so a job finds the running playbook and scheduler.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

from playbooks.reminders import remind

if TYPE_CHECKING:
    from playbooks.breach import Breach
    from playbooks.playbook import Playbook

PLAYBOOKS: dict[str, Playbook] = {}
SCHEDULERS: dict[str, BaseScheduler] = {}
DAY = timedelta(days=1)


def schedule_reminders(
    scheduler: BaseScheduler, prefix: str, breach: Breach, playbook: Playbook
) -> None:
    now = playbook.clock()
    moments = {breach.detected_at + after for after in playbook.breach.reminders}
    moments |= {phase.due for phase in breach.phases if phase.filed_at is None}
    for moment in sorted(m for m in moments if m > now):
        hours = int((moment - breach.detected_at).total_seconds() // 3600)
        scheduler.add_job(
            remind_job,
            "date",
            run_date=moment,
            id=f"{prefix}:remind:{breach.id}:{hours}",
            args=(prefix, breach.id, hours),
            replace_existing=True,
        )
    last_due = max(phase.due for phase in breach.phases)
    scheduler.add_job(
        daily_job,
        "interval",
        days=1,
        start_date=max(last_due, now) + DAY,
        id=daily_id(prefix, breach.id),
        args=(prefix, breach.id),
        replace_existing=True,
    )


def daily_id(prefix: str, breach_id: str) -> str:
    return f"{prefix}:remind:{breach_id}:daily"


async def remind_job(prefix: str, breach_id: str, hours: int) -> None:
    await remind(PLAYBOOKS[prefix], breach_id, hours)


async def daily_job(prefix: str, breach_id: str) -> None:
    """Once a day after the deadline; the job ends itself when nothing is outstanding."""
    playbook = PLAYBOOKS[prefix]
    breach = await playbook.store.existing(breach_id)
    hours = int((playbook.clock() - breach.detected_at).total_seconds() // 3600)
    if await remind(playbook, breach_id, hours):
        return
    scheduler = SCHEDULERS.get(prefix)
    if scheduler is not None:
        with suppress(JobLookupError):
            scheduler.remove_job(daily_id(prefix, breach_id))
