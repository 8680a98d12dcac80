"""Start-up that says what is wrong: an unreachable Redis or a busy dashboard port is one line
on stderr and a non-zero exit, for every command, with no password shown."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from monitor.demo_mail import free_port
from tests.processes import vigil_command, with_env, write_config

COMMANDS = (
    ("incidents", "list"),
    ("status",),
    ("users", "list"),
    ("run", "--role", "respond"),
)


def closed_port() -> int:
    return free_port()


def vigil(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        vigil_command(config, *args),
        env=with_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_redis_is_one_line_and_exit_2(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    port = closed_port()
    config = write_config(tmp_path / "vigil.yaml", {"sources": []})
    env = {"REDIS_URL": f"redis://:hunter2@127.0.0.1:{port}/0"}
    done = vigil(config, env, *command)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"redis://***@127.0.0.1:{port}/0" in line and "refused" in line.lower()
    assert "hunter2" not in done.stderr


def test_a_redis_url_with_a_bad_scheme_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path / "vigil.yaml", {"sources": []})
    done = vigil(config, {"REDIS_URL": "http://127.0.0.1:6379"}, "incidents", "list")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "http://127.0.0.1:6379" in line and "scheme" in line


def test_respond_stops_when_the_web_port_is_taken(tmp_path: Path, redis_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(
            tmp_path / "vigil.yaml", {"sources": [], "web": {"host": "127.0.0.1", "port": port}}
        )
        env = {"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "port-test", "VIGIL_SECRET_KEY": "k"}
        done = vigil(config, env, "run", "--role", "respond")
    assert done.returncode == 2
    lines = [line for line in done.stderr.strip().splitlines() if "running" not in line]
    assert lines == [
        f"vigil: the dashboard cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
