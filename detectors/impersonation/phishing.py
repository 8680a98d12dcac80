"""Phishing referrers: visitors arriving from a domain that imitates ALS's own."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.base import Example, History, Window, extension, finding
from detectors.customers import NO_CUSTOMERS, Customers
from detectors.impersonation.lookalikes import FAMILY, T0
from detectors.impersonation.referrers import arrivals, lookalike_referrer
from monitor.events import Event, Outcome
from monitor.findings import Finding, Severity


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
