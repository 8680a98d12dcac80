"""The configured directories: an error at start names the key; later, the last good copy."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from monitor.directory import (
    Customers,
    DirectoryError,
    Staff,
    department_key,
    read_customers,
    read_staff,
    warn_bad_rows,
)
from monitor.settings import ConfigError, Settings, shipped_file

log = logging.getLogger(__name__)

T = TypeVar("T", Staff, Customers)

# What each directory feeds: what is lost while it cannot be read.
STAFF_FEEDS = (
    "bulk_access.unauthorized_department",
    "impersonation.staff_impersonation (departments)",
    "impersonation.lookalike_identity (staff names)",
    "on-call paging without a rotation",
)
CUSTOMER_FEEDS = (
    "impersonation.cross_account_access",
    "impersonation.lookalike_identity (customer names)",
    "the breach playbook's customer notices",
)


def open_staff(settings: Settings) -> Staff:
    """The staff directory at start: a file that cannot be used is a configuration error."""
    path = shipped_file(settings.directories.staff)
    return opened(path, "directories.staff", read_staff)


def open_customers(settings: Settings) -> Customers:
    """The customer directory at start: a file that cannot be used is a configuration error."""
    path = shipped_file(settings.directories.customers)
    return opened(path, "directories.customers", read_customers)


def opened(path: Path, key: str, read: Callable[[Path], T]) -> T:
    try:
        found = read(path)
    except DirectoryError as error:
        raise ConfigError(f"{key}: {error}") from None
    warn_bad_rows(path, found.bad_rows)
    return found


def check_directories(settings: Settings) -> None:
    """Raise ConfigError, naming the key and the file, if either directory is unusable."""
    open_staff(settings)
    open_customers(settings)


class LastGood(Generic[T]):
    """A directory file read again when it changes; a failed read keeps the last good copy."""

    def __init__(self, path: Path, read: Callable[[Path], T]) -> None:
        self.path = path
        self.read_file: Callable[[Path], T] = read
        self.stamp: tuple[int, int] | None = None
        self.copy: T | None = None

    def read(self) -> T:
        """The file as it is now, or as it was when last readable (with a warning)."""
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self.copy is None or stamp != self.stamp:
                self.copy, self.stamp = self.read_file(self.path), stamp
                warn_bad_rows(self.path, self.copy.bad_rows)
            return self.copy
        except DirectoryError as error:
            problem = str(error)
        except OSError as error:
            problem = f"{self.path}: cannot read: {error.strerror}"
        if self.copy is None:
            raise DirectoryError(problem)
        log.warning("%s; keeping the copy read before", problem)
        return self.copy


def directory_status(settings: Settings) -> list[dict[str, Any]]:
    """For `vigil status`: each directory, what it holds, the rows it skipped, and what is
    lost while it cannot be read; the staff's departments the allow-list does not know."""
    staff_path = shipped_file(settings.directories.staff)
    customer_path = shipped_file(settings.directories.customers)
    report = []
    for key, path, feeds in (
        ("directories.staff", staff_path, STAFF_FEEDS),
        ("directories.customers", customer_path, CUSTOMER_FEEDS),
    ):
        entry: dict[str, Any] = {"key": key, "path": str(path)}
        try:
            found: Staff | Customers = (
                read_staff(path) if key == "directories.staff" else read_customers(path)
            )
        except DirectoryError as error:
            report.append({**entry, "error": str(error), "disabled": list(feeds)})
            continue
        entries = found.members if isinstance(found, Staff) else found.customers
        entry["entries"] = len(entries)
        entry["bad_rows"] = [{"line": b.line, "reason": b.reason} for b in found.bad_rows]
        if isinstance(found, Staff):
            entry["unknown_departments"] = unknown_departments(found, settings)
        report.append(entry)
    return report


def unknown_departments(staff: Staff, settings: Settings) -> dict[str, int]:
    """Departments (as the directory spells them) outside the allow-list, with staff counts."""
    allowed = {department_key(name) for name in settings.detectors.allowed_departments}
    counts = Counter(
        member.department
        for member in staff.members.values()
        if department_key(member.department) not in allowed
    )
    return dict(sorted(counts.items()))
