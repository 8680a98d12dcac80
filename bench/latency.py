"""End-to-end latency under a steady load: a line appended to its incident stored.

    python -m bench.latency [--rate 5000] [--seconds 60] [--ssh-only]

Runs `vigil run --role ingest` and `--role detect` against a fresh embedded Valkey and appends
lines at a steady rate to three watched files: the web server's access log (70 %), the
website's audit log (20 %: customers reading their records) and the sshd log (10 %:
scanners). `--ssh-only` makes every line a scanner's failed password instead, the worst case
for the login windows. Every half second comes a probe: five failed passwords from a fresh
address, whose fifth line crosses the brute-force threshold. A probe's latency runs from the
write of that line to the `created` entry of its incident on the change stream (both on this
machine's clock). It also prints how far detection ran behind (the backlog: the oldest entry
the detect group had not finished) every LAG_EVERY seconds of the load and at its end, and
the CPU-seconds each process used (ingest, detect, Valkey): on a shared machine the
latencies are noise, the CPU-seconds much less so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
import redis.asyncio as aioredis

from monitor.lag import seconds_behind
from monitor.store import embedded
from monitor.store.keys import Keys

TICK = 0.01  # seconds between writes
PROBE_EVERY = 0.5
LAG_EVERY = 10.0  # seconds between two looks at how far detection runs behind
LOGS = {"auth.log": "sshd", "audit.json": "ecs", "access.log": "nginx"}
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"


def ssh_line(moment: datetime, ip: str, user: str, port: int) -> str:
    stamp = moment.strftime("%b %e %H:%M:%S")
    return (
        f"{stamp} web-01 sshd[{port % 30000}]: "
        f"Failed password for {user} from {ip} port {port} ssh2\n"
    )


def access_line(moment: datetime, ip: str, n: int) -> str:
    stamp = moment.strftime("%d/%b/%Y:%H:%M:%S %z")
    return f'{ip} - - [{stamp}] "GET /tracking/{n} HTTP/1.1" 200 5120 "-" "{AGENT}"\n'


def audit_line(moment: datetime, customer: int, ip: str) -> str:
    document = {
        "@timestamp": moment.isoformat(),
        "event": {"action": "customer-record-view"},
        "user": {"name": f"cust-{customer}"},
        "source": {"ip": ip},
        "labels": {"customer_id": f"C-{customer}", "session_id": f"s-{customer}"},
    }
    return json.dumps(document) + "\n"


class Load:
    """The lines of one tick, by file."""

    def __init__(self, rate: int, ssh_only: bool) -> None:
        self.rng = random.Random(5)
        rng = self.rng
        self.scanners = [
            f"203.0.{rng.randrange(113, 120)}.{rng.randrange(1, 255)}" for _ in range(2000)
        ]
        self.clients = [
            f"14.{rng.randrange(160, 192)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            for _ in range(20_000)
        ]
        # A roll below the first bound is an sshd line, below the second an audit line.
        self.bounds = (1.0, 1.0) if ssh_only else (0.1, 0.3)
        self.per_tick = max(1, int(rate * TICK))
        self.n = 0

    def tick(self, moment: datetime) -> dict[str, list[str]]:
        chunks: dict[str, list[str]] = {name: [] for name in LOGS}
        rng = self.rng
        for _ in range(self.per_tick):
            self.n += 1
            roll = rng.random()
            if roll < self.bounds[0]:
                user = rng.choice(["root", "admin", "oracle"])
                # A TCP port: past 65535 the parser dead-letters the line, and the flood is gone.
                port = 1024 + self.n % 60000
                chunks["auth.log"].append(ssh_line(moment, rng.choice(self.scanners), user, port))
            elif roll < self.bounds[1]:
                who = rng.randrange(len(self.clients))
                chunks["audit.json"].append(audit_line(moment, 100_000 + who, self.clients[who]))
            else:
                chunks["access.log"].append(access_line(moment, rng.choice(self.clients), self.n))
        return chunks


def drive(folder: Path, load: Load, seconds: float) -> tuple[dict[str, float], float]:
    """Write every tick's lines and the probes: probe ip -> write time, and the rate reached."""
    probes: dict[str, float] = {}
    started = time.perf_counter()
    next_probe, ticks = started + 1.0, 0
    handles = {name: (folder / name).open("a") for name in LOGS}
    try:
        while (now := time.perf_counter()) - started < seconds:
            moment = datetime.now().astimezone()
            chunks = load.tick(moment)
            probe = None
            if now >= next_probe:
                probe = f"198.18.{len(probes) // 250}.{len(probes) % 250 + 1}"
                chunks["auth.log"] += [ssh_line(moment, probe, "root", 40000 + k) for k in range(5)]
                next_probe += PROBE_EVERY
            for name, chunk in chunks.items():
                if chunk:
                    handles[name].write("".join(chunk))
                    handles[name].flush()
            if probe is not None:
                probes[probe] = time.time()
            ticks += 1
            pause = started + ticks * TICK - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
    finally:
        for handle in handles.values():
            handle.close()
    return probes, ticks * load.per_tick / (time.perf_counter() - started)


