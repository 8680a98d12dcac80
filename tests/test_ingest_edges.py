"""The smaller edges of ingest: a config that is not UTF-8, an IPv6 zone id, and the stream's
cap dropping lines nobody read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import redis.asyncio as aioredis

from monitor.pipeline.ingest import Ingest
from monitor.service import Vigil
from monitor.settings import Settings
from monitor.status import collect
from monitor.store.keys import Keys
from tests.processes import vigil_command, with_env
from tests.test_faults import numbered
from tests.test_pipeline import stream_events, with_source


def test_a_config_file_that_is_not_utf8_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    config = tmp_path / "vigil.yaml"
    config.write_bytes("smtp:\n  sender: Công ty ALS <noc@als.vn>\n".encode("cp1252"))
    result = subprocess.run(vigil_command(config, "status"), capture_output=True, text=True)
    assert result.returncode == 2
    assert f"{config}: line 2: not UTF-8 (byte 0xf4)" in result.stderr
    assert "Traceback" not in result.stderr


def test_failed_logins_from_a_link_local_address_with_a_zone_count_for_that_address(
    tmp_path: Path, redis_url: str
) -> None:
    """The website's audit log writes fe80::1%eth0: nine failures from it are a brute force
    from fe80::1, the address sshd's lines name too."""
    audit = tmp_path / "audit.json"
    audit.write_text(
        "".join(
            json.dumps(
                {
                    "@timestamp": f"2026-03-01T02:00:0{n}Z",
                    "event": {"action": "user-login", "outcome": "failure"},
                    "user": {"name": f"user{n}"},
                    "source": {"ip": "fe80::1%eth0"},
                }
            )
            + "\n"
            for n in range(1, 10)
        )
    )
    config = tmp_path / "vigil.yaml"
    config.write_text("sources: []\n")
    scan = subprocess.run(
        vigil_command(config, "scan", "--format", "ecs", str(audit), "--json"),
        env=with_env({"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "zone-id"}),
        capture_output=True,
        text=True,
        check=True,
    )
    addresses = {json.loads(line)["entities"].get("ip") for line in scan.stdout.splitlines()}
    assert addresses == {"fe80::1"}


async def test_the_stream_cap_counts_lines_and_says_what_it_dropped_unread(
    redis: aioredis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    """A cap of 1,000 lines and no worker reading: the oldest 500 lines go and are counted;
    once the group has read them, the next cut counts nothing."""
    log = tmp_path / "auth.log"
    log.write_text(numbered(0, 1500))
    configured = with_source(settings, log, batch_lines=500, stream_maxlen=1000)
    await redis.xgroup_create(keys.events, "detect", id="0", mkstream=True)
    ingest = Ingest(redis, keys, configured)
    await ingest.start()
    while await ingest.step():
        pass
    ports = sorted(event.source_port or 0 for event in await stream_events(redis, keys))
    assert ports == list(range(500, 1500))  # 1,000 lines: the cap is in lines, not entries
    await redis.xreadgroup("detect", "w1", {keys.events: ">"})  # read, not yet acknowledged
    log.write_text(log.read_text() + numbered(1500, 500))
    while await ingest.step():
        pass
    report = await collect(Vigil(configured, redis, keys, None, ""))  # type: ignore[arg-type]
    assert report["stream"]["trimmed_unread"] == 500
    assert len(await stream_events(redis, keys)) == 1000
