"""Arrivals from look-alike domains: which own domain a referrer imitates, and by address."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from detectors.base import Window
from detectors.impersonation.confusables import Names, skeleton
from monitor.events import Event


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


# Events that ask whether their address just came from a look-alike (never members).
ASKING = frozenset({"user-login", "user-register"})
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
    """Arrivals from look-alikes of `domain` by address; logins and registrations meet it to
    ask, never join it
    (other requests do not touch it: one Redis key per arrival's address, not per request)."""

    def group(event: Event) -> str | None:
        if event.action in ASKING:
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
