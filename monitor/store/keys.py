"""Every Redis key Vigil writes, in one place, ready for a Redis Cluster.

Keys that one MULTI or script touches together share a hash tag ({...}): the
event stream with its checkpoints, a fingerprint with its incidents.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "vigil"

    @property
    def events(self) -> str:
        return f"{self.prefix}:{{events}}:stream"

    @property
    def checkpoints(self) -> str:
        return f"{self.prefix}:{{events}}:checkpoints"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}:{{events}}:dead"

    @property
    def windows_applied(self) -> str:
        """The last stream entry whose window updates are written (see pipeline.turns)."""
        return f"{self.prefix}:{{events}}:windows-applied"

    @property
    def findings_stored(self) -> str:
        """The last stream entry whose findings are stored (see pipeline.turns)."""
        return f"{self.prefix}:{{events}}:findings-stored"

    @property
    def in_flight(self) -> str:
        """Stream entries read and not yet acknowledged -> the earliest event time of their
        batch: window trims stop there, so a replayed batch reads what its first run read."""
        return f"{self.prefix}:{{events}}:in-flight"

    @property
    def folder_files(self) -> str:
        """Watched folders' files: path -> size, mtime, sha256 (same slot as the stream)."""
        return f"{self.prefix}:{{events}}:files"

    def volume(self, name: str) -> str:
        """Per actor-hour tallies and the fitted model (one slot: the refit reads them all)."""
        return f"{self.prefix}:{{volume}}:{name}"

    @property
    def source_stats(self) -> str:
        return f"{self.prefix}:{{events}}:stats"

    @property
    def source_health(self) -> str:
        """journald sources: name -> what their journalctl is doing, or why it failed."""
        return f"{self.prefix}:{{events}}:health"

    def window(self, shard: int, name: str, group: str) -> str:
        """A window group; groups of one shard share a slot so one script serves them all."""
        return f"{self.prefix}:win:{{w{shard}}}:{name}:{group}"

    def window_mark(self, shard: int) -> str:
        """Who wrote a shard's window groups last (see detectors/held.py)."""
        return f"{self.prefix}:win-mark:{{w{shard}}}"

    def fingerprint(self, tag: str) -> str:
        return f"{self.prefix}:fp:{{{tag}}}"

    def incident_base(self, tag: str) -> str:
        """The incident keys of one fingerprint: base + generation number (+ :evidence ...)."""
        return f"{self.prefix}:incident:{{{tag}}}:"

    def incident(self, incident_id: str) -> str:
        tag, _, generation = incident_id.rpartition("-")
        return self.incident_base(tag) + generation

    def incident_index(self, name: str) -> str:
        """Sorted sets of incident ids by first_seen: `all`, `status:open`, `severity:high`..."""
        return f"{self.prefix}:{{incidents}}:{name}"

    @property
    def incident_changes(self) -> str:
        return f"{self.prefix}:{{incidents}}:changes"

    def outbox(self, name: str) -> str:
        """Outbox keys share one tag so each state move is one atomic script: due, msg:, dead."""
        return f"{self.prefix}:{{outbox}}:{name}"

    def breach(self, breach_id: str, name: str) -> str:
        """One breach's keys share its tag: the hash, incidents, customers, record, head."""
        return f"{self.prefix}:breach:{{{breach_id}}}:{name}"

    @property
    def breaches(self) -> str:
        return f"{self.prefix}:{{breaches}}:all"

    def users(self, name: str) -> str:
        """Dashboard users, API tokens and the audit log of what they saw and did."""
        return f"{self.prefix}:{{users}}:{name}"

    def alerts(self, name: str) -> str:
        """Alerting state: groups, digest, used ack links, silences."""
        return f"{self.prefix}:{{alerts}}:{name}"


@lru_cache(maxsize=65536)  # a flood's incidents are extended batch after batch
def fingerprint_tag(fingerprint: str) -> str:
    """Short stable hash of a fingerprint; the hash tag and first half of an incident id."""
    return hashlib.blake2b(fingerprint.encode(), digest_size=5).hexdigest()
