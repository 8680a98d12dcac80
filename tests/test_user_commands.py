"""`vigil users`: role changes, new passwords and unlocking, as the directory's keeper runs
them; each one lands in the audit log and open sessions follow."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import redis.asyncio as aioredis

from monitor.dashboard.sessions import Sessions
from monitor.dashboard.throttle import Throttle
from monitor.dashboard.users import Role, Users
from monitor.store.keys import Keys
from tests.processes import vigil_command, with_env, write_config

PREFIX = "users-test"
PASSWORD = "correct horse battery staple"


async def vigil(config: Path, redis_url: str, *args: str, given: str = "") -> str:
    env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": PREFIX}
    done = await asyncio.to_thread(
        subprocess.run,
        vigil_command(config, "users", *args),
        input=given,
        env=with_env(env),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def test_set_role_passwd_and_unlock(
    redis: aioredis.Redis, redis_url: str, tmp_path: Path
) -> None:
    keys = Keys(PREFIX)
    users, sessions = Users(redis, keys), Sessions(redis, keys, Users(redis, keys))
    config = write_config(tmp_path / "vigil.yaml", {"sources": []})
    await users.add("lan", Role.ONCALL, PASSWORD)
    cookie = await sessions.login("lan", PASSWORD, "192.0.2.1", 0)

    assert "now viewer" in await vigil(config, redis_url, "set-role", "lan", "--role", "viewer")
    session = await sessions.get(cookie)
    assert session is not None and session.principal.role is Role.VIEWER

    for _ in range(5):
        await Throttle(redis, keys).failed("lan", "198.51.100.9", 0)
    assert await Throttle(redis, keys).wait_ms("lan", "198.51.100.9", 0) > 0
    assert "1 address" in await vigil(config, redis_url, "unlock", "lan")
    assert await Throttle(redis, keys).wait_ms("lan", "198.51.100.9", 0) == 0

    await vigil(config, redis_url, "passwd", "lan", "--password-stdin", given="a whole new one\n")
    assert await sessions.get(cookie) is None
    assert (await users.login("lan", "a whole new one")).role is Role.VIEWER
    audit = [e[b"action"] for _, e in await redis.xrange(keys.users("audit"))]
    assert audit == [b"user role set to viewer", b"user unlocked", b"user password changed"]