def latencies(
    client: redis.Redis, keys: Keys, probes: dict[str, float]
) -> list[tuple[float, float]]:
    """Each probe's write time and seconds from it to its incident's `created` change."""
    found = []
    for entry_id, fields in client.xrange(keys.incident_changes):
        if fields[b"state"] != b"created":
            continue
        stored = int(entry_id.split(b"-")[0]) / 1000
        incident = client.hgetall(keys.incident(fields[b"id"].decode()))
        ip = json.loads(incident.get(b"entities", b"{}")).get("ip")
        if ip in probes:
            found.append((probes[ip], stored - probes[ip]))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU-seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def valkey_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def behind(url: str, keys: Keys) -> float:
    client = aioredis.from_url(url)
    try:
        return await seconds_behind(client, keys, datetime.now(UTC))
    finally:
        await client.aclose()


def watch_lag(url: str, keys: Keys, stop: threading.Event, seen: list[float]) -> None:
    """Every LAG_EVERY seconds until `stop`: how far detection runs behind, into `seen`."""
    while not stop.wait(LAG_EVERY):
        seen.append(asyncio.run(behind(url, keys)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=5000, help="lines a second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ssh-only", action="store_true", help="every line a scanner's")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-latency-") as scratch:
        folder = Path(scratch)
        for name in LOGS:
            (folder / name).touch()
        url = embedded.ensure_server(folder / "redis")
        sources = [
            {"path": str(folder / name), "format": form, "start_at": "beginning"}
            for name, form in LOGS.items()
        ]
        (folder / "vigil.yaml").write_text(json.dumps({"sources": sources}))
        env = {**os.environ, "REDIS_URL": url, "VIGIL_REDIS_PREFIX": "latency"}
        command = [sys.executable, "-m", "monitor.cli", "--config", str(folder / "vigil.yaml")]
        children = [
            subprocess.Popen(
                [*command, "run", "--role", role],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for role in ("ingest", "detect")
        ]
        client = redis.Redis.from_url(url)
        try:
            time.sleep(3)  # both processes up
            before = [cpu_seconds(child.pid) for child in children] + [valkey_cpu(client)]
            lags: list[float] = []
            stop = threading.Event()
            watcher = threading.Thread(target=watch_lag, args=(url, Keys("latency"), stop, lags))
            watcher.start()
            probes, reached = drive(folder, Load(args.rate, args.ssh_only), args.seconds)
            after = [cpu_seconds(child.pid) for child in children] + [valkey_cpu(client)]
            stop.set()
            watcher.join()
            lags.append(asyncio.run(behind(url, Keys("latency"))))
            time.sleep(3)  # the last probes land
            found = latencies(client, Keys("latency"), probes)
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=30)
            client.close()
            embedded.release_server(folder / "redis")
    ms = sorted(1000 * value for _, value in found)
    kind = "sshd only" if args.ssh_only else "access 70 %, audit 20 %, sshd 10 %"
    print(
        f"{reached:,.0f} lines/s ({kind}) for {args.seconds:.0f} s: {len(probes)} probes, "
        f"{len(ms)} incidents"
    )
    used = ", ".join(
        f"{name} {(end - start) / args.seconds:.2f}"
        for name, start, end in zip(("ingest", "detect", "valkey"), before, after, strict=True)
    )
    print(f"CPU-seconds per second of load: {used}")
    print(
        f"detection behind the logs every {LAG_EVERY:.0f} s, then at the end: "
        + ", ".join(f"{lag:.1f}" for lag in lags)
        + " s"
    )
    if len(ms) > 1:
        p99 = statistics.quantiles(ms, n=100, method="inclusive")[98]
        print(
            f"line written -> incident stored: p50 {statistics.median(ms):.0f} ms, "
            f"p99 {p99:.0f} ms, max {ms[-1]:.0f} ms"
        )
        start = min(probes.values())
        slowest = sorted(found, key=lambda pair: -pair[1])[:5]
        print(
            "slowest probes (written s into the load: ms): "
            + ", ".join(f"{at - start:.1f}: {1000 * took:.0f}" for at, took in slowest)
        )


if __name__ == "__main__":
    main()
