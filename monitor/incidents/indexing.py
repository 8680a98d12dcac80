"""The index names an incident is filed under, and rebuilding the indexes from the incidents.

The record and transition scripts file an incident in the same step as they write it; on a
Redis Cluster (the incident and the indexes in different slots) the store files it right
after, from what it reads back. A rebuild files every incident again: incidents written before
the indexes existed, or an index repaired after a failure between those two steps.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Mapping, Sequence

from redis.asyncio import Redis

from monitor.store.keys import Keys
from monitor.store.scripts import lua_script, run_many

PACKAGE = "monitor.incidents"
# Bumped when the names change: respond rebuilds the indexes when the stored version differs.
VERSION = "3"
MAX_NAME, MAX_WORDS, BATCH = 200, 40, 500
INCIDENT_KEY = re.compile(r"\{([0-9a-f]+)\}:(\d+)$")
FIELDS = (
    *("id", "first_seen_ms", "status", "severity", "severity_rank"),
    *("family", "detector", "entities", "title"),
)


def clean(value: str) -> str:
    """A value as a name part: case-folded, printable only (log text may hold anything)."""
    return "".join(c for c in value.casefold() if c.isprintable())[:MAX_NAME]


def words(text: str) -> list[str]:
    """The searchable words of a title: split on white space, punctuation trimmed."""
    found = (clean(part).strip(string.punctuation) for part in text.split())
    return list(dict.fromkeys(word for word in found if word))[:MAX_WORDS]


def fixed_names(family: str, detector: str, entities: Mapping[str, str], title: str) -> list[str]:
    """What an incident is filed under apart from its status, severity and customers."""
    names = [f"family:{clean(family)}", f"detector:{clean(detector)}"]
    names += [f"entity:{clean(str(value))}" for value in entities.values() if str(value)]
    return names + [f"word:{word}" for word in words(title)]


def customer_names(customers: Iterable[str]) -> list[str]:
    return [f"entity:{clean(customer)}" for customer in customers]


def pack(names: Sequence[str]) -> str:
    return "\x1e".join(names)


class Indexer:
    """Files incidents in the indexes from their stored fields."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._reindex = redis.register_script(lua_script(PACKAGE, "reindex.lua", "index.lua"))

    @property
    def prefix(self) -> str:
        return self.keys.incident_index("")

    async def refresh(self, incident_ids: Sequence[str]) -> int:
        """File these incidents again from what is stored; returns how many exist."""
        filed = 0
        for first in range(0, len(incident_ids), BATCH):
            batch = incident_ids[first : first + BATCH]
            async with self.redis.pipeline(transaction=False) as pipe:
                for incident_id in batch:
                    key = self.keys.incident(incident_id)
                    pipe.hmget(key, FIELDS)
                    pipe.smembers(f"{key}:customers")
                replies = await pipe.execute()
            calls = [
                ([self.keys.incident_index("all")], self.reindex_args(values, customers))
                for values, customers in zip(*[iter(replies)] * 2, strict=True)
                if values[0] is not None
            ]
            if calls:
                await run_many(self.redis, self._reindex, calls)
            filed += len(calls)
        return filed

    def reindex_args(self, values: list[bytes], customers: Iterable[bytes]) -> list[str]:
        found = dict(zip(FIELDS, (value.decode() for value in values), strict=True))
        names = fixed_names(
            found["family"], found["detector"], json.loads(found["entities"]), found["title"]
        )
        return [
            self.prefix,
            found["id"],
            found["first_seen_ms"],
            found["status"],
            found["severity"],
            found["severity_rank"],
            pack(names),
            pack(customer_names(c.decode() for c in customers)),
        ]

    async def rebuild(self) -> int:
        """File every stored incident; returns how many."""
        pattern = f"{self.keys.incident_base('*')}*"
        ids: list[str] = []
        async for raw in self.redis.scan_iter(match=pattern, count=1000, _type="hash"):
            ids.append(raw.decode())
        # The id is the key's tag and generation: ...{tag}:n -> tag-n.
        found = (INCIDENT_KEY.search(key) for key in ids)
        filed = await self.refresh([f"{m[1]}-{m[2]}" for m in found if m])
        await self.redis.set(self.keys.incident_index("version"), VERSION)
        return filed

    async def current(self) -> bool:
        """Whether the indexes were built by this version of the names."""
        stored = await self.redis.get(self.keys.incident_index("version"))
        return bool(stored == VERSION.encode())
