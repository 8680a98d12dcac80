"""`vigil breach` as the officer uses it: declare, file the signed form, status, verify."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.settings import Settings
from tests.mailbox import Mailbox
from tests.processes import vigil_command, with_env
from tests.test_breach_restart import Setup


def vigil(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        vigil_command(setup.config, "breach", *args),
        env=with_env(setup.env),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
async def test_filed_on_time_then_a_rewritten_record_fails_verify(
    tmp_path: Path, redis_url: str, settings: Settings, smtp: tuple[Mailbox, int]
) -> None:
    setup = Setup(tmp_path, redis_url, "cli", smtp[1])
    redis = await setup.clean()
    breach_id = await setup.declare(settings, 3, {})
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    filed = vigil(setup, "filed", breach_id, "--phase", "1", "--at", at, "--reference", "0142")
    assert filed.returncode == 0 and "phase 1 filed on time" in filed.stdout
    status = vigil(setup, "status", breach_id)
    assert "authority  phase 1: filed on time" in status.stdout
    assert vigil(setup, "verify", breach_id).returncode == 0
    await redis.rpop(f"cli:breach:{{{breach_id}}}:record")  # the last entry, deleted
    broken = vigil(setup, "verify", breach_id)
    assert broken.returncode == 1 and "the last entry is not the stored head" in broken.stdout
    await redis.aclose()
