"""Ingest benchmark: 1,000,000 sshd lines through Vigil's full path, against fail2ban-regex.

    python -m bench.ingest [--lines N] [--detectors N] [--cluster] [--mixed]
                           [--save F | --against F]

Builds the log, runs `fail2ban-regex FILE sshd` on it, then Vigil's full path (parse,
Redis stream, detectors, incidents) as `vigil run --role ingest` and `--role detect` against
a fresh embedded Valkey, and prints lines per second and peak RSS of each. `--mixed` gives
Vigil the latency benchmark's mix instead (access log 70 %, audit log 20 %, sshd 10 %, as
three files) and compares it with fail2ban-regex's rate on the sshd log of the same size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import redis

from bench.latency import LOGS, TICK, Load
from monitor.store.keys import Keys
from monitor.store.local_cluster import start_cluster, stop_cluster

# Scanners try service and default names; staff log in with keys and now and then mistype.
GUESSED = ["root", "admin", "oracle", "ubuntu", "test", "deploy", "git", "postgres", "pi", "user"]
STAFF = ["hoa", "lan", "minh", "tuan", "thu", "quang"]


def build_log(path: Path, lines: int, seed: int = 7) -> None:
    """Mostly failed logins from many scanners, some staff logins, some other sshd noise."""
    rng = random.Random(seed)
    attackers = [f"203.0.{rng.randrange(113, 120)}.{rng.randrange(1, 255)}" for _ in range(3000)]
    offices = [f"192.0.2.{i}" for i in range(1, 60)]
    second = 0
    with path.open("w") as handle:
        for i in range(lines):
            second += rng.random() < 0.3
            day, rest = divmod(second, 86400)
            clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
            port = 1024 + i % 60000
            handle.write(
                f"Mar {1 + day % 28:2d} {clock} web-01 sshd[{1000 + i % 30000}]: "
                f"{message(rng, rng.choice(attackers), rng.choice(offices), port)}\n"
            )


def message(rng: random.Random, attacker: str, office: str, port: int) -> str:
    roll = rng.random()
    if roll < 0.70:
        user = rng.choice(GUESSED)
        invalid = "" if user == "root" else "invalid user "
        return f"Failed password for {invalid}{user} from {attacker} port {port} ssh2"
    if roll < 0.80:
        return f"Invalid user {rng.choice(GUESSED)} from {attacker} port {port}"
    if roll < 0.81:
        return f"Failed password for {rng.choice(STAFF)} from {office} port {port} ssh2"
    if roll < 0.85:
        return f"Accepted publickey for {rng.choice(STAFF)} from {office} port {port} ssh2"
    if roll < 0.95:
        return f"Connection closed by authenticating user root {attacker} port {port} [preauth]"
    return f"Received disconnect from {attacker} port {port}:11: Bye Bye [preauth]"


def build_mixed(folder: Path, lines: int) -> dict[Path, str]:
    """The latency benchmark's mix as three files, 5,000 lines a second of log time."""
    load = Load(5000, ssh_only=False)
    moment = datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=7)))
    handles = {name: (folder / name).open("w") for name in LOGS}
    try:
        for _ in range(lines // load.per_tick):
            for name, chunk in load.tick(moment).items():
                handles[name].write("".join(chunk))
            moment += timedelta(seconds=TICK)
    finally:
        for handle in handles.values():
            handle.close()
    return {folder / name: form for name, form in LOGS.items()}


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS in bytes of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {child.returncode}")
    return elapsed, usage.ru_maxrss * 1024


def run_vigil(
    logs: dict[Path, str],
    folder: Path,
    detectors: int = 1,
    cluster: bool = False,
    profile: Path | None = None,
) -> dict[str, Any]:
    """`vigil run --role ingest` and `--role detect` as processes, as deployed on two cores.

    Timed from their start until every line is read and every event has been processed and
    acknowledged by the detector worker.
    """
    from monitor.store import embedded

    if cluster:
        url, nodes = start_cluster(folder / "cluster", 17300)
        client = redis.RedisCluster.from_url(url)
    else:
        url = embedded.ensure_server(folder / "redis")
        client = redis.Redis.from_url(url)
    config = folder / "vigil.yaml"
    config.write_text(
        json.dumps(
            {
                "sources": [
                    {"path": str(log), "format": form, "start_at": "beginning"}
                    for log, form in logs.items()
                ],
            }
        )
    )
    env = {**os.environ, "REDIS_URL": url, "VIGIL_REDIS_PREFIX": "bench"}
    keys = Keys("bench")
    expected = {log: line_count(log) for log in logs}  # counted once, not at every poll
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "--config", str(config), "run", "--role", role],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for role in ("ingest", *["detect"] * detectors)
    ]
    spies = profiled(children[:2], profile) if profile else []
    try:
        while not finished(client, keys, expected):
            if any(child.poll() is not None for child in children):
                raise RuntimeError("a Vigil process exited early")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        peaks, cpu = [], []
        for child in children:
            child.send_signal(signal.SIGTERM)
            _, _, usage = os.wait4(child.pid, 0)
            child.returncode = 0
            peaks.append(usage.ru_maxrss * 1024)
            cpu.append(usage.ru_utime + usage.ru_stime)
        cpu.append(server_cpu(client))
        memory = server_memory(client)
        incidents = incident_set(client, keys)
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
        client.close()
        for spy in spies:
            spy.wait(timeout=60)
        if cluster:
            stop_cluster(nodes)
        else:
            embedded.release_server(folder / "redis")
    return {
        "seconds": elapsed,
        "lines": sum(expected.values()),
        "ingest_rss": peaks[0],
        "detect_rss": max(peaks[1:]),
        "ingest_cpu": cpu[0],
        "detect_cpu": sum(cpu[1:-1]),
        "valkey_cpu": cpu[-1],
        "incidents": incidents,
        "redis_peak_bytes": memory,
    }


