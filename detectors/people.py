"""Who is who, for detectors: staff departments, customers' own ids, names worth imitating."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.directory import Customer, StaffMember
from monitor.directory_files import open_customers, open_staff
from monitor.settings import Settings


@dataclass(frozen=True, slots=True)
class Identity:
    """A name someone may imitate, whose it is, and the customer it belongs to (if one)."""

    name: str
    owner: str  # "customer C-1001", "staff", "the company": safe to show
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class People:
    departments: Mapping[str, str] = field(default_factory=dict)  # staff username -> department
    customers: Mapping[str, str] = field(default_factory=dict)  # customer username -> id
    identities: tuple[Identity, ...] = ()


def people_from(settings: Settings) -> People:
    """From the configured directories: one that cannot be read raises ConfigError (naming
    its key and file), never leaves detection short without a word; bad rows are skipped."""
    staff = open_staff(settings).members
    customers = open_customers(settings).customers
    lookalike = settings.detectors.lookalike
    company = [Identity(n, "the company") for n in (*lookalike.names, *lookalike.domains)]
    return People(
        departments={name: member.department for name, member in staff.items()},
        customers={c.username: c.customer_id for c in customers.values()},
        identities=(
            *company,
            *(i for member in staff.values() for i in staff_identities(member)),
            *(i for customer in customers.values() for i in customer_identities(customer)),
        ),
    )


def staff_identities(member: StaffMember) -> tuple[Identity, ...]:
    names = (member.username, member.full_name, member.email)
    return tuple(Identity(n, "staff") for n in names if n)


def customer_identities(customer: Customer) -> tuple[Identity, ...]:
    owner = f"customer {customer.customer_id}"
    names = (customer.username, customer.business_name, customer.email)
    return tuple(Identity(n, owner, customer.customer_id) for n in names if n)
