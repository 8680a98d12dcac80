"""A local Redis Cluster for tests and benchmarks: three masters, three replicas, from the
embedded Valkey binary on loopback ports."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from monitor.store.embedded import TUNING, server_environment, valkey_binary

SLOTS = ((0, 5460), (5461, 10922), (10923, 16383))


def node(port: int) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)


def wait_for(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise TimeoutError("the cluster did not form")


def start_cluster(folder: Path, base: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """Six nodes on loopback ports base..base+5, slots split over the first three."""
    ports = list(range(base, base + 6))
    processes = []
    for port in ports:
        directory = folder / f"node-{port}"
        directory.mkdir(parents=True)
        arguments = ["--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes"]
        arguments += ["--cluster-config-file", str(directory / "nodes.conf")]
        arguments += ["--dir", str(directory), "--appendonly", "yes", "--save", ""]
        for name, value in TUNING.items():
            arguments += [f"--{name}", str(value)]
        processes.append(
            subprocess.Popen(
                [valkey_binary(), *arguments],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=server_environment(),
            )
        )
    for port in ports:
        wait_for(node(port).ping)
    for port, (first, last) in zip(ports[:3], SLOTS, strict=True):
        node(port).execute_command("CLUSTER ADDSLOTSRANGE", first, last)
    for port in ports[1:]:
        node(ports[0]).execute_command("CLUSTER MEET", "127.0.0.1", port)
    wait_for(lambda: all(len(nodes_of(port)) == 6 for port in ports))
    for replica, master in zip(ports[3:], ports[:3], strict=True):
        master_id = node(master).execute_command("CLUSTER MYID").decode()
        node(replica).execute_command("CLUSTER REPLICATE", master_id)
    wait_for(lambda: all(state_ok(port) for port in ports))
    return f"redis://127.0.0.1:{base}", processes


def nodes_of(port: int) -> dict[str, object]:
    found: dict[str, object] = node(port).execute_command("CLUSTER NODES")
    return found


def state_ok(port: int) -> bool:
    info = node(port).execute_command("CLUSTER INFO")
    return str(info.get("cluster_state")) == "ok"


def stop_cluster(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
