"""The normalized event every parser produces and every detector reads (ECS names on the wire)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import msgspec

from monitor.derived import derived


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


# Event attribute -> dotted ECS name. Everything else an input carries travels in `extra`.
ECS_FIELDS: dict[str, str] = {
    "action": "event.action",
    "category": "event.category",
    "outcome": "event.outcome",
    "dataset": "event.dataset",
    "user": "user.name",
    "target_user": "user.target.name",
    "source_ip": "source.ip",
    "source_port": "source.port",
    "user_agent": "user_agent.original",
    "url_path": "url.path",
    "http_method": "http.request.method",
    "status_code": "http.response.status_code",
    "session_id": "labels.session_id",
    "customer_id": "labels.customer_id",
    "file_path": "log.file.path",
    "offset": "log.offset",
}
ATTRIBUTE_OF: dict[str, str] = {dotted: attribute for attribute, dotted in ECS_FIELDS.items()}
INT_ATTRIBUTES = frozenset({"source_port", "status_code", "offset"})


class Event(msgspec.Struct, frozen=True, dict=True, omit_defaults=True):
    """One thing that happened, as read from a log line, in one vocabulary.

    A msgspec Struct: building one per line costs less than a dataclass's __init__. Its
    fields are the stream's form; the values derived from them on first use (detectors ask
    for them several times per event) live in the instance's __dict__, which is neither
    encoded, compared nor copied by msgspec.structs.replace.
    """

    timestamp: datetime
    action: str
    outcome: Outcome = Outcome.UNKNOWN
    category: str | None = None
    dataset: str | None = None
    user: str | None = None
    target_user: str | None = None
    source_ip: str | None = None
    source_port: int | None = None
    user_agent: str | None = None
    url_path: str | None = None
    http_method: str | None = None
    status_code: int | None = None
    session_id: str | None = None
    customer_id: str | None = None
    file_path: str | None = None
    offset: int | None = None
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable identity of the line this event came from (file and offset, else time);
        the second and later attempts of one `message repeated N times` line add #N."""
        if self.file_path is not None and self.offset is not None:
            sequence = self.extra.get("event.sequence")
            line = f"{self.file_path}:{self.offset}"
            return f"{line}#{sequence}" if sequence else line
        return f"{self.timestamp.isoformat()}:{self.action}:{self.source_ip}:{self.user}"

    @property
    def order(self) -> str:
        """Sorts the events of one file in file order (ties in time are broken by it)."""
        if self.offset is None:
            return ""
        return f"{self.offset:016d}{int(self.extra.get('event.sequence', 0)):06d}"

    # Derived once: a property would run again on every use.
    @derived
    def epoch_ms(self) -> int:
        return epoch_ms(self.timestamp)

    @derived
    def mark(self) -> str:
        """Where the event stands in the order incidents count events in (see count_mark);
        several detectors' extensions of one failure each carry it."""
        return count_mark(self.epoch_ms, self.order, self.id)

    def flat(self) -> dict[str, Any]:
        """Dotted ECS names to values, empty fields left out."""
        flat: dict[str, Any] = {"@timestamp": format_time(self.timestamp)}
        for attribute, dotted in ECS_FIELDS.items():
            value = getattr(self, attribute)
            if value is not None:
                flat[dotted] = str(value) if attribute == "outcome" else value
        flat.update(self.extra)
        return flat

    def to_ecs(self) -> dict[str, Any]:
        """Nested ECS document, the public JSON shape of an event."""
        return nest(self.flat())

    def reference(self) -> dict[str, Any]:
        """The short form an incident keeps as evidence: where to find the line, and its gist."""
        reference: dict[str, Any] = {"id": self.id, "@timestamp": format_time(self.timestamp)}
        for attribute in REFERENCE_ATTRIBUTES:
            value = getattr(self, attribute)
            if value is not None:
                reference[ECS_FIELDS[attribute]] = str(value)
        return reference

    def reference_key(self) -> str:
        """The reference packed into one string (window members hold thousands of these).

        It starts with the event's place in its file, so that Redis, which orders the members
        of one millisecond by their bytes, keeps them in file order whatever the offsets'
        digit counts (five failures and a success in one second are counted in that order).
        """
        derived = self.__dict__
        key: str | None = derived.get("key")
        if key is None:
            order, ident, epoch = self.order, self.id, self.epoch_ms
            values = (
                self.action,
                self.outcome,
                self.user or "",
                self.source_ip or "",
                self.session_id or "",
                self.customer_id or "",
                self.target_user or "",
                self.user_agent or "",
                self.url_path or "",
            )
            tail = SEPARATOR.join(values)
            if tail.count(SEPARATOR) != len(values) - 1:
                # Log text may hold the separator: escaped, it cannot add forged fields.
                tail = SEPARATOR.join(unpackable(value) for value in values)
            key = derived["key"] = SEPARATOR.join((order, ident, iso(self.timestamp), tail))
            if "mark" not in derived:  # its parts are at hand: most events need both
                derived["mark"] = count_mark(epoch, order, ident)
        return key


