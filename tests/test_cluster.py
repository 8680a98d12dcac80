"""Vigil against a Redis Cluster: three masters with replicas, started by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from monitor.pipeline.ingest import Ingest
from monitor.service import Vigil, open_vigil
from monitor.settings import load_settings
from tests.cluster import start_cluster, stop_cluster
from tests.test_pipeline import sshd_lines, with_source


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, processes = start_cluster(tmp_path_factory.mktemp("cluster"), 17100)
    yield url
    stop_cluster(processes)


@pytest.fixture
async def vigil(cluster_url: str, tmp_path: Path) -> AsyncIterator[Vigil]:
    settings = load_settings(None, {"REDIS_URL": cluster_url})
    async with open_vigil(settings) as opened:
        await opened.redis.flushall()
        yield opened


async def test_lines_become_incidents_on_a_cluster(vigil: Vigil, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(sshd_lines(6))
    settings = with_source(vigil.settings, log)
    ingest = Ingest(vigil.redis, vigil.keys, settings)
    await ingest.start()
    assert await ingest.step() == 6
    worker = vigil.worker()
    await worker.ensure_group()
    changes = await worker.step(block=False)
    assert changes is not None and [change.state for change in changes] == ["created"]
    (incident,) = await vigil.store.list()
    assert incident.detector == "account_takeover.brute_force"