Process = subprocess.Popen[bytes]


def profiled(children: list[Process], folder: Path) -> list[Process]:
    """py-spy on the ingest and the first detect process until they exit: collapsed stacks
    for `python -m bench.stages`, and a flame graph of each."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return [
        subprocess.Popen(
            [spy, "record", "--pid", str(child.pid), "--rate", "50", "--nonblocking"]
            + ["--format", form, "--output", str(folder / f"{role}.{suffix}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for child, role in zip(children, ("ingest", "detect"), strict=True)
        for form, suffix in (("raw", "txt"), ("flamegraph", "svg"))
    ]


Incident = tuple[str, str, str, str, str, int]


def incident_set(client: redis.Redis, keys: Keys) -> frozenset[Incident]:
    """Every incident as (id, detector, entities, first seen, last seen, event count): what
    two runs over one log must agree on, whatever ran them."""
    found = []
    for raw in client.zrange(keys.incident_index("all"), 0, -1):
        fields = client.hgetall(keys.incident(raw.decode()))
        text = {name.decode(): value.decode() for name, value in fields.items()}
        found.append(
            (
                text["id"],
                text["detector"],
                text["entities"],
                text["first_seen"],
                text["last_seen"],
                int(text["event_count"]),
            )
        )
    return frozenset(found)


def each_node(client: redis.Redis, section: str) -> list[dict[str, Any]]:
    if isinstance(client, redis.RedisCluster):
        found = client.info(section, target_nodes=redis.RedisCluster.ALL_NODES)
        return list(found.values())
    return [client.info(section)]


def server_cpu(client: redis.Redis) -> float:
    """CPU seconds of the server, or of every node of a cluster."""
    nodes = each_node(client, "cpu")
    return float(sum(n["used_cpu_user"] + n["used_cpu_sys"] for n in nodes))


def server_memory(client: redis.Redis) -> int:
    nodes = each_node(client, "memory")
    return sum(int(n["used_memory_peak"]) for n in nodes)


def finished(client: redis.Redis, keys: Keys, expected: dict[Path, int]) -> bool:
    """Every line read, and the detect group has acknowledged every stream entry."""
    for log, lines in expected.items():
        read = int(client.hget(keys.source_stats, f"{log}|lines") or 0)
        if read < lines:
            return False
    groups = client.xinfo_groups(keys.events)
    return bool(groups) and groups[0]["lag"] == 0 and groups[0]["pending"] == 0


def write_costs(folder: Path, lines: int, result: dict[str, Any]) -> None:
    """What `python -m bench.stages` needs besides the stacks: lines and CPU-seconds."""
    cpu = {name: result[f"{name}_cpu"] for name in ("ingest", "detect", "valkey")}
    (folder / "run.json").write_text(json.dumps({"lines": lines, "cpu": cpu}))


def line_count(log: Path) -> int:
    with log.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--detectors", type=int, default=1, help="detect processes")
    parser.add_argument("--cluster", action="store_true", help="a local 3+3 Redis Cluster")
    parser.add_argument("--mixed", action="store_true", help="access, audit and sshd logs")
    parser.add_argument("--profile", type=Path, help="py-spy the processes into this folder")
    parser.add_argument("--save", type=Path, help="write the incidents found to this file")
    parser.add_argument(
        "--against", type=Path, help="fail unless the incidents equal those --save wrote"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as folder:
        log = Path(folder) / "auth.log"
        build_log(log, args.lines)
        print(f"log: {args.lines:,} lines, {log.stat().st_size / 2**20:.0f} MiB")
        logs = {log: "sshd"}
        if args.mixed:
            mixed = Path(folder) / "mixed"
            mixed.mkdir()
            logs = build_mixed(mixed, args.lines)
            shares = ", ".join(f"{p.name} {line_count(p):,}" for p in logs)
            print(f"mixed: {shares} lines")
        f2b = shutil.which("fail2ban-regex")
        f2b_seconds = 0.0
        if f2b:
            f2b_seconds, f2b_rss = measure([f2b, str(log), "sshd"])
            report("fail2ban-regex", args.lines, f2b_seconds, f2b_rss)
        runs = sorted({1, args.detectors})
        results = {}
        for detectors in runs:
            place = Path(folder) / f"detect-{detectors}"  # a fresh Valkey for each run
            place.mkdir()
            profile = args.profile if detectors == 1 else None
            result = run_vigil(logs, place, detectors, args.cluster, profile)
            results[detectors] = result
            if profile:
                write_costs(profile, result["lines"], result)
            show(f"vigil, {detectors} detect", args.lines, result)
            if f2b:
                ratio = f2b_seconds / result["seconds"]
                print(f"ratio: {ratio:.2f}x fail2ban-regex's lines per second")
        if len(runs) > 1 and not compare(
            results[1]["incidents"], results[args.detectors]["incidents"]
        ):
            sys.exit(f"FAILED: {args.detectors} detect processes raised other incidents than one")
        found = results[1]["incidents"]
        if args.save:
            args.save.write_text(json.dumps(sorted(found)))
        if args.against and not same_as_saved(args.against, found):
            sys.exit(f"FAILED: other incidents than {args.against} holds")


def same_as_saved(saved: Path, found: frozenset[Incident]) -> bool:
    """Whether a run found the incidents another one (an older commit's) saved: how a
    change meant only to be faster shows it detects what it did."""
    expected = frozenset(tuple(incident) for incident in json.loads(saved.read_text()))
    if expected == found:
        print(f"incidents equal to {saved}: the same {len(found):,}, times and counts")
        return True
    print(f"INCIDENTS DIFFER ({saved}, then this run):")
    for line in differences(expected, found)[:40]:
        print(f"  {line}")
    return False


def show(name: str, lines: int, result: dict[str, Any]) -> None:
    peak = max(result["ingest_rss"], result["detect_rss"])
    report(name, lines, result["seconds"], int(peak))
    print(
        f"  ingest process {result['ingest_rss'] / 2**20:.0f} MiB, detect process "
        f"{result['detect_rss'] / 2**20:.0f} MiB, Valkey peak "
        f"{result['redis_peak_bytes'] / 2**20:.0f} MiB; {len(result['incidents']):,} incidents"
    )
    print(
        f"  CPU seconds: ingest {result['ingest_cpu']:.1f}, detect {result['detect_cpu']:.1f}"
        f", Valkey {result['valkey_cpu']:.1f}"
    )


def compare(alone: frozenset[Incident], together: frozenset[Incident]) -> bool:
    """Print whether two runs raised the same incidents with the same counts, and how not."""
    if alone == together:
        print(f"incidents equal: the same {len(alone):,} incidents, times and counts")
        return True
    print("INCIDENTS DIFFER (one process, then several):")
    for line in differences(alone, together)[:40]:
        print(f"  {line}")
    return False


def differences(expected: frozenset[Incident], found: frozenset[Incident]) -> list[str]:
    """Each incident the two sets disagree on, as the first has it and the second."""
    wanted = {incident[0]: incident for incident in expected}
    got = {incident[0]: incident for incident in found}
    return [
        f"{wanted.get(incident_id)} -> {got.get(incident_id)}"
        for incident_id in sorted(wanted.keys() | got.keys())
        if wanted.get(incident_id) != got.get(incident_id)
    ]


def report(name: str, lines: int, seconds: float, rss: int) -> None:
    print(
        f"{name:20} {lines / seconds:10,.0f} lines/s  {seconds:7.1f} s  "
        f"peak RSS {rss / 2**20:6.0f} MiB"
    )


if __name__ == "__main__":
    main()
