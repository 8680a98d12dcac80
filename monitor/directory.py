"""The staff and customer directories: CSV files named in config, read by several floors.

A file that cannot be read, or lacks a column, is an error; a bad row is skipped and
reported with its line number, so that nobody's detection is lost without a word.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
STAFF_COLUMNS = ("username", "full_name", "department", "email")
CUSTOMER_COLUMNS = ("customer_id",)


class DirectoryError(Exception):
    """A directory file that cannot be used at all: the message names the file."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row skipped, where it is and why (never its content: it may be personal data)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class StaffMember:
    username: str
    full_name: str
    department: str
    email: str
    phone: str
    on_call: bool


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


@dataclass(frozen=True, slots=True)
class Staff:
    """The staff directory as read: members by username, and the rows it skipped."""

    members: Mapping[str, StaffMember]
    bad_rows: tuple[BadRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Customers:
    """The customer directory as read: customers by id, and the rows it skipped."""

    customers: Mapping[str, Customer]
    bad_rows: tuple[BadRow, ...] = ()


def department_key(name: str) -> str:
    """A department as compared: case, `-`, `_` and spaces do not matter (Customer Care)."""
    return "_".join(name.replace("-", " ").replace("_", " ").casefold().split())


def staff_member(row: dict[str, str]) -> StaffMember:
    return StaffMember(
        row["username"].strip(),
        row["full_name"],
        row["department"].strip(),
        row["email"],
        row.get("phone") or "",
        (row.get("on_call") or "").strip().lower() in ("1", "yes", "true"),
    )


def customer(row: dict[str, str]) -> Customer:
    return Customer(
        row["customer_id"].strip(),
        row.get("username") or "",
        row.get("full_name") or "",
        row.get("business_name") or "",
        row.get("email") or "",
        row.get("phone") or "",
        (row.get("language") or "vi").strip().lower(),
        row.get("previous_email") or "",
        row.get("email_changed_at") or "",
    )


def read_staff(path: Path) -> Staff:
    """The staff directory (CSV: username, full_name, department, email, phone, on_call)."""
    members: dict[str, StaffMember] = {}
    bad = list(read_rows(path, STAFF_COLUMNS, ("username", "department"), staff_member, members))
    return Staff(members, tuple(bad))


def read_customers(path: Path) -> Customers:
    """The customer directory (CSV: customer_id, username, full_name, business_name, ...)."""
    found: dict[str, Customer] = {}
    bad = list(read_rows(path, CUSTOMER_COLUMNS, ("customer_id",), customer, found))
    return Customers(found, tuple(bad))


def load_staff(path: Path) -> dict[str, StaffMember]:
    return dict(read_staff(path).members)


def load_customers(path: Path) -> dict[str, Customer]:
    return dict(read_customers(path).customers)


def read_rows(
    path: Path,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    build: Callable[[dict[str, str]], E],
    into: dict[str, E],
) -> Iterator[BadRow]:
    """Fill `into` by the first required column; yield each row skipped and why."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [name for name in columns if name not in header]
            if missing:
                raise DirectoryError(f"{path}: no column {', '.join(missing)} in the header")
            first: dict[str, int] = {}
            for row in reader:
                line = reader.line_num
                reason = row_problem(row, len(header), required, first)
                if reason:
                    yield BadRow(line, reason)
                    continue
                first[row[required[0]].strip()] = line
                into[row[required[0]].strip()] = build(row)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DirectoryError(f"{path}: cannot read: {reason}") from error


def row_problem(
    row: dict[str, str], fields: int, required: tuple[str, ...], first: dict[str, int]
) -> str:
    """Why a row cannot be used, or "" when it can."""
    extra: list[str] | None = row.get(None)  # type: ignore[call-overload]
    if extra is not None:
        return f"{fields + len(extra)} fields, the header has {fields}"
    given = sum(value is not None for value in row.values())
    if given < fields:
        return f"{given} fields, the header has {fields}"
    empty = [name for name in required if not row[name].strip()]
    if empty:
        return f"no {empty[0]}"
    key = row[required[0]].strip()
    if key in first:
        return f"{required[0]} repeated from line {first[key]} (the first is kept)"
    return ""


def warn_bad_rows(path: Path, bad_rows: tuple[BadRow, ...], shown: int = 10) -> None:
    """Each skipped row in the log (the first `shown` of them), then how many in all."""
    for bad in bad_rows[:shown]:
        log.warning("%s line %d skipped: %s", path, bad.line, bad.reason)
    if len(bad_rows) > shown:
        log.warning("%s: %d rows skipped in all (see `vigil status`)", path, len(bad_rows))
