"""The year of a year-less syslog line follows the local date where it was written."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.parsers import LineContext, Malformed
from monitor.parsers.sshd import parse

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
LINE = "{} web-01 sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2"


def when(stamp: str, reference: datetime, zone: ZoneInfo = HANOI) -> datetime:
    event = parse(LINE.format(stamp), 0, LineContext("/var/log/auth.log", zone, reference))
    assert event is not None
    return event.timestamp


def test_a_line_just_after_new_year_in_hanoi_is_in_the_new_year() -> None:
    # 06:10 on 1 January in Hanoi is still 31 December in UTC.
    reference = datetime(2025, 12, 31, 23, 10, tzinfo=UTC)
    assert when("Jan  1 05:59:00", reference) == datetime(2025, 12, 31, 22, 59, tzinfo=UTC)


def test_a_line_just_before_new_year_read_after_it_is_in_the_old_year() -> None:
    reference = datetime(2026, 1, 1, 0, 30, tzinfo=HANOI)
    assert when("Dec 31 23:59:59", reference).year == 2025


def test_a_line_written_just_after_the_reference_at_new_year_is_in_the_next_year() -> None:
    reference = datetime(2025, 12, 31, 23, 50, tzinfo=HANOI)  # the file's mtime, a bit behind
    assert when("Jan  1 00:10:00", reference) == datetime(2025, 12, 31, 17, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reference", "year"),
    [
        (datetime(2026, 6, 1, tzinfo=UTC), 2024),
        (datetime(2028, 3, 1, tzinfo=UTC), 2028),
        (datetime(2028, 2, 28, 12, tzinfo=UTC), 2028),  # up to a day ahead still fits
        (datetime(2028, 2, 27, tzinfo=UTC), 2024),
        (datetime(2101, 1, 1, tzinfo=UTC), 2096),  # 2100 is no leap year
    ],
)
def test_feb_29_is_in_the_latest_leap_year_that_fits(reference: datetime, year: int) -> None:
    assert when("Feb 29 10:00:00", reference).year == year


def test_the_same_stamp_reads_differently_against_another_reference() -> None:
    first = when("Dec 31 10:00:00", datetime(2026, 6, 1, tzinfo=UTC))
    second = when("Dec 31 10:00:00", datetime(2027, 6, 1, tzinfo=UTC))
    assert (first.year, second.year) == (2025, 2026)


def test_the_zone_of_the_source_gives_the_utc_moment() -> None:
    reference = datetime(2026, 6, 1, tzinfo=UTC)
    berlin = when("Jan  5 10:00:01", reference, ZoneInfo("Europe/Berlin"))
    assert berlin == datetime(2026, 1, 5, 9, 0, 1, tzinfo=UTC)
    assert when(
        "Jul  5 10:00:01.5", datetime(2026, 8, 1, tzinfo=UTC), ZoneInfo("Europe/Berlin")
    ) == (datetime(2026, 7, 5, 8, 0, 1, 500000, tzinfo=UTC))


@pytest.mark.parametrize("stamp", ["Feb 30 10:00:00", "Jan 32 10:00:00", "Jan  5 24:00:00"])
def test_an_impossible_date_is_refused(stamp: str) -> None:
    with pytest.raises(Malformed):
        when(stamp, datetime(2026, 6, 1, tzinfo=UTC))
