"""Who was affected and what of theirs: customers from the evidence, joined with the directory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from monitor.directory import Customer
from monitor.events import parse_time
from monitor.incidents import Incident


class Category(StrEnum):
    """Policy section 1.2 (what customers register) and 1.3 (server logs)."""

    USERNAME = "username"
    PASSWORD = "password"
    BUSINESS_NAME = "business_name"
    FULL_NAME = "full_name"
    PHONE = "phone"
    EMAIL = "email"
    GENDER = "gender"
    DATE_OF_BIRTH = "date_of_birth"
    ADDRESS = "address"
    SERVER_LOGS = "server_logs"


PROFILE = frozenset(Category) - {Category.SERVER_LOGS}
LABELS = {
    Category.USERNAME: ("Tên đăng nhập", "Username"),
    Category.PASSWORD: ("Mật khẩu (đã mã hóa)", "Password (hashed)"),
    Category.BUSINESS_NAME: ("Tên doanh nghiệp", "Business name"),
    Category.FULL_NAME: ("Họ và tên", "Full name"),
    Category.PHONE: ("Số điện thoại", "Phone number"),
    Category.EMAIL: ("Địa chỉ email", "Email address"),
    Category.GENDER: ("Giới tính", "Gender"),
    Category.DATE_OF_BIRTH: ("Ngày sinh", "Date of birth"),
    Category.ADDRESS: ("Địa chỉ", "Address"),
    Category.SERVER_LOGS: (
        "Nhật ký máy chủ (truy vấn, địa chỉ IP, trình duyệt)",
        "Server logs (searches, IP address, browser)",
    ),
}


@dataclass(frozen=True, slots=True)
class Affected:
    """One affected customer, what of theirs was exposed, and where a notice may go."""

    customer: Customer
    categories: frozenset[Category]
    address: str | None  # None: contact by phone or post, and the public notice
    problem: str = ""  # why there is no address, when the directory row is at fault


def categories_of(incident: Incident, customer_id: str) -> frozenset[Category]:
    """What an incident exposed of one customer, as far as its evidence shows.

    An export names its columns (`labels.columns`) and exposes those; anything else (a
    taken-over account, a record read) exposes the whole profile and its server logs.
    """
    columns: set[str] = set()
    for reference in incident.evidence:
        named = reference.get("labels.columns")
        if reference.get("labels.customer_id") in (None, customer_id) and named:
            columns.update(str(c) for c in (named if isinstance(named, list) else [named]))
    known = {c for c in columns if c in Category.__members__.values()}
    return frozenset(Category(c) for c in known) if known else PROFILE | {Category.SERVER_LOGS}


def customer_ids(incident: Incident) -> set[str]:
    found = set(incident.affected_customers)
    found.update(
        str(r["labels.customer_id"]) for r in incident.evidence if r.get("labels.customer_id")
    )
    return found


def safe_address(customer: Customer, occurred_at: datetime) -> tuple[str | None, str]:
    """The last address known before the attack, never one the attacker may have set; or
    None and why, when the directory row cannot tell (a change date that does not parse)."""
    if customer.email_changed_at:
        try:
            changed = parse_time(customer.email_changed_at)
        except (ValueError, OverflowError):
            return None, "email_changed_at in the customer directory is not a date"
        if changed >= occurred_at:
            return customer.previous_email or None, ""
    return customer.email or None, ""


def affected(
    incidents: Iterable[Incident], directory: Mapping[str, Customer], occurred_at: datetime
) -> tuple[list[Affected], list[str]]:
    """Affected customers with their categories; and ids the directory does not know."""
    exposed: dict[str, set[Category]] = {}
    for incident in incidents:
        for customer_id in customer_ids(incident):
            exposed.setdefault(customer_id, set()).update(categories_of(incident, customer_id))
    found, unknown = [], []
    for customer_id in sorted(exposed):
        customer = directory.get(customer_id)
        if customer is None:
            unknown.append(customer_id)
            continue
        address, problem = safe_address(customer, occurred_at)
        found.append(Affected(customer, frozenset(exposed[customer_id]), address, problem))
    return found, unknown