def count_mark(epoch_ms: int, order: str, event_id: str) -> str:
    """Events sorted as text by time, then file order, then id: an incident keeps the newest
    mark it counted and counts only events past it, so an event is counted once however
    many findings show it, in constant memory."""
    return f"{epoch_ms:013d}{order}{event_id}"


def reference_mark(reference: Mapping[str, Any]) -> str:
    """The count mark of an event known by its reference (an incident's evidence)."""
    event_id = str(reference["id"])
    millis = epoch_of(str(reference["@timestamp"]))
    _, _, place = event_id.rpartition(":")
    offset, _, sequence = place.partition("#")
    if (
        not (offset + sequence).isascii()
        or not offset.isdigit()
        or (sequence and not sequence.isdigit())
    ):
        return count_mark(millis, "", event_id)
    order = f"{int(offset):016d}{int(sequence or 0):06d}"
    return count_mark(millis, order, event_id)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, in integers (a float product can land 1 ms short)."""
    return (moment - EPOCH) // ONE_MS


ISO_CACHE: dict[tuple[datetime, timedelta | None], str] = {}


def iso(moment: datetime) -> str:
    """isoformat(), remembered: log lines share their second, and references need it often.

    Keyed by the offset too: times that compare equal (one instant in two zones, or the
    hour repeated when clocks go back) write different text."""
    key = (moment, moment.utcoffset())
    text = ISO_CACHE.get(key)
    if text is None:
        if len(ISO_CACHE) > 100_000:
            ISO_CACHE.clear()
        text = ISO_CACHE[key] = moment.isoformat()
    return text


REFERENCE_ATTRIBUTES = (
    "action",
    "outcome",
    "user",
    "source_ip",
    "session_id",
    "customer_id",
    "target_user",
    "user_agent",
    "url_path",
)
SEPARATOR = "\x1f"  # ASCII unit separator: never in a parsed field that matters here


def unpackable(value: str) -> str:
    return value.replace(SEPARATOR, "\\x1f") if SEPARATOR in value else value


def reference_from_key(key: str | bytes) -> dict[str, Any]:
    text = key.decode() if isinstance(key, bytes) else key
    _order, event_id, moment, *values = text.split(SEPARATOR)
    reference: dict[str, Any] = {"id": event_id, "@timestamp": stamp(moment)}
    # Not strict: a key written before an attribute was added simply lacks it.
    for attribute, value in zip(REFERENCE_ATTRIBUTES, values, strict=False):
        if value:
            reference[ECS_FIELDS[attribute]] = value
    return reference


def event_from_flat(flat: Mapping[str, Any]) -> Event:
    """Rebuild an event from dotted ECS names (the stream form, or a flattened ECS line)."""
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for dotted, value in flat.items():
        attribute = ATTRIBUTE_OF.get(dotted)
        if attribute is None:
            if dotted != "@timestamp":
                extra[dotted] = value
        elif value is not None:
            known[attribute] = int(value) if attribute in INT_ATTRIBUTES else value
    fields: dict[str, Any] = {
        name: value if name in INT_ATTRIBUTES else str(value) for name, value in known.items()
    }
    return Event(
        timestamp=parse_time(str(flat["@timestamp"])),
        action=str(fields.pop("action", "unknown")),
        outcome=Outcome(fields.pop("outcome", "unknown")),
        extra=extra,
        **fields,
    )


# Evidence of one second shares its time: parsed and formatted once.
@lru_cache(maxsize=65536)
def stamp(text: str) -> str:
    """An ISO 8601 time as `@timestamp` (format_time of parse_time)."""
    return format_time(parse_time(text))


@lru_cache(maxsize=65536)
def epoch_of(text: str) -> int:
    """An ISO 8601 time in epoch milliseconds."""
    return epoch_ms(parse_time(text))


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as ECS writes `@timestamp`."""
    if moment.tzinfo is UTC:
        return format_utc(moment)
    return format_utc(moment.astimezone(UTC))


# Remembered for UTC times only: times of a local zone that compare equal can differ in
# `fold` (the hour repeated when clocks go back) and so format an hour apart.
@lru_cache(maxsize=4096)  # a scanner's incidents, extended every batch, share their seconds
def format_utc(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_time(text: str) -> datetime:
    """ISO 8601 to an aware UTC datetime; a time without zone is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} -> {"a": {"b": 1}}; `@timestamp` and undotted keys stay at the top."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        parts = dotted.split(".")
        node = nested
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a scalar and an object share a name: keep both
                child = node[part] = {"value": child}
            node = child
        node[parts[-1]] = value
    return nested


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; already dotted keys pass through."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat
