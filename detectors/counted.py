"""Windows read as counts: while a group holds fewer members than the threshold below which
its detectors ask only counts (Window.counted_below), Redis leaves out the members no
question of the batch can tell apart, and sends how many there are instead.

For a batch from `earliest` to `latest`, a window of longest span S whose shorter spans reach
back D: a member older than `latest - S` leaves the longest span during the batch and one
from `earliest - D` on may fall in a shorter one, so both are read as always; each member
between is in the longest span of every event of the batch and in no shorter one, so only
their number matters. They stand in the series as blanks, after the older ones and before
the newer ones, where counts find them; asking for their members is a detector's error.

A key holding fewer members than every threshold, with the batch's, is not read at all:
no count can reach one, whatever the members' times, so all of them are blanks (its counts
are then only known to be below every threshold, all its detectors ask of them).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from detectors.base import Window

# The copy field's value telling the script a key may be counted (detectors/window.lua).
COUNTED = -3
BLANK = b""


class CountedOnly(LookupError):
    """A detector asked for members of a window while its detectors declare only counts."""


class Counted(NamedTuple):
    """A counted key's arguments to the window script."""

    edge: int  # the newest score that leaves the longest span during the batch
    recent: int  # the oldest score that may fall in a shorter span
    below: int  # members the longest span must hold fewer of, the batch's included
    recent_below: int  # and those from `recent` on (-1: no shorter span)


def counted_args(window: Window, earliest: int, latest: int) -> Counted | None:
    """A counted key's arguments for a batch from `earliest` to `latest`; None: read whole."""
    if window.counting is None:
        return None
    shorter_span, below, shorter_below = window.counting
    edge, recent = latest - window.span_ms, earliest - shorter_span
    if edge >= recent - 1:  # the batch spans so long that no member could be left out
        return None
    return Counted(edge, recent, below, shorter_below)


def read_whole(
    windows: Mapping[str, Sequence[Window]],
) -> dict[str, tuple[Window, ...]]:
    """The same windows, none of them counted: what the benchmark and the tests compare."""
    return {
        action: tuple(replace(window, counted_below=0, limits=()) for window in group)
        for action, group in windows.items()
    }


def with_blanks(answer: list[Any], recent: int) -> tuple[list[int], list[bytes], tuple[int, int]]:
    """Scores and members of a counted key's reply (how many left out, then the pairs read),
    the blanks in place; and the blanks' index range."""
    left_out, pairs = answer
    scores, members = pairs[1::2], pairs[0::2]
    if not left_out:
        return scores, members, (0, 0)
    # Any score after the older members read and before the newer ones: counts of the
    # longest span take them in, those of shorter spans leave them out.
    blank = recent - 1
    at = bisect_right(scores, blank)
    scores[at:at] = [blank] * left_out
    members[at:at] = [BLANK] * left_out
    return scores, members, (at, at + left_out)
