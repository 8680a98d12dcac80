"""The embedded Valkey server as Vigil starts it: its allocator and how it keeps windows."""

from __future__ import annotations

import logging
from ctypes.util import find_library
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from detectors.intrusion.web import request
from monitor.store import embedded
from monitor.store.connection import advise_listpacks


async def test_a_visitors_window_of_full_references_is_one_compact_listpack(
    redis: aioredis.Redis,
) -> None:
    pages = [request("113.161.72.9", f"/tracking/1{n:03d}", offset=n) for n in range(100)]
    await redis.zadd("window", {page.reference_key(): page.epoch_ms for page in pages})
    assert await redis.object("encoding", "window") == b"listpack"


async def test_the_server_allocates_with_jemalloc_when_it_is_installed(redis_url: str) -> None:
    assert find_library("jemalloc") is not None, "make test installs libjemalloc2"
    client = aioredis.Redis.from_url(redis_url)
    pid = (await client.info("server"))["process_id"]
    await client.aclose()
    assert embedded.allocator(pid) == "jemalloc"


def test_the_callers_own_preloads_are_kept_after_jemalloc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/audit-shim.so")
    preloaded = embedded.server_environment()["LD_PRELOAD"].split(":")
    assert preloaded == [str(find_library("jemalloc")), "/usr/lib/audit-shim.so"]


async def test_a_server_of_ones_own_with_the_default_limit_is_told_what_it_costs(
    redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await redis.config_set("zset-max-listpack-value", 64)
    try:
        with caplog.at_level(logging.WARNING, logger="monitor.store.connection"):
            assert await advise_listpacks(redis)
    finally:
        await redis.config_set("zset-max-listpack-value", embedded.ZSET_LISTPACK_VALUE)
    assert "CONFIG SET zset-max-listpack-value 512" in caplog.text
    assert not await advise_listpacks(redis)  # 512, as the embedded server sets it


def test_a_server_an_older_vigil_started_is_given_the_limit_when_reused(
    tmp_path: Path,
) -> None:
    url = embedded.ensure_server(tmp_path)
    try:
        client = redis.Redis.from_url(url)
        client.config_set("zset-max-listpack-value", 64)  # as an older Vigil left it
        assert embedded.ensure_server(tmp_path) == url  # reused, not started again
        assert client.config_get("zset-max-listpack-value") == {"zset-max-listpack-value": "512"}
        client.close()
    finally:
        embedded.release_server(tmp_path, force=True)
