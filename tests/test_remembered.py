"""Answers about URLs and user agents are remembered, but never an attacker's long text."""

from __future__ import annotations

from detectors.intrusion.web import LONGEST_REMEMBERED, decoded, remembered


def test_a_short_text_is_asked_once_and_a_long_one_every_time() -> None:
    asked: list[str] = []

    def shout(text: str) -> str:
        asked.append(text)
        return text.upper()

    answer = remembered(shout, 4)
    short, long = "/cargo/track", "/" + "A%41" * LONGEST_REMEMBERED
    assert [answer(short), answer(short)] == ["/CARGO/TRACK"] * 2
    assert [answer(long), answer(long)] == [long.upper()] * 2
    assert asked == [short, long, long]  # 64 KiB URLs would otherwise fill the memory


def test_a_long_url_is_still_decoded() -> None:
    url = "/search?q=" + "%2e%2e%2f" * LONGEST_REMEMBERED
    assert decoded(url) == "/search?q=" + "../" * LONGEST_REMEMBERED
