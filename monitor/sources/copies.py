"""copytruncate: a new file that starts with the bytes of a file already read is its copy,
and is read from where that file's reading had got to, not from its start."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from monitor.sources.follower import HEAD_BYTES, Checkpoint


def origin(fd: int, candidates: Iterable[Checkpoint]) -> Checkpoint | None:
    """The checkpoint of the file the open file is a copy of (the longest head that matches)."""
    head = os.pread(fd, HEAD_BYTES, 0)
    best: Checkpoint | None = None
    digests: dict[int, str] = {}
    for candidate in candidates:
        length = candidate.identity.head_len
        if not 0 < length <= len(head) or (best is not None and length <= best.identity.head_len):
            continue
        digest = digests.get(length)
        if digest is None:
            digest = digests[length] = hashlib.blake2b(head[:length], digest_size=8).hexdigest()
        if digest == candidate.identity.head:
            best = candidate
    return best
