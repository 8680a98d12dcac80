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


@cache
def prototypes() -> dict[str, str]:
    """Each confusable character to one representative of its class (ASCII where there is one).

    From the Unicode confusables data shipped with confusable_homoglyphs, closed over the
    pairs it lists so that the map is consistent (a -> a, а -> a, ɑ -> a).
    """
    table = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text()
    )
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.get(c, c) != c:
            parent[c] = parent.get(parent[c], parent[c])
            c = parent[c]
        return c

    for char, homoglyphs in table.items():
        for glyph in homoglyphs:
            other = glyph["c"]
            if len(other) == 1 and len(char) == 1:
                a, b = root(fold(char)[:1] or char), root(fold(other)[:1] or other)
                if a != b:
                    parent[max(a, b, key=rank)] = min(a, b, key=rank)
    return {c: root(c) for c in parent}


def rank(char: str) -> tuple[bool, bool, str]:
    """Representatives: lowercase ASCII letters first, then ASCII, then anything by code point."""
    return (not (char.isascii() and char.isalpha()), not char.isascii(), char)


@lru_cache(maxsize=65_536)
def skeleton(text: str) -> str:
    """The folded text with every character replaced by its class representative."""
    table = prototypes()
    return "".join(table.get(c, c) for c in unicodedata.normalize("NFD", fold(text)))


def mixed_script(text: str) -> bool:
    """Letters from more than one script (Latin with Cyrillic, say), as spoofed names have."""
    return bool(confusables.is_mixed_script(text))


def close(first: str, second: str) -> bool:
    """Within Damerau-Levenshtein 1 after folding (2 from 12 characters), not the same text.

    Names under five characters only match by skeleton: every short name is one edit away
    from some other. Names differing only in digits are numbered siblings (cust-1003 and
    cust-1004), not imitations; digits that imitate letters share a skeleton instead.
    """
    a, b = fold(first), fold(second)
    if first == second or min(len(a), len(b)) < SHORTEST or DIGITS.sub("", a) == DIGITS.sub("", b):
        return False
    limit = 2 if max(len(a), len(b)) >= 12 else 1
    return DamerauLevenshtein.distance(a, b, score_cutoff=limit) <= limit


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
        same = self.by_skeleton.get(skeleton(candidate))
        if same is not None and same != candidate:
            return same
        size = len(fold(candidate))
        for length in range(size - 2, size + 3):
            for name in self.by_length.get(length, ()):
                if close(candidate, name):
                    return name
        return None
