"""Look-alikes: registrations imitating a customer, staff or ALS."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from detectors.base import Example, History, Window, finding
from detectors.impersonation.confusables import Names, fold, mixed_script, plain
from detectors.impersonation.referrers import arrivals
from detectors.people import Identity, People, email_domain
from monitor.events import Event
from monitor.findings import Finding, Severity

FAMILY = "impersonation"
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
WORDS = re.compile(r"\w+")
# Where a registration's fields travel in the audit log.
FIELDS = {"user.name": "username", "user.email": "email", "organization.name": "business name"}


@dataclass(frozen=True, slots=True)
class LookalikeIdentity:
    """A new account passing for someone known: a confusable copy of any known name, a near
    miss of a protected one, mixed scripts, or a business's very name at another domain."""

    people: People
    # The company's domains: a near miss registered right after arriving from a look-alike
    # of one of them is an imitation with intent.
    domains: tuple[str, ...] = ()
    id: str = "impersonation.lookalike_identity"
    family: str = FAMILY
    title: str = "Look-alike identity"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1656"
    actions: frozenset[str] = frozenset({"user-register", "email-change"})
    windows: tuple[Window, ...] = field(init=False)
    runbook: str = (
        "A new account imitates an existing customer, a staff member or ALS itself, the first "
        "step of fraud against that customer's shipments or of phishing. Hold the account, "
        "call the imitated customer on the number on file, and do not release cargo to it."
    )
    names: Names = field(init=False)  # every known name: confusable copies alert
    protected: Names = field(init=False)  # protected names: near misses alert too
    owners: dict[str, Identity] = field(init=False)
    businesses: dict[str, Identity] = field(init=False)  # by business_key

    def __post_init__(self) -> None:
        identities = self.people.identities
        owners = {identity.name: identity for identity in identities}
        near = [i.name for i in identities if i.protected]
        businesses = {business_key(i.name): i for i in identities if i.domain}
        object.__setattr__(self, "owners", owners)
        object.__setattr__(self, "names", Names(owners))
        object.__setattr__(self, "protected", Names(near))
        object.__setattr__(self, "businesses", businesses)
        windows = tuple(arrivals(self.domains, domain) for domain in self.domains)
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        found = self.check(event)
        if found is not None or event.action != "user-register" or event.source_ip is None:
            return found
        if not any(history.count(window, event.source_ip, event) for window in self.windows):
            return None
        return self.phished(event)

    def phished(self, event: Event) -> Finding | None:
        """A registration from an address that just came from a look-alike site: a name one
        letter from a customer's is no longer a coincidence of common names."""
        for label, value in candidates(event):
            owner = self.imitated(value, among=self.names)
            if owner is not None and not owns(owner, event):
                what = f"{article(label)} {label} close to {owner.owner}'s"
                phished = f"{what} after arriving from a look-alike site"
                return self.found(event, phished, (owner.customer_id,))
        return None

    def check(self, event: Event) -> Finding | None:
        """The finding for one event: look-alikes keep no history."""
        business = event.extra.get("organization.name")
        own = business if isinstance(business, str) else ""
        for label, value in candidates(event):
            if mixed_script(value):
                return self.found(event, f"{article(label)} {label} mixing alphabets", ())
            owner = self.imitated(value, near=not (label == "email domain" and spells(value, own)))
            if owner is not None and not owns(owner, event):
                return self.found(
                    event, f"{article(label)} {label} imitating {owner.owner}", (owner.customer_id,)
                )
        copied = self.copied_business(event)
        if copied is not None:
            what = f"the business name of {copied.owner} at another e-mail domain"
            return self.found(event, what, (copied.customer_id,))
        return None

    def imitated(
        self, value: str, near: bool = True, among: Names | None = None
    ) -> Identity | None:
        """Whose name `value` passes for: any known name's skeleton, or near a protected one
        (near any of `among`, when intent is shown otherwise).

        A known name itself imitates nobody: a colleague signing up at ductan.com, whose
        domain is one letter from ducan.com's, is a customer of ductan.com.
        """
        if value in self.owners:
            return None
        close = among or self.protected
        name = self.names.copied(value) or (close.near(value) if near else None)
        return None if name is None else self.owners[name]

    def copied_business(self, event: Event) -> Identity | None:
        """The business whose very name a registration takes with another e-mail domain."""
        business, email = event.extra.get("organization.name"), event.extra.get("user.email")
        if event.action != "user-register" or not isinstance(business, str) or not business:
            return None
        known = self.businesses.get(business_key(business))
        domain = email_domain(email) if isinstance(email, str) else ""
        if known is None or owns(known, event) or not domain or domain == known.domain:
            return None
        return known

    def found(self, event: Event, what: str, customers: tuple[str | None, ...]) -> Finding:
        return finding(
            self,
            event,
            title=f"{event.user} registered {what}",
            key=f"user={event.user}",
            entities={
                "user": str(event.user),
                **({"ip": event.source_ip} if event.source_ip else {}),
            },
            customers=[c for c in customers if c],
        )

    def examples(self) -> tuple[Example, ...]:

        return (
            Example(
                "a business name one letter from C-1001's",
                (
                    registration(
                        "cust-9001", "hn.transport@example.net", "Công ty TNHH Vận tải Hả 1"
                    ),
                ),
                fires=True,
            ),
            Example(
                "an email at a Cyrillic 'а' copy of als.com.vn",
                (registration("cust-9002", "support@аls.com.vn", "Sao Mai Trading"),),
                fires=True,
            ),
            Example(
                "C-1002's business name at another e-mail domain",
                (
                    registration(
                        "cust-9004", "ketoan.vt2@gmail.com", "Công ty TNHH Vận tải Phương 2"
                    ),
                ),
                fires=True,
            ),
            Example(
                "a staff username with a Cyrillic 'о'",
                (registration("hоa.nguyen", "hoa.ng@gmail.com", ""),),
                fires=True,
            ),
            Example(
                "a new customer with a name of its own",
                (registration("cust-9003", "info@saomai-trading.vn", "Sao Mai Trading"),),
                fires=False,
            ),
            Example(
                "a customer whose name is one letter from a staff member's (thu.vo, thu.do)",
                (registration("thu.do", "thu.do@gmail.com", ""),),
                fires=False,
            ),
            Example(
                "a colleague at C-1002 signing up at its own domain",
                (registration("cust-9005", "ketoan@example.com", "Công ty TNHH Vận tải Phương 2"),),
                fires=False,
            ),
        )


