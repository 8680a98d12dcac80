"""Cost per line of each stage of the service path, from `bench.ingest --profile DIR`.

    python -m bench.ingest --lines 300000 --profile /tmp/prof && python -m bench.stages /tmp/prof

Each py-spy sample goes to the first stage of the list whose mark one of its frames holds (a
window load's Redis round trip is the window load's cost); samples of a thread waiting (the
file watcher's, the event loop's select) are left out. A process's share of samples times
its CPU-seconds, over the lines, is the stage's cost in microseconds a line.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# (stage, what a frame's text holds), first match wins. Frames read "function (file:line)".
STAGES = {
    "ingest": (
        ("encode", "encode_events"),
        ("derive", "encode_derived"),
        ("parse", "monitor/parsers/"),
        ("read", "monitor/sources/"),
        ("read", "(tailer.py"),  # py-spy names some modules by file alone
        ("read", "(follower.py"),
        ("read", "(rotation.py"),
        ("stream", "redis/"),
        ("start-up", "importlib"),
    ),
    "detect": (
        ("decode", "decode_events"),
        ("windows", "Detection.load"),
        ("store", "IncidentStore.record"),
        ("evaluate", "Detection.process"),
        ("stream", "redis/"),
        ("stream", "monitor/pipeline/turns.py"),
        ("start-up", "importlib"),
    ),
}
# A sample whose innermost frame is one of these is a thread waiting, not working.
IDLE = ("Condition.wait", "EpollSelector.select", "_check_inotify_fd", "Queue.get")


def stage_of(frames: list[str], stages: tuple[tuple[str, str], ...]) -> str:
    if any(mark in frames[-1] for mark in IDLE):
        return "idle"
    for stage, marker in stages:
        if any(marker in frame for frame in frames):
            return stage
    return "other"


def shares(stacks: Path, stages: tuple[tuple[str, str], ...]) -> Counter[str]:
    """Samples per stage, from py-spy's collapsed stacks (frames root first, then a count)."""
    counts: Counter[str] = Counter()
    for line in stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            counts[stage_of(stack.split(";"), stages)] += int(count)
    return counts


def main() -> None:
    folder = Path(sys.argv[1])
    run = json.loads((folder / "run.json").read_text())
    lines = run["lines"]
    print(f"{lines:,} lines; microseconds of CPU a line")
    for process, stages in STAGES.items():
        counts = shares(folder / f"{process}.txt", stages)
        total = sum(counts.values()) - counts["idle"] or 1
        per_line = run["cpu"][process] * 1e6 / lines
        order = [*dict.fromkeys(stage for stage, _ in stages), "other"]
        parts = ", ".join(f"{s} {per_line * counts[s] / total:.1f}" for s in order)
        print(f"{process:7} {per_line:5.1f} µs: {parts}")
    print(f"valkey  {run['cpu']['valkey'] * 1e6 / lines:5.1f} µs")


if __name__ == "__main__":
    main()
