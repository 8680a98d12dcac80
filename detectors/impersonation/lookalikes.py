"""Look-alikes: registrations imitating a customer, staff or ALS, and referrers imitating ALS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from detectors.base import Example, History, Window, extension, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.impersonation.confusables import Names, mixed_script, skeleton
from detectors.people import Identity, People
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity

FAMILY = "impersonation"
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
# Where a registration's fields travel in the audit log.
FIELDS = {"user.name": "username", "user.email": "email", "organization.name": "business name"}


@dataclass(frozen=True, slots=True)
class LookalikeIdentity:
    """A new account whose name, email or business name imitates someone known, or mixes scripts."""

    people: People
    id: str = "impersonation.lookalike_identity"
    family: str = FAMILY
    title: str = "Look-alike identity"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1656"
    actions: frozenset[str] = frozenset({"user-register", "email-change"})
    windows: tuple[Window, ...] = ()
    runbook: str = (
        "A new account imitates an existing customer, a staff member or ALS itself, the first "
        "step of fraud against that customer's shipments or of phishing. Hold the account, "
        "call the imitated customer on the number on file, and do not release cargo to it."
    )
    names: Names = field(init=False)
    owners: dict[str, Identity] = field(init=False)

    def __post_init__(self) -> None:
        owners = {identity.name: identity for identity in self.people.identities}
        object.__setattr__(self, "owners", owners)
        object.__setattr__(self, "names", Names(owners))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        for label, value in candidates(event):
            if mixed_script(value):
                return self.found(event, f"a {label} mixing alphabets", ())
            imitated = self.names.imitated(value)
            if imitated is not None:
                owner = self.owners[imitated]
                if owner.customer_id is None or owner.customer_id != event.customer_id:
                    return self.found(
                        event, f"a {label} imitating {owner.owner}", (owner.customer_id,)
                    )
        return None

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
        def register(user: str, email: str, business: str) -> Event:
            return Event(
                timestamp=T0,
                action="user-register",
                user=user,
                source_ip="198.51.100.23",
                file_path="/var/log/als/audit.json",
                offset=0,
                extra={"user.email": email, "organization.name": business},
            )

        return (
            Example(
                "a business name one letter from C-1001's",
                (register("cust-9001", "hn.transport@example.net", "Công ty TNHH Vận tải Hả 1"),),
                fires=True,
            ),
            Example(
                "an email at a Cyrillic 'а' copy of als.com.vn",
                (register("cust-9002", "support@аls.com.vn", "Sao Mai Trading"),),
                fires=True,
            ),
            Example(
                "a new customer with a name of its own",
                (register("cust-9003", "info@saomai-trading.vn", "Sao Mai Trading"),),
                fires=False,
            ),
        )


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


@dataclass(frozen=True, slots=True)
class PhishingReferrer:
    """Visitors arriving from a domain that imitates ALS's own: a phishing page links here.
    The incident (one per own domain imitated) names the accounts that log in from an address
    soon after it arrived from a look-alike: their passwords may have gone to the copy."""

    domains: tuple[str, ...]
    customers: Customers = NO_CUSTOMERS
    id: str = "impersonation.phishing_referrer"
    family: str = FAMILY
    title: str = "Phishing referrer"
    severity: Severity = Severity.HIGH
    mitre: str = "T1566.002"
    actions: frozenset[str] = frozenset({"http-request", "user-login"})
    windows: tuple[Window, ...] = field(init=False)
    runbook: str = (
        "Someone runs a copy of the website at a look-alike domain and links back to us, "
        "usually to collect customers' passwords. Ask the registrar and hosting provider to "
        "take it down, warn customers, and watch for logins from new devices."
    )

    def __post_init__(self) -> None:
        windows = tuple(arrivals(self.domains, domain) for domain in self.domains)
        object.__setattr__(self, "windows", windows)

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if event.action == "user-login":
            return self.logged_in(event, history)
        found = lookalike_referrer(event, self.domains)
        if found is None:
            return None
        host, imitated, referrer = found
        return finding(
            self,
            event,
            title=f"Visitors arrive from {host}, a look-alike of {imitated}",
            key=f"imitating={imitated}",
            entities={"domain": host, **({"ip": event.source_ip} if event.source_ip else {})},
            evidence=(event.reference() | {"http.request.referrer": referrer},),
        )

    def logged_in(self, event: Event, history: History) -> Finding | None:
        """A customer's login from an address that just came from a look-alike joins its
        incident (an extension: a login alone opens none)."""
        if event.outcome is not Outcome.SUCCESS or event.source_ip is None:
            return None
        customer = self.customers.of_event(event)
        for domain, window in zip(self.domains, self.windows, strict=True):
            if customer and history.count(window, event.source_ip, event):
                key = f"imitating={domain}"
                return extension(self, event, key=key, entities={}, customers=(customer,))
        return None

    def examples(self) -> tuple[Example, ...]:
        def visit(referrer: str) -> Event:
            return Event(
                timestamp=T0,
                action="http-request",
                source_ip="198.51.100.40",
                url_path="/login",
                file_path="/var/log/nginx/access.log",
                offset=0,
                extra={"http.request.referrer": referrer},
            )

        return (
            Example("from als-com.vn (hyphenation)", (visit("https://als-com.vn/login"),), True),
            Example("from a1s.com.vn (homoglyph)", (visit("http://a1s.com.vn/"),), True),
            Example("from alss.com.vn (repetition)", (visit("https://www.alss.com.vn/"),), True),
            Example("from als.com (TLD swap)", (visit("https://als.com/track"),), True),
            Example("from our own site", (visit("https://www.als.com.vn/tracking"),), False),
            Example("from a search engine", (visit("https://www.google.com/"),), False),
        )


@lru_cache(maxsize=4096)
def imitation_of(host: str, domains: tuple[str, ...]) -> str | None:
    """The own domain `host` imitates: omission, insertion, replacement, transposition,
    repetition, hyphenation, homoglyph or another top-level domain."""
    if not host:
        return None
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return None
    for domain in domains:
        label, _, _ = domain.partition(".")
        if (
            skeleton(host) == skeleton(domain)
            or host.replace("-", ".") == domain
            or host.replace("-", "") == domain.replace(".", "", 1)
            or host.partition(".")[0] == label
            and len(label) >= 3
            or Names((domain,)).imitated(host) == domain
        ):
            return domain
    return None


# How long after arriving from a look-alike a login counts as the phished visitor's.
ARRIVAL_SPAN = timedelta(minutes=30)


def lookalike_referrer(event: Event, domains: tuple[str, ...]) -> tuple[str, str, str] | None:
    """The look-alike host a request came from, the own domain it imitates, the referrer."""
    referrer = event.extra.get("http.request.referrer")
    if not isinstance(referrer, str) or "//" not in referrer:
        return None
    host = referrer_host(referrer)
    imitated = imitation_of(host, domains)
    return None if imitated is None else (host, imitated, referrer)


@lru_cache(maxsize=4096)
def referrer_host(referrer: str) -> str:
    return (urlsplit(referrer).hostname or "").removeprefix("www.")


def arrivals(domains: tuple[str, ...], domain: str) -> Window:
    """Arrivals from look-alikes of `domain` by address; logins meet it to ask, never join it
    (other requests do not touch it: one Redis key per arrival's address, not per request)."""

    def group(event: Event) -> str | None:
        if event.action == "user-login":
            return event.source_ip
        found = lookalike_referrer(event, domains)
        return event.source_ip if found and found[1] == domain else None

    return Window(
        f"lookalike_arrivals_{domain}",
        "source_ip",
        ARRIVAL_SPAN,
        lambda e: e.action == "http-request",
        cap=4,
        key=group,
    )
