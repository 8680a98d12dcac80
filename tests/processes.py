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


def start_vigil(config: Path, role: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`vigil --config CONFIG run --role ROLE` with `env` over this process's environment."""
    command = [sys.executable, "-m", "monitor.cli", "--config", str(config), "run", "--role", role]
    return subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_for(check: Callable[[], bool], limit: float = 60.0) -> bool:
    """Poll until `check` holds; False if it never did within `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
