"""What stops a command from starting, said in one line: an unreachable Redis, a busy port."""

from __future__ import annotations

import os
import socket

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from monitor.settings import Settings
from monitor.store.connection import display_url

EXIT_STATUS = 2


class StartupFailure(Exception):
    """A part Vigil needs is not there; the message is the one line the user sees."""


async def check_redis(settings: Settings) -> None:
    """REDIS_URL answers a PING (the embedded server is started by `connect` instead)."""
    if settings.redis.url is None:
        return
    shown = display_url(settings)
    try:
        client = Redis.from_url(
            settings.redis.url.get_secret_value(), socket_connect_timeout=5, socket_timeout=5
        )
    except ValueError as error:
        raise StartupFailure(f"cannot use REDIS_URL {shown}: {error}") from None
    try:
        await client.ping()
    except (RedisConnectionError, RedisTimeoutError, OSError) as error:
        raise StartupFailure(f"cannot reach Redis at {shown}: {reason(error)}") from None
    finally:
        await client.aclose()


def reason(error: BaseException) -> str:
    """The system's words for a failed connection (redis-py's message names only errno)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno)
        cause = cause.__cause__ or cause.__context__
    return str(error)


def listening_socket(host: str, port: int) -> socket.socket:
    """The dashboard's socket, bound now: a port in use stops the respond role at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise StartupFailure(
            f"the dashboard cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def failure_in(error: BaseException) -> str | None:
    """The one-line reason a command stopped, found inside task groups; None if unexpected."""
    if isinstance(error, StartupFailure):
        return str(error)
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return f"lost Redis: {error}"
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = failure_in(inner)
            if found is not None:
                return found
    return None
