"""Detection quality on labelled traffic: precision and recall per detector and per family.

    python -m bench.quality [--customers N] [--days D] [--seed S] [--keep DIR]

Writes a fresh `vigil simulate` world, runs `vigil scan` over its logs against a fresh
embedded Valkey, and matches incidents with the ground truth: an incident is right when it
names an entity of a labelled attack of its family and overlaps it in time; an attack is
found when an incident of its detector (recall per detector) or family (per family) is.
The customers column is the share of incidents matching an attack of their own detector whose
affected customers equal the attack's (the accounts it concerns); "-" where none is scored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from monitor.simulation.truth import matches, table

LOGS = ("audit.json", "access.log", "auth.log", "files.json")


def name_everyone(config: Path) -> None:
    """Have each incident's JSON list all its customers, so the whole set is compared."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings.setdefault("incidents", {})["customers_shown"] = 10**9
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")


def run(
    world: Path, customers: int, days: int, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    vigil = [sys.executable, "-m", "monitor.cli"]
    subprocess.run(
        [
            *vigil,
            "simulate",
            "--out",
            str(world),
            "--customers",
            str(customers),
            "--days",
            str(days),
            "--seed",
            str(seed),
        ],
        check=True,
    )
    name_everyone(world / "vigil.yaml")
    with tempfile.TemporaryDirectory() as data:
        env = os.environ | {"VIGIL_DATA_DIR": data}
        scanned = subprocess.run(
            [
                *vigil,
                "--config",
                str(world / "vigil.yaml"),
                "scan",
                "--json",
                *(str(world / f) for f in LOGS),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    incidents = [json.loads(line) for line in scanned.stdout.splitlines() if line.strip()]
    truth = json.loads((world / "truth.json").read_text())["attacks"]
    return incidents, truth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="write the world here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        world = args.keep or Path(scratch) / "world"
        incidents, truth = run(world, args.customers, args.days, args.seed)
    print(
        f"world: {args.customers} customers, {args.days} days, seed {args.seed}: "
        f"{len(truth)} labelled attacks, {len(incidents)} incidents"
    )
    print(
        f"{'detector / family':45} {'attacks':>7} {'incidents':>9} {'precision':>9} {'recall':>7}"
        f" {'customers':>9}"
    )
    rows = table(incidents, truth)
    for name, attacks, raised, precision, recall, agreed in rows:
        shown = "-" if agreed is None else f"{agreed:.2f}"
        print(f"{name:45} {attacks:7} {raised:9} {precision:9.2f} {recall:7.2f} {shown:>9}")
    wrong = [i for i in incidents if not any(matches(i, a) for a in truth)]
    for incident in wrong:
        print(f"  false alarm: {incident['detector']}: {incident['title']}", file=sys.stderr)
    families = [row for row in rows if "." not in row[0]]
    return 0 if all(p >= 0.95 and r >= 0.95 for _, _, _, p, r, _ in families) else 1


if __name__ == "__main__":
    sys.exit(main())
