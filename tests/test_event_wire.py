"""The stream's form of an event: what a detect worker decodes is the event ingest sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from msgspec.structs import replace

from monitor.events import Event, Outcome, reference_mark
from monitor.wire import decode_events, encode_derived, encode_events

MOMENT = datetime(2026, 3, 1, 2, 0, 0, 123456, tzinfo=UTC)


def failure(**changes: object) -> Event:
    event = Event(
        timestamp=MOMENT,
        action="ssh-login",
        outcome=Outcome.FAILURE,
        category="authentication",
        user="root",
        source_ip="203.0.113.7",
        source_port=4242,
        file_path="/var/log/auth.log",
        offset=1234,
        extra={"event.sequence": 2, "process.pid": 7},
    )
    return replace(event, **changes)


def test_an_event_travels_unchanged_and_its_derived_values_stay_home() -> None:
    sent = failure()
    key, mark, millis = sent.reference_key(), sent.mark, sent.epoch_ms
    data = encode_events([sent])
    (wire,) = msgspec.msgpack.decode(data)
    assert not [name for name in wire if name.startswith("_") or name in sent.__dict__]
    (back,) = decode_events(data)
    assert back == sent
    assert isinstance(back.outcome, Outcome)
    assert back.timestamp == MOMENT and back.timestamp.utcoffset() == timedelta(0)
    assert not back.__dict__  # derived again on first use, from the fields
    assert (back.reference_key(), back.mark, back.epoch_ms) == (key, mark, millis)


def test_what_ingest_derived_arrives_with_the_events_the_worker_keeps() -> None:
    """Keys, marks and times travel beside the events, and stay with the right ones when
    the worker keeps only the actions its detectors evaluate."""
    sent = [
        failure(offset=10),
        failure(action="ssh-probe", offset=20, source_ip="198.51.100.9"),
        failure(offset=30, user="hoa", timestamp=MOMENT + timedelta(seconds=1)),
    ]
    expected = [(e.reference_key(), e.mark, e.epoch_ms) for e in map(replace, sent)]
    data, derived = encode_events(sent), encode_derived(sent)
    kept = decode_events(data, {"ssh-login"}, derived)
    assert [event.offset for event in kept] == [10, 30]
    for event, values in zip(kept, (expected[0], expected[2]), strict=True):
        assert (event.__dict__["key"], event.__dict__["mark"]) == values[:2]
        assert (event.reference_key(), event.mark, event.epoch_ms) == values
    assert decode_events(data, None, derived) == sent


def test_times_not_in_utc_leave_their_values_to_the_worker() -> None:
    """The stream carries a UTC instant, from which the worker derives its own text: what
    ingest would derive from the local time is not sent, so no event has two keys."""
    local = failure(timestamp=MOMENT.astimezone(timezone(timedelta(hours=7))))
    assert encode_derived([failure(offset=1), local]) is None
    assert encode_derived([failure(offset=1), failure(offset=2)]) is not None


@pytest.mark.parametrize(
    "derived",
    [b"\xc1", msgspec.msgpack.encode((["a"], ["b"], [1])), msgspec.msgpack.encode([1, 2])],
    ids=["not MessagePack", "for another batch", "not the three columns"],
)
def test_derived_values_that_do_not_fit_are_derived_again(derived: bytes) -> None:
    sent = [failure(offset=10), failure(offset=20)]
    expected = [(e.reference_key(), e.mark, e.epoch_ms) for e in map(replace, sent)]
    back = decode_events(encode_events(sent), None, derived)
    assert back == sent
    assert not any(event.__dict__ for event in back)
    assert [(e.reference_key(), e.mark, e.epoch_ms) for e in back] == expected


def test_empty_fields_are_left_off_the_wire_and_come_back_as_defaults() -> None:
    sent = Event(timestamp=MOMENT, action="ssh-session-close")
    data = encode_events([sent])
    assert msgspec.msgpack.decode(data) == [{"timestamp": MOMENT, "action": "ssh-session-close"}]
    (back,) = decode_events(data)
    assert back == sent
    assert (back.outcome, back.user, back.extra) == (Outcome.UNKNOWN, None, {})


def test_a_stream_written_before_events_were_structs_still_decodes() -> None:
    """The old form: every field, empty ones as nil, and the derived values as `_` keys."""
    sent = failure()
    old = {name: getattr(sent, name) for name in Event.__struct_fields__}
    old |= {"outcome": "failure", "_key": "forged", "_epoch_ms": 1, "_mark": None}
    (back,) = decode_events(msgspec.msgpack.encode([old]))
    assert back == sent
    assert back.reference_key() == sent.reference_key() != "forged"
    assert back.epoch_ms == sent.epoch_ms != 1


def test_equality_ignores_what_was_derived() -> None:
    used, fresh = failure(), failure()
    used.reference_key()
    assert used == fresh
    assert used != failure(user="admin")


def test_a_replaced_event_derives_its_values_afresh() -> None:
    first = failure()
    first.reference_key()
    moved = replace(first, offset=99, timestamp=MOMENT + timedelta(seconds=1))
    assert moved.reference_key() != first.reference_key()
    assert moved.mark == failure(offset=99, timestamp=MOMENT + timedelta(seconds=1)).mark
    assert moved.epoch_ms == first.epoch_ms + 1000


def test_an_event_cannot_be_changed_in_place() -> None:
    event = failure()
    with pytest.raises(AttributeError):
        event.user = "admin"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.anything = 1  # type: ignore[attr-defined]


def test_a_time_in_another_zone_arrives_as_the_same_instant() -> None:
    hanoi = MOMENT.astimezone(timezone(timedelta(hours=7)))
    (back,) = decode_events(encode_events([failure(timestamp=hanoi)]))
    assert back.timestamp == MOMENT and back.timestamp.tzinfo is not None


def test_one_instant_in_two_zones_keeps_each_events_own_time_in_its_reference() -> None:
    hanoi = MOMENT.astimezone(timezone(timedelta(hours=7)))
    in_utc = failure(offset=10).reference_key()
    in_hanoi = failure(offset=11, timestamp=hanoi).reference_key()
    assert "2026-03-01T02:00:00.123456+00:00" in in_utc
    assert "2026-03-01T09:00:00.123456+07:00" in in_hanoi


@pytest.mark.parametrize("place", ["\u00b9", "12#\u00b2", "\u0663"])
def test_an_evidence_id_with_digits_int_refuses_orders_as_unknown(place: str) -> None:
    """Evidence can be forged: an offset of superscript or other non-ASCII digits must not
    raise where the incident counts its marks."""
    reference = {"id": f"/var/log/auth.log:{place}", "@timestamp": "2026-03-01T09:00:00Z"}
    plain = {"id": "/var/log/auth.log:12", "@timestamp": "2026-03-01T09:00:00Z"}
    assert reference_mark(reference) != reference_mark(plain)
