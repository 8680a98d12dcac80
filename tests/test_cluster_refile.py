"""On a Redis Cluster the store files and announces an incident after writing it: a detect
process killed between the two leaves it unfiled, and the replay of its batch repairs that."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from monitor.incidents import Change, IncidentStore
from monitor.service import Vigil, open_vigil
from monitor.settings import load_settings
from monitor.store.local_cluster import start_cluster, stop_cluster
from tests.test_incidents import T0, finding


class Killed(Exception):
    """The detect process dying (kill -9) at the point the store raises it."""


class KilledBeforeFiling(IncidentStore):
    """A store whose process dies right after the record script, before filing."""

    async def after_write(self, changes: Sequence[Change]) -> None:
        raise Killed


@pytest.fixture
async def vigil(tmp_path: Path) -> AsyncIterator[Vigil]:
    """Vigil on a cluster of its own (three masters, three replicas)."""
    url, processes = start_cluster(tmp_path / "cluster", 17500)
    try:
        async with open_vigil(load_settings(None, {"REDIS_URL": url})) as opened:
            yield opened
    finally:
        stop_cluster(processes)


async def announced(vigil: Vigil) -> list[tuple[str, str]]:
    entries = await vigil.redis.xrange(vigil.keys.incident_changes)
    return [(fields[b"id"].decode(), fields[b"state"].decode()) for _, fields in entries]


async def test_a_replay_files_and_announces_what_a_crash_left_unfiled(vigil: Vigil) -> None:
    found = finding(T0, "auth.log:0")
    dying = KilledBeforeFiling(vigil.redis, vigil.keys, vigil.settings.incidents)
    with pytest.raises(Killed):
        await dying.record([found])
    assert await vigil.store.list() == []  # written, but on no dashboard page, never paged

    await vigil.store.record([found])  # the batch taken over and replayed
    (incident,) = await vigil.store.list()
    assert incident.event_count == 1
    assert await announced(vigil) == [(incident.id, "created")]

    await vigil.store.record([found])  # replayed again: filed and announced already
    assert await announced(vigil) == [(incident.id, "created")]
