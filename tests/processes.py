"""Vigil as a real child process, for the tests that kill and restart it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def vigil_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor.cli", "--config", str(config), *args]


def with_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **env}


def start_vigil(config: Path, role: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`vigil --config CONFIG run --role ROLE` with `env` over this process's environment."""
    return subprocess.Popen(
        vigil_command(config, "run", "--role", role),
        env=with_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(check: Callable[[], bool], limit: float = 60.0) -> bool:
    """Poll until `check` holds; False if it never did within `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
