"""Directory content as the notices use it: one printable line, a deliverable address, a language.

The customer directory is edited by people and exported by programs; a name may carry
a line break, an address a second recipient. Neither may change a message's structure.
"""

from __future__ import annotations

import re
from dataclasses import replace

from playbooks.customers import Affected

# Control characters, line and paragraph separators, and the private-use area (the
# notices' own stand-ins for names live there).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ue000-\uf8ff]")
# One plain addr-spec: no display name, no list, no spaces or control characters.
ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)
LANGUAGES = {
    "vi": "vi",
    "vn": "vi",
    "vietnamese": "vi",
    "tiếng việt": "vi",
    "en": "en",
    "english": "en",
    "mixed": "mixed",
    "vi+en": "mixed",
    "vi,en": "mixed",
    "both": "mixed",
}
FALLBACK = "mixed"  # Vietnamese first, then English: read by whoever the customer is


def one_line(text: str, limit: int = 200) -> str:
    """Control characters (CR, LF, NUL, separators) become spaces; runs of space collapse."""
    return " ".join(CONTROL.sub(" ", text).split())[:limit]


def deliverable(address: str | None) -> str | None:
    """The address if it is one plain mailbox a message can go to, else None."""
    if not address or len(address) > 254 or not ADDRESS.match(address):
        return None
    return address


def with_deliverable(item: Affected) -> Affected:
    """An address that could carry a second recipient or header is no address at all."""
    address = deliverable(item.address)
    return item if address == item.address else replace(item, address=address)


def language_of(raw: str) -> tuple[str, str]:
    """The notice's language, and a warning when the directory's value was missing or unknown."""
    key = one_line(raw, 40).casefold()
    if key in LANGUAGES:
        return LANGUAGES[key], ""
    base = re.split(r"[-_]", key, maxsplit=1)[0]
    if base in ("vi", "en"):
        return base, ""
    if not key:
        return FALLBACK, "no language in the customer directory: sent in Vietnamese and English"
    return FALLBACK, f"unknown language {key[:20]!r}: sent in Vietnamese and English"
