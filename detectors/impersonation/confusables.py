"""Names that look alike: confusable skeletons (UTS #39) and edit distance after folding."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from confusable_homoglyphs import confusables
from rapidfuzz.distance import DamerauLevenshtein


def fold(text: str) -> str:
    """NFKC and case folding: full-width, ligatures and case no longer tell names apart."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def plain(text: str) -> str:
    """Without diacritics, as domains and most usernames are typed: Đặng to Dang."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


# ASCII characters that pass for one another in most fonts, before case folding.
ASCII_LOOKALIKES = {"I": "l", "1": "l", "|": "l", "0": "O"}


@cache
def prototypes() -> dict[str, str]:
    """Each confusable character to the ASCII letter or digit it passes for.

    From the Unicode confusables data shipped with confusable_homoglyphs: a non-ASCII
    character maps to its first ASCII homoglyph (Cyrillic а to a, full-width ａ to a); ASCII
    maps to itself but for the few pairs every font confuses. Direct pairs only: closing
    over the data's chains would make 3 and 7 the same letter.
    """
    table = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text()
    )
    found: dict[str, str] = dict(ASCII_LOOKALIKES)
    for char, homoglyphs in table.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_ = [
            g["c"] for g in homoglyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()
        ]
        if ascii_:
            found[char] = ascii_[0]
    return found


@lru_cache(maxsize=65_536)
def skeleton(text: str) -> str:
    """The text with each character replaced by what it passes for, then folded."""
    table = prototypes()
    mapped = "".join(table.get(c, c) for c in unicodedata.normalize("NFKC", text)).casefold()
    for letters, letter in SEQUENCES.items():
        mapped = mapped.replace(letters, letter)
    return unicodedata.normalize("NFD", mapped.strip())


# Letter pairs that pass for one letter (UTS #39): no Vietnamese syllable ends in r or v,
# so ordinary names never hold them.
SEQUENCES = {"rn": "m", "vv": "w"}


def mixed_script(text: str) -> bool:
    """Letters from more than one script (Latin with Cyrillic, say), as spoofed names have."""
    return bool(confusables.is_mixed_script(text))


def close(first: str, second: str) -> bool:
    """Within Damerau-Levenshtein 1 after folding, not the same text.

    Names under five characters only match by skeleton: every short name is one edit away
    from some other. Names differing only in digits are numbered siblings (cust-1003 and
    cust-1004), not imitations; digits that imitate letters share a skeleton instead. Two
    edits, even in long names, turn one Vietnamese syllable into another (An Quang, Mai
    Quang): a different firm, not a typo.
    """
    a, b = fold(first), fold(second)
    if first == second or min(len(a), len(b)) < SHORTEST or DIGITS.sub("", a) == DIGITS.sub("", b):
        return False
    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


SHORTEST = 5
DIGITS = re.compile(r"\d+")


class Names:
    """Known names indexed for look-alike queries: skeletons exactly, near ones by length."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_skeleton: dict[str, str] = {}
        self.by_length: dict[int, list[str]] = {}
        for name in names:
            self.by_skeleton.setdefault(skeleton(name), name)
            self.by_length.setdefault(len(fold(name)), []).append(name)

    def imitated(self, candidate: str) -> str | None:
        """The known name the candidate imitates (same skeleton or near), if any."""
        return self.copied(candidate) or self.near(candidate)

    def copied(self, candidate: str) -> str | None:
        """The known name the candidate passes for: the same skeleton, another text."""
        same = self.by_skeleton.get(skeleton(candidate))
        return same if same is not None and same != candidate else None

    def near(self, candidate: str) -> str | None:
        """A known name within a small edit distance of the candidate, if any."""
        size = len(fold(candidate))
        for length in range(size - 2, size + 3):
            for name in self.by_length.get(length, ()):
                if close(candidate, name):
                    return name
        return None
