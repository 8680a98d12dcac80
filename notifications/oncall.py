"""Who is on call, who backs them up, and when each escalation level is paged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.directory import DirectoryError, StaffMember, load_staff
from monitor.respond_settings import EscalationSettings, RotationSettings
from monitor.settings import Settings, shipped_file

log = logging.getLogger(__name__)


def staff_directory(settings: Settings) -> dict[str, StaffMember]:
    path = shipped_file(settings.directories.staff)
    try:
        return load_staff(path)
    except DirectoryError as error:
        log.warning("%s: nobody can be paged", error)
        return {}


@dataclass(frozen=True, slots=True)
class Rota:
    """The rotation in force: who is on call at a moment, and who backs them up."""

    rotation: RotationSettings
    staff: dict[str, StaffMember]

    def on_call(self, at: datetime) -> str:
        for override in self.rotation.overrides:
            if override.start <= at < override.end:
                return override.user
        members = self.rotation.members
        if not members:
            flagged = [name for name, person in self.staff.items() if person.on_call]
            return flagged[0] if flagged else ""
        return members[self.turn(at) % len(members)]

    def backup(self, at: datetime) -> str:
        """The next person in the rotation (the one who takes over at the next handover)."""
        members = self.rotation.members
        if len(members) < 2:
            flagged = [name for name, person in self.staff.items() if person.on_call]
            return flagged[1] if len(flagged) > 1 else self.on_call(at)
        return members[(self.turn(at) + 1) % len(members)]

    def turn(self, at: datetime) -> int:
        return int((at - self.rotation.start) // self.rotation.period)

    def resolve(self, target: str, at: datetime) -> str:
        """A level's target: the words `oncall` or `backup`, or a staff username."""
        if target == "oncall":
            return self.on_call(at)
        if target == "backup":
            return self.backup(at)
        return target

    def address(self, username: str) -> str | None:
        person = self.staff.get(username)
        return person.email if person else None


@dataclass(frozen=True, slots=True)
class Step:
    """One page of an escalation: when, which level and loop, whom."""

    at: datetime
    level: int
    loop: int
    targets: tuple[str, ...]


def plan(policy: EscalationSettings, start: datetime) -> list[Step]:
    """Every page an unacknowledged alert causes, in order (a pure function of the policy).

    Levels fire at `start + after`; after the last level the policy loops `loops` times,
    each loop starting one `loop_interval` after the previous one began.
    """
    steps = []
    for loop in range(policy.loops):
        loop_start = start + loop * loop_length(policy)
        for level, rule in enumerate(policy.levels):
            steps.append(Step(loop_start + rule.after, level, loop, tuple(rule.notify)))
    return steps


def loop_length(policy: EscalationSettings) -> timedelta:
    last = max((rule.after for rule in policy.levels), default=timedelta(0))
    return last + policy.loop_interval
