"""Incidents against ground truth: which are right, which attacks were found, whom they name."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

SLACK = timedelta(minutes=30)
Row = tuple[str, int, int, float, float, float | None]


def matches(incident: dict[str, Any], attack: dict[str, Any]) -> bool:
    if incident["family"] != attack["family"]:
        return False
    if not set(incident["entities"].values()) & set(attack["entities"].values()):
        return False
    first = datetime.fromisoformat(incident["first_seen"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(incident["last_seen"].replace("Z", "+00:00"))
    start, end = datetime.fromisoformat(attack["start"]), datetime.fromisoformat(attack["end"])
    return first <= end + SLACK and last >= start - SLACK


def agreement(incidents: list[dict[str, Any]], attacks: list[dict[str, Any]]) -> float | None:
    """Share of incidents matching a scored attack of their own detector whose affected
    customers equal that attack's; None when no incident matches one."""
    scored = [a for a in attacks if a.get("customers") is not None]
    verdicts = []
    for incident in incidents:
        mine = [a for a in scored if a["detector"] == incident["detector"] and matches(incident, a)]
        if mine:
            named = set(incident.get("affected_customers", ()))
            verdicts.append(any(named == set(a["customers"]) for a in mine))
    return sum(verdicts) / len(verdicts) if verdicts else None


def table(incidents: list[dict[str, Any]], truth: list[dict[str, Any]]) -> list[Row]:
    """Rows of (name, attacks, incidents, precision, recall, affected-customer agreement):
    detectors, then families."""
    rows = []
    for level in ("detector", "family"):
        names = sorted({a[level] for a in truth} | {i[level] for i in incidents})
        for name in names:
            mine = [i for i in incidents if i[level] == name]
            attacks = [a for a in truth if a[level] == name]
            right = [i for i in mine if any(matches(i, a) for a in truth)]
            found = [a for a in attacks if any(matches(i, a) for i in mine)]
            precision = len(right) / len(mine) if mine else 1.0
            recall = len(found) / len(attacks) if attacks else 1.0
            rows.append((name, len(attacks), len(mine), precision, recall, agreement(mine, truth)))
    return rows
