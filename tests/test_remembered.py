"""Answers about URLs and user agents are remembered, but never an attacker's long text."""

from __future__ import annotations

from detectors.intrusion.web import LONGEST_REMEMBERED, decoded, remembered


def test_short_texts_are_remembered_and_of_long_ones_only_the_last() -> None:
    asked: list[str] = []

    def shout(text: str) -> str:
        asked.append(text)
        return text.upper()

    answer = remembered(shout, 4)
    short, long, other = "/cargo/track", "/" + "A%41" * LONGEST_REMEMBERED, "/" + "b" * 2000
    assert [answer(short), answer(short)] == ["/CARGO/TRACK"] * 2
    # The window and the rule ask about one request's URL one after the other: the last
    # long text is kept, no other (64 KiB URLs would otherwise fill the memory).
    assert [answer(long), answer(long), answer(other), answer(long)] == [
        long.upper(),
        long.upper(),
        other.upper(),
        long.upper(),
    ]
    assert asked == [short, long, other, long]


def test_a_long_url_is_still_decoded() -> None:
    url = "/search?q=" + "%2e%2e%2f" * LONGEST_REMEMBERED
    assert decoded(url) == "/search?q=" + "../" * LONGEST_REMEMBERED
