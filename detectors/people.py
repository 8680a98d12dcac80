"""Who is who, for detectors: staff departments and customers' own ids, by username."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.directory import load_customers, load_staff
from monitor.settings import Settings, shipped_file


@dataclass(frozen=True, slots=True)
class People:
    departments: Mapping[str, str] = field(default_factory=dict)  # staff username -> department
    customers: Mapping[str, str] = field(default_factory=dict)  # customer username -> id


def people_from(settings: Settings) -> People:
    """From the configured directories; a missing file leaves that side empty."""
    staff_path = shipped_file(settings.directories.staff)
    customer_path = shipped_file(settings.directories.customers)
    departments = (
        {n: s.department for n, s in load_staff(staff_path).items()} if staff_path.exists() else {}
    )
    customers = (
        {c.username: c.customer_id for c in load_customers(customer_path).values()}
        if customer_path.exists()
        else {}
    )
    return People(departments, customers)