def article(label: str) -> str:
    """'an' before an email, 'a' before a username (a 'u' said 'you')."""
    return "an" if label[0] in "aeio" else "a"


def owns(identity: Identity, event: Event) -> bool:
    """The event's own customer registering again, or changing its own address."""
    return identity.customer_id is not None and identity.customer_id == event.customer_id


def spells(domain: str, business: str) -> bool:
    """The domain spells the sign-up's own business name (binhtan.vn, Công ty CP Bình Tân).

    Such a domain one letter from another business's (binhvan.vn) is a firm of another
    name, not a copy: an imitator copies the name as well, and that name alerts.
    """
    words = WORDS.findall(plain(fold(business)))
    return len(words) >= 2 and "".join(words[-2:]) in domain.partition(".")[0]


def business_key(name: str) -> str:
    """A business name without case, punctuation or spacing: what a reader compares."""
    return " ".join(WORDS.findall(fold(name)))


def candidates(event: Event) -> list[tuple[str, str]]:
    """The names a registration chooses (an email change, only the email), and its domain."""
    flat = (
        {"user.name": event.user, **event.extra}
        if event.action == "user-register"
        else dict(event.extra)
    )
    found = [
        (label, v) for key, label in FIELDS.items() if isinstance(v := flat.get(key), str) and v
    ]
    email = flat.get("user.email")
    if isinstance(email, str) and "@" in email:
        found.append(("email domain", email.rpartition("@")[2]))
    return found


def registration(user: str, email: str, business: str = "") -> Event:
    """A sign-up as the website's audit log writes it (examples and the benchmark)."""
    extra = {"user.email": email, **({"organization.name": business} if business else {})}
    return Event(
        timestamp=T0,
        action="user-register",
        user=user,
        source_ip="198.51.100.23",
        file_path="/var/log/als/audit.json",
        offset=0,
        extra=extra,
    )
