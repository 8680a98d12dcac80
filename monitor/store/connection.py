"""Open the Redis client Vigil uses: REDIS_URL's server, or the embedded one."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import hiredis
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.connection import HiredisRespSerializer
from redis.exceptions import RedisError, ResponseError

from monitor.settings import Settings
from monitor.store import embedded

log = logging.getLogger(__name__)


def redis_url(settings: Settings) -> str:
    if settings.redis.url is not None:
        return settings.redis.url.get_secret_value()
    return embedded.ensure_server(settings.redis.data_dir)


@asynccontextmanager
async def connect(settings: Settings, release: bool = True) -> AsyncIterator[tuple[Redis, str]]:
    """A client for the whole run, and its URL; the embedded server is let go (if last) on exit."""
    url = redis_url(settings)
    client = await open_client(url)
    try:
        yield client, url
    finally:
        await client.aclose()
        if release and settings.redis.url is None:
            embedded.release_server(settings.redis.data_dir)


class HiredisPacking:
    """Commands packed in C by hiredis, as redis-py's synchronous client packs them: its
    asyncio client packs each argument in Python, a sixth of the detect worker's time
    (a batch's window scripts carry thousands of arguments)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        command = args[0]
        if isinstance(command, str) and " " not in command:  # EVALSHA, ZADD: the usual
            try:
                # Straight to C: the serializer's own pass looks at every argument in Python
                # (for bytearrays and memoryviews), and a window script carries thousands.
                return [hiredis.pack_command(args)]
            except TypeError:
                pass  # one of those: the serializer converts it, or says what is wrong
        packed: list[bytes] = PACKER.pack(*args)
        return packed


PACKER = HiredisRespSerializer()


# redis-py is not followed by mypy (see pyproject.toml): its classes are Any to it.
class PackedConnection(HiredisPacking, Connection):  # type: ignore[misc]
    """A TCP connection."""


class PackedUnixConnection(HiredisPacking, UnixDomainSocketConnection):  # type: ignore[misc]
    """A unix socket connection (the embedded server's)."""


class PackedSSLConnection(HiredisPacking, SSLConnection):  # type: ignore[misc]
    """A TLS connection."""


PACKED = {
    Connection: PackedConnection,
    UnixDomainSocketConnection: PackedUnixConnection,
    SSLConnection: PackedSSLConnection,
}


async def open_client(url: str) -> Redis:
    """A client for the server at `url`; a cluster node's URL gives a cluster client."""
    client: Redis = Redis.from_url(
        url, health_check_interval=30, client_name=embedded.client_name()
    )
    pool = client.connection_pool  # makes its connections on first use: none yet
    pool.connection_class = PACKED.get(pool.connection_class, pool.connection_class)
    if url.startswith("unix://"):
        return client
    try:
        clustered = (await client.info("cluster")).get("cluster_enabled") == 1
    except ResponseError:
        clustered = False
    if not clustered:
        return client
    await client.aclose()
    # RedisCluster.from_url builds its nodes' connections itself: they pack in Python.
    cluster: Redis = RedisCluster.from_url(url)
    return cluster


def display_url(settings: Settings) -> str:
    """The URL without its password, for status output and logs."""
    if settings.redis.url is None:
        return f"embedded ({embedded.url_for(settings.redis.data_dir)})"
    url = settings.redis.url.get_secret_value()
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}***@{host}" if at and credentials else url


async def advise_listpacks(client: Redis) -> bool:
    """Warn when the server keeps window members in skiplists; True when it does."""
    limit = await listpack_limit(client)
    if limit is None or limit >= embedded.ZSET_LISTPACK_VALUE:
        return False
    log.warning(
        "Redis keeps sorted sets as listpacks only for members up to %d bytes; Vigil's "
        "window members are 150-300 bytes: with `CONFIG SET zset-max-listpack-value %d` "
        "its windows take about 40 %% less memory (see README, Redis)",
        limit,
        embedded.ZSET_LISTPACK_VALUE,
    )
    return True


async def listpack_limit(client: Redis) -> int | None:
    """The longest member for which a server (every master of a cluster) keeps a small
    sorted set as a listpack, or None when it will not say (CONFIG refused by an ACL or a
    managed service)."""
    # Redis 6 calls it ziplist: the pattern finds either name.
    pattern = "zset-max-*-value"
    try:
        if isinstance(client, RedisCluster):
            found = await client.config_get(pattern, target_nodes=RedisCluster.ALL_NODES)
        else:
            found = await client.config_get(pattern)
    except RedisError:
        return None
    values = [
        value
        for answer in found.values()
        for value in (answer.values() if isinstance(answer, dict) else [answer])
    ]
    limits = [int(value) for value in values if str(value).isdigit()]
    return min(limits) if limits else None
