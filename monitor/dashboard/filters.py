"""The incident filters of a page or API query string, checked: a bad value is a 400."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.findings import FAMILIES, Severity
from monitor.incidents import Status
from monitor.incidents.query import BadSelection, Order, Selection

# Ten years: enough for "any time range", small enough for datetime arithmetic.
MAX_HOURS = 24 * 366 * 10
MAX_TEXT = 200
NAMES: tuple[str, ...] = ("status", "severity", "family", "detector", "entity", "text")
NAMES += ("hours", "since", "until", "order", "group")


@dataclass(frozen=True, slots=True)
class Filters:
    """What the person asked for, as they wrote it (to refill the form), and what it selects."""

    given: Mapping[str, str]
    selection: Selection
    group: str = ""


def choices(values: Sequence[str], allowed: Sequence[str], name: str) -> tuple[str, ...]:
    picked = tuple(dict.fromkeys(v for value in values for v in value.split(",") if v))
    wrong = [value for value in picked if value not in allowed]
    if wrong:
        raise BadSelection(f"{name} must be one of {', '.join(allowed)}")
    return picked


def moment(text: str, name: str) -> datetime | None:
    """A date (2026-03-01) or a time (2026-03-01T02:00, UTC unless it names its zone)."""
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise BadSelection(f"{name} must be a date or an ISO 8601 time") from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def hours_ago(text: str, now: datetime) -> datetime | None:
    if not text:
        return None
    # isdigit() alone admits '¹' and other digits int() refuses: ASCII digits only.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_HOURS:
        raise BadSelection(f"hours must be a whole number from 1 to {MAX_HOURS}")
    return now - timedelta(hours=int(text))


def read_filters(query: Mapping[str, Sequence[str]], now: datetime) -> Filters:
    """The filters of a query string given as lists of values (a name may repeat)."""

    def one(name: str) -> str:
        values = query.get(name) or [""]
        if len(values[0]) > MAX_TEXT:
            raise BadSelection(f"{name} is longer than {MAX_TEXT} characters")
        return values[0].strip()

    given = {name: ",".join(query.get(name) or []) for name in NAMES}
    order = one("order") or "newest"
    if order not in set(Order):
        raise BadSelection(f"order must be one of {', '.join(Order)}")
    group = one("group")
    if group not in ("", "detector"):
        raise BadSelection("group must be detector")
    since = max(
        (m for m in (hours_ago(one("hours"), now), moment(one("since"), "since")) if m),
        default=None,
    )
    selection = Selection(
        statuses=choices(query.get("status") or [], list(Status), "status"),
        severities=choices(query.get("severity") or [], list(Severity), "severity"),
        families=choices(query.get("family") or [], FAMILIES, "family"),
        detectors=tuple(d for d in (query.get("detector") or []) if d)[:20],
        entity=one("entity"),
        text=one("text"),
        since=since,
        until=moment(one("until"), "until"),
        order=Order(order),
    )
    return Filters(given, selection, group)
