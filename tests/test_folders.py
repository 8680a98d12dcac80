"""Watched folders: a baseline, then each change, creation, deletion and export drop as events."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import redis.asyncio as aioredis

from monitor.pipeline.folder_watch import watch_folders
from monitor.settings import FolderSettings, load_settings
from monitor.sources.folders import look
from monitor.store.keys import Keys
from monitor.wire import decode_events


def test_first_look_is_a_baseline_then_changes_are_events(tmp_path: Path) -> None:
    site, exports = tmp_path / "www", tmp_path / "exports"
    site.mkdir()
    exports.mkdir()
    (site / "index.php").write_text("<?php echo 'hello';")
    (site / "config.php").write_text("<?php $db = 'als';")
    settings = FolderSettings(integrity=(str(site),), exports=(str(exports),))
    baseline = look(settings, {}, first=True)
    assert baseline.events == () and len(baseline.seen) == 2

    (site / "index.php").write_text("<?php eval($_POST['x']);")
    os.utime(site / "index.php", ns=(1, 2))  # a different mtime, whatever the clock
    (site / "shell.php").write_text("<?php system($_GET['c']);")
    (site / "config.php").unlink()
    rows = "\n".join(f"{n},khach{n}@example.com,09{n:08d}" for n in range(150))
    (exports / "dump.csv").write_text(rows)
    scan = look(settings, baseline.seen, first=False)
    by_path = {os.path.basename(e.file_path or ""): e for e in scan.events}
    assert by_path["index.php"].action == "file-changed"
    assert (
        by_path["index.php"].extra["file.previous_hash"]
        != by_path["index.php"].extra["file.hash.sha256"]
    )
    assert by_path["shell.php"].action == "file-created"
    assert by_path["config.php"].action == "file-deleted"
    assert by_path["dump.csv"].action == "export-file-created"
    assert by_path["dump.csv"].extra["labels.email_count"] == 150
    assert by_path["dump.csv"].extra["labels.phone_count"] == 150


async def test_the_watcher_commits_a_change_to_the_stream(
    redis: aioredis.Redis, tmp_path: Path
) -> None:
    site = tmp_path / "www"
    site.mkdir()
    (site / "index.php").write_text("<?php echo 'hello';")
    settings = load_settings(None, {}).model_copy(
        update={
            "folders": FolderSettings(integrity=(str(site),), poll_interval=timedelta(seconds=0.2))
        }
    )
    keys, stop = Keys("vigil"), asyncio.Event()
    task = asyncio.create_task(watch_folders(redis, keys, settings, stop))
    while not await redis.hexists(keys.folder_files, str(site / "index.php")):
        await asyncio.sleep(0.05)
    (site / "index.php").write_text("<?php eval($_POST['x']);")
    while not await redis.xlen(keys.events):
        await asyncio.sleep(0.05)
    stop.set()
    await task
    (entry,) = await redis.xrange(keys.events)
    (event,) = decode_events(entry[1][b"events"])
    assert event.action == "file-changed" and event.file_path == str(site / "index.php")
