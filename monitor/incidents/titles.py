"""An incident's title with its counts as they are now, not as they were at the crossing."""

from __future__ import annotations

from collections.abc import Callable

Phrase = Callable[[int, int], str]


def counted(number: int, noun: str, plural: str = "") -> str:
    """'1 failed login', '28 failed logins'."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def got_in(customers: int) -> str:
    if customers == 0:
        return "no customer account logged in"
    return f"{counted(customers, 'customer account')} logged in"


def guessed(events: int, customers: int) -> str:
    return f"{counted(events, 'login attempt')}, {got_in(customers)}"


# Per detector, what its events and customers are, in words; a detector not listed has a
# title that holds no count (or a count of what happened at the crossing, which stays true).
PHRASES: dict[str, Phrase] = {
    "account_takeover.brute_force": lambda n, _: counted(n, "failed login"),
    "account_takeover.distributed_guessing": lambda n, _: counted(n, "failed login"),
    "account_takeover.credential_stuffing": guessed,
    "account_takeover.password_spray": guessed,
    "account_takeover.mfa_fatigue": lambda n, _: counted(n, "prompt"),
    "bulk_access.scraping": lambda _, c: counted(c, "customer"),
    "bulk_access.volume_anomaly": lambda _, c: counted(c, "customer"),
    "bulk_access.unauthorized_department": lambda _, c: counted(c, "customer"),
    "impersonation.staff_impersonation": lambda _, c: counted(c, "customer"),
    "impersonation.phishing_referrer": lambda n, c: f"{counted(n, 'visit')}, {got_in(c)}",
    "intrusion.http_probing": lambda n, _: counted(n, "request"),
    "intrusion.sensitive_files": lambda n, _: counted(n, "request"),
    "intrusion.injection": lambda n, _: counted(n, "request"),
    "intrusion.scanner_agent": lambda n, _: counted(n, "request"),
    "intrusion.ssh_probing": lambda n, _: counted(n, "connection"),
    "bulk_access.crawling": lambda n, _: counted(n, "request"),
}


def live_title(detector: str, title: str, events: int, customers: int) -> str:
    """`title` and, after a dash, the incident's events and customers counted so far."""
    phrase = PHRASES.get(detector)
    return f"{title} — {phrase(events, customers)}" if phrase else title
