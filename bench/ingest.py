"""Ingest benchmark: 1,000,000 sshd lines through Vigil's full path, against fail2ban-regex.

    python -m bench.ingest [--lines N] [--keep DIR]

Builds the log, runs `fail2ban-regex FILE sshd` on it, then Vigil (parse, Redis stream,
detectors, incidents) in a child process against a fresh embedded Valkey, and prints
lines per second and peak RSS of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USERS = ["root", "admin", "oracle", "ubuntu", "test", "deploy", "git", "postgres", "hoa", "lan"]


def build_log(path: Path, lines: int, seed: int = 7) -> None:
    """Mostly failed logins from many scanners, some accepted logins, some other sshd noise."""
    rng = random.Random(seed)
    attackers = [f"203.0.{rng.randrange(113, 120)}.{rng.randrange(1, 255)}" for _ in range(3000)]
    staff = [f"192.0.2.{i}" for i in range(1, 60)]
    second = 0
    with path.open("w") as handle:
        for i in range(lines):
            second += rng.random() < 0.3
            day, rest = divmod(second, 86400)
            stamp = (
                f"Mar {1 + day % 28:2d} {rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
            )
            roll = rng.random()
            ip = rng.choice(attackers)
            if roll < 0.70:
                user = rng.choice(USERS)
                invalid = "invalid user " if user not in ("root", "hoa", "lan") else ""
                message = (
                    f"Failed password for {invalid}{user} from {ip} port {1024 + i % 60000} ssh2"
                )
            elif roll < 0.80:
                message = f"Invalid user {rng.choice(USERS)} from {ip} port {1024 + i % 60000}"
            elif roll < 0.85:
                who = rng.choice(staff)
                message = f"Accepted publickey for {rng.choice(USERS[-2:])} from {who} port 22 ssh2"
            elif roll < 0.95:
                message = f"Connection closed by authenticating user root {ip} port 22 [preauth]"
            else:
                message = f"Received disconnect from {ip} port 22:11: Bye Bye [preauth]"
            handle.write(f"{stamp} web-01 sshd[{1000 + i % 30000}]: {message}\n")


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes and stdout of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {child.returncode}")
    return elapsed, usage.ru_maxrss * 1024, output


async def run_vigil(log: Path, data_dir: Path) -> dict[str, float]:
    """Ingest and detect in this process until every line is an event processed by a worker."""
    from monitor.pipeline.ingest import Ingest
    from monitor.service import open_vigil
    from monitor.settings import SourceSettings, load_settings

    settings = load_settings(None, {"VIGIL_DATA_DIR": str(data_dir)})
    settings = settings.model_copy(update={"sources": (SourceSettings(path=str(log)),)})
    async with open_vigil(settings) as vigil:
        ingest = Ingest(vigil.redis, vigil.keys, settings)
        await ingest.start()
        worker = vigil.worker()
        await worker.ensure_group()
        started = time.perf_counter()
        while await ingest.step():
            while await worker.step(block=False):
                pass
        while await worker.step(block=False):
            pass
        elapsed = time.perf_counter() - started
        await worker.trim()
        info = await vigil.redis.info("memory")
        incidents = await vigil.redis.zcard(vigil.keys.incident_index("all"))
    return {
        "seconds": elapsed,
        "lines": ingest.counts["lines"],
        "events": worker.processed,
        "incidents": incidents,
        "redis_peak_bytes": info["used_memory_peak"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--vigil-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.vigil_only:
        with tempfile.TemporaryDirectory(prefix="vigil-bench-redis-") as data_dir:
            print(json.dumps(asyncio.run(run_vigil(args.vigil_only, Path(data_dir)))))
        return
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as folder:
        log = Path(folder) / "auth.log"
        build_log(log, args.lines)
        print(f"log: {args.lines:,} lines, {log.stat().st_size / 2**20:.0f} MiB")
        f2b = shutil.which("fail2ban-regex")
        f2b_seconds = 0.0
        if f2b:
            f2b_seconds, f2b_rss, _ = measure([f2b, str(log), "sshd"])
            report("fail2ban-regex", args.lines, f2b_seconds, f2b_rss)
        _, rss, output = measure([sys.executable, "-m", "bench.ingest", "--vigil-only", str(log)])
        result = json.loads(output)
        report("vigil (full path)", args.lines, result["seconds"], rss)
        print(
            f"  events processed {result['events']:,}, incidents {result['incidents']:,}, "
            f"Redis peak memory {result['redis_peak_bytes'] / 2**20:.0f} MiB"
        )
        if f2b:
            ratio = f2b_seconds / result["seconds"]
            print(f"ratio: {ratio:.2f}x fail2ban-regex's lines per second")


def report(name: str, lines: int, seconds: float, rss: int) -> None:
    print(
        f"{name:20} {lines / seconds:10,.0f} lines/s  {seconds:7.1f} s  "
        f"peak RSS {rss / 2**20:6.0f} MiB"
    )


if __name__ == "__main__":
    main()
