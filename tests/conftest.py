"""Shared fixtures: one embedded Valkey server for the session, a clean database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from monitor.incidents import IncidentStore
from monitor.settings import Settings, load_settings
from monitor.store import embedded
from monitor.store.connection import open_client
from monitor.store.keys import Keys
from tests.mailbox import Mailbox, running_mailbox


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("valkey")
    url = embedded.ensure_server(data_dir)
    yield url
    embedded.release_server(data_dir, force=True)  # the tests' own server, whoever is left


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = await open_client(redis_url)  # the client Vigil's processes use
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return load_settings(None, {"REDIS_URL": redis_url})


@pytest.fixture
def keys() -> Keys:
    return Keys("vigil")


@pytest.fixture
def store(redis: aioredis.Redis, keys: Keys, settings: Settings) -> IncidentStore:
    return IncidentStore(redis, keys, settings.incidents)


@pytest.fixture
def samples() -> Path:
    return Path(__file__).parent / "samples"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free loopback port; the test reads what it received."""
    with running_mailbox() as server:
        yield server
