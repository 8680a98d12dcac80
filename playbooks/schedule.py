"""Breach reminders as APScheduler jobs in Redis (+24, +48, +60, +70 hours after T0).

Jobs are stored by textual reference; `PLAYBOOKS` is filled by the respond role so a
job finds the running playbook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apscheduler.schedulers.base import BaseScheduler

if TYPE_CHECKING:
    from playbooks.breach import Breach
    from playbooks.playbook import Playbook

PLAYBOOKS: dict[str, Playbook] = {}


def schedule_reminders(
    scheduler: BaseScheduler, prefix: str, breach: Breach, playbook: Playbook
) -> None:
    for after in playbook.breach.reminders:
        hours = int(after.total_seconds() // 3600)
        scheduler.add_job(
            remind_job,
            "date",
            run_date=breach.detected_at + after,
            id=f"{prefix}:remind:{breach.id}:{hours}",
            args=(prefix, breach.id, hours),
            replace_existing=True,
        )


async def remind_job(prefix: str, breach_id: str, hours: int) -> None:
    await PLAYBOOKS[prefix].remind(breach_id, hours)
