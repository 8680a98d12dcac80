"""Detection that neither timing nor crashes change: 1, 2 and 4 detect processes with random
sleeps between their steps, one stopped past claim_idle, kill -9 of one and of Valkey at
random moments; every run raises exactly the incidents, times and counts `vigil scan` does."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from bench.ingest import Incident, build_log, differences, incident_set
from monitor.store import embedded
from monitor.store.keys import Keys
from tests.processes import start_vigil, vigil_command, wait_for, with_env, write_config

LINES = 10_000
CLAIM_IDLE = 1.0
KEYS = Keys("replay")
Fault = Callable[["Run", tuple[float, float]], None]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "auth.log"
    build_log(path, LINES, seed=3)
    return path


@pytest.fixture(scope="module")
def scanned(log: Path, redis_url: str) -> frozenset[Incident]:
    """What `vigil scan` of the log raises (its own key prefix on the session's Valkey)."""
    config = write_config(log.parent / "scan.yaml", {})
    env = with_env({"REDIS_URL": redis_url, "VIGIL_REDIS_PREFIX": "scanned"})
    command = vigil_command(config, "scan", "--format", "sshd", str(log), "--json")
    subprocess.run(command, env=env, check=True, capture_output=True)
    client = redis.Redis.from_url(redis_url)
    try:
        found = incident_set(client, Keys("scanned"))
    finally:
        client.close()
    assert len(found) > 50, "the log's scanners raise incidents"
    assert any(incident[5] > 20 for incident in found), "and their incidents go on"
    return found


class Run:
    """A Valkey of its own, the log streamed into it, and detect processes draining it."""

    def __init__(self, log: Path, folder: Path, workers: int, seed: int) -> None:
        self.folder = folder
        self.log = str(log)
        self.rng = random.Random(seed)
        self.url = embedded.ensure_server(folder / "redis")
        self.client = redis.Redis.from_url(self.url)
        self.config = write_config(
            folder / "vigil.yaml",
            {
                "sources": [{"path": str(log), "format": "sshd", "start_at": "beginning"}],
                # Many small entries, read a few at a time: the workers interleave.
                "ingest": {"batch_lines": 250},
                "worker": {"batch_entries": 2, "claim_idle": f"{CLAIM_IDLE}s"},
            },
        )
        self.env = {
            "REDIS_URL": self.url,
            "VIGIL_REDIS_PREFIX": KEYS.prefix,
            "VIGIL_TEST_JITTER": str(seed),
        }
        self.crew = [self.start("detect") for _ in range(workers)]
        self.ingest = self.start("ingest")

    def start(self, role: str) -> subprocess.Popen[bytes]:
        return start_vigil(self.config, role, self.env)

    def progress(self) -> int:
        """Stream entries the detect group has acknowledged (0 while Valkey is away)."""
        try:
            groups = self.client.xinfo_groups(KEYS.events)
        except redis.RedisError:
            return 0
        if not groups:
            return 0
        return int(groups[0]["entries-read"] or 0) - int(groups[0]["pending"])

    def at_a_random_moment(self, share: tuple[float, float]) -> None:
        """Wait until a random share (between the two given) of the log's entries is done."""
        entries = LINES // 250
        target = self.rng.randint(int(share[0] * entries), int(share[1] * entries))
        assert wait_for(lambda: self.progress() >= target)

    def finished(self) -> bool:
        try:
            read = int(self.client.hget(KEYS.source_stats, f"{self.log}|lines") or 0)
            groups = self.client.xinfo_groups(KEYS.events)
        except redis.RedisError:
            return False
        done = bool(groups) and groups[0]["lag"] == 0 and groups[0]["pending"] == 0
        return read >= LINES and done

    def incidents(self) -> frozenset[Incident]:
        try:
            return incident_set(self.client, KEYS)
        finally:
            for process in [*self.crew, self.ingest]:
                if process.poll() is None:
                    process.terminate()
                process.wait(timeout=30)
            self.client.close()
            embedded.release_server(self.folder / "redis", force=True)


def pin_to_one_core(run: Run, share: tuple[float, float]) -> None:
    """Every detect process on one core (taskset), from the start: they run in turns."""
    for worker in run.crew:
        subprocess.run(["taskset", "-pc", "0", str(worker.pid)], check=True, capture_output=True)


def stop_one_past_claim_idle(run: Run, share: tuple[float, float]) -> None:
    """SIGSTOP one worker while it holds entries, for 2.5 x claim_idle, then SIGCONT: the
    others take its entries over; it finds them gone and stores nothing."""
    run.at_a_random_moment(share)
    run.crew[0].send_signal(signal.SIGSTOP)
    time.sleep(2.5 * CLAIM_IDLE)
    run.crew[0].send_signal(signal.SIGCONT)


def kill_a_worker(run: Run, share: tuple[float, float]) -> None:
    """kill -9 of a detect process, and a new one started (as systemd would)."""
    run.at_a_random_moment(share)
    run.crew[-1].kill()
    run.crew[-1].wait()
    run.crew.append(run.start("detect"))


def kill_valkey(run: Run, share: tuple[float, float]) -> None:
    """kill -9 of Valkey (what its last second wrote may be lost), then started again from
    its append-only file; the processes reconnect."""
    run.at_a_random_moment(share)
    pid = int((run.folder / "redis" / "valkey.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    embedded.ensure_server(run.folder / "redis")


# Detect processes, the faults one after another (besides the random sleeps every worker
# takes between its steps), and the seed of both.
CASES = [
    pytest.param(1, (kill_a_worker, kill_valkey), 1, id="1-kill-worker-then-valkey"),
    pytest.param(2, (stop_one_past_claim_idle, kill_valkey), 2, id="2-stop-one-then-kill-valkey"),
    pytest.param(2, (pin_to_one_core, kill_a_worker), 3, id="2-on-one-core-kill-worker"),
    pytest.param(
        4,
        (pin_to_one_core, stop_one_past_claim_idle, kill_a_worker),
        4,
        id="4-on-one-core-stop-one-then-kill-one",
    ),
]


@pytest.mark.parametrize(("workers", "faults", "seed"), CASES)
def test_every_run_raises_what_a_scan_raises(
    workers: int,
    faults: tuple[Fault, ...],
    seed: int,
    log: Path,
    scanned: frozenset[Incident],
    tmp_path: Path,
) -> None:
    run = Run(log, tmp_path, workers, seed)
    for n, fault in enumerate(faults):
        # Each fault somewhere in its own part of the run: the first half, then the second.
        fault(run, (0.1 + n / len(faults) * 0.8, 0.1 + (n + 1) / len(faults) * 0.8))
    assert wait_for(run.finished, limit=120)
    wrong = differences(scanned, run.incidents())
    print("\n".join(wrong))  # shown when the test fails: what the scan had -> what the run has
    assert not wrong
