"""Windows read as counts: while a group holds fewer members than any of its detectors asks
more than a count at, Redis leaves out the members no question of the batch can tell apart,
and sends how many there are instead (Window.counted_below).

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
from typing import Any

from detectors.base import Window

# The copy field's value telling the script a key may be counted (detectors/window.lua).
COUNTED = -3
BLANK = b""


class CountedOnly(LookupError):
    """A detector asked for members of a window while its detectors declare only counts."""


def counted_args(window: Window, earliest: int, latest: int) -> list[int] | None:
    """The script's four arguments for a counted key (the newest score that leaves the
    longest span, the oldest that may fall in a shorter one, the members the longest span
    must hold fewer of, those from the second on), or None: read whole."""
    if window.counting is None:
        return None
    detail, below, recent_below = window.counting
    edge, recent = latest - window.span_ms, earliest - detail
    if edge >= recent - 1:  # the batch spans so long that no member could be left out
        return None
    return [edge, recent, below, recent_below]


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
