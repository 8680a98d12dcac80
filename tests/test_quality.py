"""The detectors on a small labelled world: every family at 0.95 precision and recall or better,
and every incident of an attack on customer accounts naming exactly those accounts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.quality import name_everyone
from monitor.simulation.truth import table


def test_every_family_is_precise_and_complete_on_a_simulated_week(tmp_path: Path) -> None:
    world = tmp_path / "world"
    vigil = [sys.executable, "-m", "monitor.cli"]
    simulate = ["simulate", "--out", str(world), "--customers", "300", "--days", "6", "--seed", "7"]
    subprocess.run([*vigil, *simulate], check=True, capture_output=True)
    name_everyone(world / "vigil.yaml")
    logs = [str(world / name) for name in ("audit.json", "access.log", "auth.log", "files.json")]
    scanned = subprocess.run(
        [*vigil, "--config", str(world / "vigil.yaml"), "scan", "--json", *logs],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ | {"VIGIL_DATA_DIR": str(tmp_path / "redis")},
    )
    incidents = [json.loads(line) for line in scanned.stdout.splitlines()]
    truth = json.loads((world / "truth.json").read_text())["attacks"]
    rows = table(incidents, truth)
    families = {name: (p, r) for name, _, _, p, r, _ in rows if "." not in name}
    assert set(families) == {"account_takeover", "impersonation", "bulk_access", "integrity"}
    for family, (precision, recall) in families.items():
        assert precision >= 0.95 and recall >= 0.95, (family, precision, recall)
    # Each detector whose attacks concern customer accounts names exactly those accounts.
    agreed = {name: a for name, _, _, _, _, a in rows if "." in name and a is not None}
    assert set(agreed) >= {
        "account_takeover.compromise_after_failures",
        "account_takeover.credential_stuffing",
        "account_takeover.distributed_guessing",
        "account_takeover.impossible_travel",
        "account_takeover.mfa_fatigue",
        "account_takeover.new_device_sensitive_change",
        "impersonation.phishing_referrer",
        "impersonation.session_hijack",
        "impersonation.staff_impersonation",
        "bulk_access.scraping",
        "bulk_access.unauthorized_department",
        "bulk_access.volume_anomaly",
    }
    for detector, share in agreed.items():
        assert share == 1.0, (detector, share)
