"""What keeps the breach record honest outside Redis: its HMAC key and its anchored heads.

Whoever can write to Redis can rewrite a plain hash chain and recompute every hash. The key
that authenticates each entry, and the file each new head is appended to, live with Vigil's
own files instead: a rewritten chain then fails its HMAC or contradicts the anchored heads.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.settings import Settings

KEY_FILE = "record.key"
ANCHOR_FILE = "record-heads.log"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head as it was written outside Redis: the entry count and the last entry's HMAC."""

    breach_id: str
    seq: int
    hash: str
    at: str


@dataclass(frozen=True, slots=True)
class Seal:
    """The record's key and, unless None, the append-only file of heads."""

    key: bytes
    anchors: Path | None = None

    def anchor(self, breach_id: str, entry: dict[str, Any]) -> None:
        """Append the new head; O_APPEND keeps each line whole between concurrent writers."""
        if self.anchors is None:
            return
        line = json.dumps(
            {"breach": breach_id, "seq": entry["seq"], "hash": entry["hash"], "at": entry["at"]}
        )
        descriptor = os.open(self.anchors, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, (line + "\n").encode())
        finally:
            os.close(descriptor)

    def anchored(self, breach_id: str) -> list[Anchor]:
        """Every head anchored for one breach, in the order written."""
        if self.anchors is None or not self.anchors.exists():
            return []
        found = []
        for line in self.anchors.read_text().splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash; the next head anchors the chain again
            if isinstance(item, dict) and item.get("breach") == breach_id:
                found.append(Anchor(breach_id, int(item["seq"]), str(item["hash"]), item["at"]))
        return found


def breach_folder(settings: Settings) -> Path:
    """Beside the Redis data: var/breach, readable by Vigil's user only."""
    folder = settings.redis.data_dir.parent / "breach"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def seal_for(settings: Settings) -> Seal:
    """The configured key (`breach.record_key`, VIGIL_RECORD_KEY), or one made at first use."""
    folder = breach_folder(settings)
    if settings.breach.record_key is not None:
        return Seal(settings.breach.record_key.get_secret_value().encode(), folder / ANCHOR_FILE)
    path = folder / KEY_FILE
    if not path.exists():
        # Written whole under another name, then linked: two processes starting at once
        # both end up reading the one key that won the link.
        spare = folder / f".{KEY_FILE}.{os.getpid()}"
        descriptor = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(spare, path)
        except FileExistsError:
            pass
        finally:
            spare.unlink()
    return Seal(path.read_text().strip().encode(), folder / ANCHOR_FILE)
