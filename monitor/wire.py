"""Events as the event stream carries them: MessagePack, with what ingest derived from them.

A stream entry holds a batch of events (`events`) and each event's reference key, count
mark and epoch milliseconds (DERIVED): the detect worker needs all three for every event
(window members, count marks, time order), building them was a tenth of its time, and
ingest, which waits on it, has the core to spare. An entry without them (written before
they were) is read as before: the worker derives them.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import timedelta

import msgspec

from monitor.events import Event

log = logging.getLogger(__name__)
# The stream field of the derived values, versioned: a change to what Event derives (its
# reference key, count mark) takes a new name, and a worker derives again what an ingest of
# the old form sent.
DERIVED = "derived.1"
DERIVED_FIELD = DERIVED.encode()
# What encoding an event the stream cannot carry raises (a value past 64 bits, a lone
# surrogate).
UNENCODABLE = (msgspec.EncodeError, OverflowError, TypeError, ValueError)
WIRE_ENCODER = msgspec.msgpack.Encoder()
WIRE_DECODER = msgspec.msgpack.Decoder(list[Event])
DERIVED_DECODER = msgspec.msgpack.Decoder(tuple[list[str], list[str], list[int]])
NO_OFFSET = timedelta(0)


def encode_entry(events: Sequence[Event]) -> dict[str, bytes]:
    """A batch's stream entry: its events (UNENCODABLE if one cannot be carried) and, when
    they encode, what ingest derived from them."""
    fields = {"events": encode_events(events)}
    try:
        derived = encode_derived(events)
    except UNENCODABLE:  # the worker derives them instead, as for an older entry
        log.warning("a batch's derived values did not encode; left to the worker", exc_info=True)
        derived = None
    if derived is not None:
        fields[DERIVED] = derived
    return fields


def decode_entry(fields: Mapping[bytes, bytes], actions: Container[str]) -> list[Event]:
    """A stream entry's events of `actions`, with what ingest derived from them if it did
    (KeyError or ValueError if it holds no events)."""
    return decode_events(fields[b"events"], actions, fields.get(DERIVED_FIELD))


def entry_events(fields: Mapping[bytes, bytes]) -> int:
    """How many events an entry holds, from its MessagePack array's header (see
    encode_events), without decoding them; 1 if the header is not one."""
    data = fields.get(b"events", b"")
    if not data:
        return 0
    if 0x90 <= data[0] <= 0x9F:
        return data[0] & 0x0F
    if data[0] in (0xDC, 0xDD):
        width = 2 if data[0] == 0xDC else 4
        return int.from_bytes(data[1 : 1 + width], "big")
    return 1


def encode_events(events: Iterable[Event]) -> bytes:
    """A batch of events in MessagePack: the stream's form (one C-level call per batch)."""
    return WIRE_ENCODER.encode(list(events))


def encode_derived(events: Sequence[Event]) -> bytes | None:
    """The reference keys, count marks and epoch milliseconds of a batch's events, in order;
    None if one of their times is not in UTC (the stream carries every time as a UTC
    instant, from which the worker would derive another text than ingest did)."""
    if not all(event.timestamp.utcoffset() == NO_OFFSET for event in events):
        return None
    keys = [event.reference_key() for event in events]  # which derives each mark on the way
    marks = [event.mark for event in events]
    return WIRE_ENCODER.encode((keys, marks, [event.epoch_ms for event in events]))


def decode_events(
    data: bytes, actions: Container[str] | None = None, derived: bytes | None = None
) -> list[Event]:
    """The inverse of encode_events; with `actions`, only events of those actions are kept;
    with `derived` (encode_derived's of the same events), the events carry it.

    msgspec builds the frozen events without running their __init__ field by field, which
    made decoding the costliest step of a detect worker.
    """
    events = WIRE_DECODER.decode(data)
    values = carried(derived, len(events)) if derived else None
    if values is None:
        return events if actions is None else [e for e in events if e.action in actions]
    kept = []
    for event, key, mark, epoch in zip(events, *values, strict=True):
        if actions is None or event.action in actions:
            # As Event.reference_key, mark and epoch_ms keep what they derive.
            attributes = event.__dict__
            attributes["key"], attributes["mark"], attributes["epoch_ms"] = key, mark, epoch
            kept.append(event)
    return kept


def carried(derived: bytes, events: int) -> tuple[list[str], list[str], list[int]] | None:
    """The derived values of `events` events, or None if they are not that (then the
    worker derives them itself: the events are what counts)."""
    try:
        values = DERIVED_DECODER.decode(derived)
    except msgspec.DecodeError:
        log.warning("an entry's derived values do not decode; derived again")
        return None
    if any(len(column) != events for column in values):
        log.warning("an entry's derived values do not match its events; derived again")
        return None
    return values
