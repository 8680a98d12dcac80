"""Who is who, for detectors: staff departments, customers' own ids, names worth imitating."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.detector_settings import LookalikeSettings
from monitor.directory import Customer, StaffMember
from monitor.directory_files import open_customers, open_staff
from monitor.settings import Settings

# Mailbox providers anyone may use: a business's address there is not its own domain.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "yahoo.com",
        "yahoo.com.vn",
        "hotmail.com",
        "outlook.com",
        "outlook.com.vn",
        "live.com",
        "icloud.com",
        "ymail.com",
    }
)
# Staff usernames shorter than this alert only on confusable copies: made of a Vietnamese
# name, they are one edit from customers' own (minh.pham: binh.pham, minh_pham; tuan.do:
# tuan.vo, tuan.ho).
STAFF_NEAR_SHORTEST = 12

# A business domain named by fewer letters than this is an acronym (apl.com.vn, for An Phát
# Logistics): one letter from hundreds of other firms' own, it alerts only on a copy.
DOMAIN_NEAR_SHORTEST = 5


@dataclass(frozen=True, slots=True)
class Identity:
    """A name someone may imitate, whose it is, and the customer it belongs to (if one).

    A protected name (the company's, staff's, a business's name or own domain) alerts on near
    misses too; any other name only on a confusable copy. A business name carries its
    e-mail domain: the same name at another domain is a copy.
    """

    name: str
    owner: str  # "customer C-1001", "staff", "the company": safe to show
    customer_id: str | None = None
    protected: bool = False
    domain: str = ""


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
    return people_of(staff, customers, lookalike)


def people_of(
    staff: Mapping[str, StaffMember], customers: Mapping[str, Customer], company: LookalikeSettings
) -> People:
    """From directories already read, and the company's own names and domains."""
    return People(
        departments={name: member.department for name, member in staff.items()},
        customers={c.username: c.customer_id for c in customers.values()},
        identities=(
            *company_identities(company),
            *(i for member in staff.values() for i in staff_identities(member)),
            *(i for customer in customers.values() for i in customer_identities(customer)),
        ),
    )


def company_identities(company: LookalikeSettings) -> tuple[Identity, ...]:
    """The company's names, which carry its first domain as a business's do, and its domains."""
    domain = company.domains[0] if company.domains else ""
    return (
        *(Identity(n, "the company", protected=True, domain=domain) for n in company.names),
        *(Identity(d, "the company", protected=True) for d in company.domains),
    )


def staff_identities(member: StaffMember) -> tuple[Identity, ...]:
    """A staff address is protected, and a username long enough not to be a common name's."""
    return tuple(
        Identity(name, "staff", protected=protected)
        for name, protected in (
            (member.username, len(member.username) >= STAFF_NEAR_SHORTEST),
            (member.email, True),
            (member.full_name, False),  # many customers share it
        )
        if name
    )


def customer_identities(customer: Customer) -> tuple[Identity, ...]:
    """A person's username and e-mail; a business's name and own domain are protected too."""
    owner, id_ = f"customer {customer.customer_id}", customer.customer_id
    found = [Identity(n, owner, id_) for n in (customer.username, customer.email) if n]
    if customer.business_name:
        domain = email_domain(customer.email)
        found.append(Identity(customer.business_name, owner, id_, protected=True, domain=domain))
        if domain and domain not in FREE_MAIL:
            protected = len(domain.partition(".")[0]) >= DOMAIN_NEAR_SHORTEST
            found.append(Identity(domain, owner, id_, protected=protected))
    return tuple(found)


def email_domain(email: str) -> str:
    """The folded part after the last @, or nothing."""
    return email.rpartition("@")[2].strip().casefold() if "@" in email else ""
