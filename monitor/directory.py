"""The staff and customer directories: CSV files named in config, read by several floors."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StaffMember:
    username: str
    full_name: str
    department: str
    email: str
    phone: str
    on_call: bool


def load_staff(path: Path) -> dict[str, StaffMember]:
    """The staff directory (CSV: username, full_name, department, email, phone, on_call)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["username"]: StaffMember(
                row["username"],
                row["full_name"],
                row["department"],
                row["email"],
                row.get("phone", ""),
                row.get("on_call", "").strip().lower() in ("1", "yes", "true"),
            )
            for row in csv.DictReader(handle)
        }


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    username: str
    full_name: str
    business_name: str
    email: str
    phone: str
    language: str  # vi, en, or mixed (Vietnamese first, then English)
    previous_email: str = ""
    email_changed_at: str = ""


def load_customers(path: Path) -> dict[str, Customer]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["customer_id"]: Customer(
                row["customer_id"],
                row.get("username", ""),
                row.get("full_name", ""),
                row.get("business_name", ""),
                row.get("email", ""),
                row.get("phone", ""),
                (row.get("language") or "vi").strip().lower(),
                row.get("previous_email", ""),
                row.get("email_changed_at", ""),
            )
            for row in csv.DictReader(handle)
        }
