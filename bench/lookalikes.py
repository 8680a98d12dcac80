"""Look-alike alerts over a realistic directory: ordinary sign-ups stay quiet, imitations do not.

    python -m bench.lookalikes [--customers N] [--registrations N] [--seed S]

Builds a seeded directory of Vietnamese customers (bench.vietnamese) beside the shipped staff
and ALS's own names, registers more ordinary customers (a few of them colleagues of a business
already there) and a set of planted imitations, and prints the share of ordinary sign-ups that
alert and which imitations do.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.vietnamese import directory
from detectors.impersonation.lookalikes import LookalikeIdentity, registration
from detectors.people import DOMAIN_NEAR_SHORTEST, people_of
from monitor.detector_settings import LookalikeSettings
from monitor.directory import Customer, load_staff
from monitor.events import Event
from monitor.settings import shipped_file

STAFF = Path("config/staff.csv")
ALS_SWAPPED = "Aviation Logistics Corporatoin"
ALS_NAME = "Công ty Cổ phần Logistics Hàng không"
CYRILLIC = {"a": "а", "o": "о", "e": "е", "c": "с", "C": "С", "p": "р"}


@dataclass(frozen=True, slots=True)
class Result:
    """Ordinary sign-ups, those that alerted, and each planted imitation with its outcome."""

    ordinary: int
    false_alerts: tuple[str, ...]
    caught: tuple[tuple[str, bool], ...]

    @property
    def rate(self) -> float:
        return len(self.false_alerts) / self.ordinary


def swap(text: str, table: Mapping[str, str]) -> str:
    """The text with its first character found in `table` replaced."""
    for n, char in enumerate(text):
        if char in table:
            return text[:n] + table[char] + text[n + 1 :]
    raise ValueError(text)


def ordinary(rng: random.Random, new: list[Customer], known: list[Customer]) -> list[Event]:
    """The new customers' sign-ups; one in fifty a colleague of a business already known."""
    firms = [c for c in known if c.business_name]
    events = []
    for c in new:
        if rng.random() < 0.02:
            firm = rng.choice(firms)
            domain = firm.email.rpartition("@")[2]
            events.append(registration(c.username, f"{c.username}@{domain}", firm.business_name))
        else:
            events.append(registration(c.username, c.email, c.business_name))
    return events


def label(email: str) -> str:
    """The name an address's domain starts with: anphat for info@anphat.com.vn."""
    return email.rpartition("@")[2].partition(".")[0]


def planted(rng: random.Random, known: list[Customer]) -> list[tuple[str, Event]]:
    """Imitations of ALS, its staff, a business customer and a private one.

    The imitated business has a domain of its name, not initials: a near miss of an acronym
    domain (apl.com.vn) is another firm's acronym as often as an imitation, and goes unseen.
    """
    firms = [c for c in known if c.business_name and len(label(c.email)) >= DOMAIN_NEAR_SHORTEST]
    firm = rng.choice(firms)
    person = rng.choice([c for c in known if not c.business_name and "a" in c.username])
    ell = rng.choice([c for c in known if c.username.startswith("l")])
    name, domain = firm.business_name, firm.email.rpartition("@")[2]
    stem, _, tld = domain.partition(".")
    plain_name = swap(name, {"ô": "o", "ệ": "e"})
    return [
        ("ALS domain, 1 for l: a1s.com.vn", registration("hotro.als", "hotro@a1s.com.vn")),
        ("ALS domain hyphenated: als-com.vn", registration("cskh", "cskh@als-com.vn")),
        ("ALS domain in full-width letters", registration("ho.tro", "support@ａｌｓ.com.vn")),
        ("ALS name, two letters swapped", registration("avl", "a@gmail.com", ALS_SWAPPED)),
        ("ALS's own name at a gmail address", registration("als.hn", "als.hn@gmail.com", ALS_NAME)),
        ("staff username, Cyrillic о", registration(swap("hoa.nguyen", CYRILLIC), "h@gmail.com")),
        ("staff username, 0 for o: tuan.d0", registration("tuan.d0", "tuan.d0@gmail.com")),
        ("staff email, rn for m", registration("minh.p", "minh.pharn@als.com.vn")),
        (
            "customer username, Cyrillic а",
            registration(swap(person.username, CYRILLIC), "x@gmail.com"),
        ),
        ("customer username, I for l", registration("I" + ell.username[1:], "y@gmail.com")),
        ("business name copied, gmail address", registration("kt.moi", "kt.moi@gmail.com", name)),
        (
            "business name copied with a dot, new domain",
            registration("s2", "s@mail.vn", name + "."),
        ),
        ("business name without a diacritic", registration("info2", "info@xyz.vn", plain_name)),
        ("business domain, one letter doubled", registration("i3", f"i@{stem}{stem[-1]}.{tld}")),
        ("business name, Cyrillic С", registration("info4", "info@abc.vn", swap(name, CYRILLIC))),
    ]


def run(customers: int, registrations: int, seed: int) -> Result:
    """The benchmark at the given sizes: one seed, one directory, one detector."""
    rng = random.Random(seed)
    everyone = directory(rng, customers + registrations)
    known, new = everyone[:customers], everyone[customers:]
    staff = load_staff(shipped_file(STAFF))
    detector = LookalikeIdentity(
        people_of(staff, {c.customer_id: c for c in known}, LookalikeSettings())
    )
    false_alerts = tuple(
        finding.title
        for event in ordinary(rng, new, known)
        if (finding := detector.check(event)) is not None
    )
    caught = tuple((what, detector.check(event) is not None) for what, event in planted(rng, known))
    return Result(registrations, false_alerts, caught)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--registrations", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    result = run(args.customers, args.registrations, args.seed)
    print(f"directory: {args.customers} customers, the shipped staff, ALS's names and domains")
    print(f"ordinary sign-ups: {result.ordinary}, alerting: {len(result.false_alerts)}", end="")
    print(f" ({result.rate:.2%})")
    for title in result.false_alerts:
        print(f"  false alert: {title}")
    caught = sum(hit for _, hit in result.caught)
    print(f"planted imitations caught: {caught} of {len(result.caught)}")
    for what, hit in result.caught:
        print(f"  {'caught' if hit else 'MISSED'}: {what}")


if __name__ == "__main__":
    main()
