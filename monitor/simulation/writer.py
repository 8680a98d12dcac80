"""`vigil simulate`: write a labelled ALS world (logs, directories, config, ground truth)."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from detectors.impersonation.confusables import Names
from monitor.events import Event, Outcome
from monitor.simulation.attacks import ATTACKS
from monitor.simulation.labels import Label
from monitor.simulation.normal import (
    HANOI,
    Sim,
    customer_day,
    housekeeping,
    registrations,
    staff_day,
)
from monitor.simulation.world import OFFICE_NETWORK, STAFF_SSH_NETWORK, World, build_world

START = datetime(2026, 3, 2, tzinfo=HANOI)  # a Monday
LOGS = {"audit": "audit.json", "access": "access.log", "sshd": "auth.log", "files": "files.json"}


def simulate(out: Path, customers: int, days: int, seed: int) -> list[Label]:
    """Everyday traffic for `days` with attacks of every kind in its second half."""
    rng = random.Random(seed)
    world = build_world(rng, customers)
    sim = Sim(rng, world)
    names = Names(
        [name for c in world.customers for name in (c.username, c.business_name, c.email)]
        + ["ALS", "als.com.vn", "Aviation Logistics Corporation"]
    )
    for offset in range(days):
        day = START + timedelta(days=offset)
        for customer in world.customers:
            customer_day(sim, customer, day)
        for member in world.staff:
            staff_day(sim, member, day)
        registrations(sim, day, names)
        housekeeping(sim, day)
    labels = []
    for attack in ATTACKS:
        for _ in range(max(2, days // 3)):
            day = START + timedelta(days=rng.randrange(days // 2, days))
            labels.append(attack(sim, day + timedelta(hours=rng.uniform(9, 20))))
    write(out, world, sim.out, labels, seed)
    return labels


def write(
    out: Path, world: World, events: list[tuple[str, Event]], labels: list[Label], seed: int
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    by_log: dict[str, list[Event]] = defaultdict(list)
    for log, event in events:
        by_log[log].append(event)
    for log, name in LOGS.items():
        lines = sorted(by_log[log], key=lambda e: e.timestamp)
        render = {"access": nginx_line, "sshd": sshd_line}.get(log, ecs_line)
        (out / name).write_text("".join(render(event) + "\n" for event in lines), encoding="utf-8")
    with (out / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["customer_id", "username", "full_name", "business_name", "email", "phone", "language"]
        )
        for c in world.customers:
            writer.writerow(
                [c.customer_id, c.username, c.full_name, c.business_name, c.email, c.phone, "vi"]
            )
    with (out / "staff.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "full_name", "department", "email", "phone", "on_call"])
        for s in world.staff:
            writer.writerow(
                [s.username, s.full_name, s.department, f"{s.username}@als.com.vn", "", "no"]
            )
    config = {
        "directories": {"customers": str(out / "customers.csv"), "staff": str(out / "staff.csv")},
        "detectors": {"geo": {"trusted_networks": [OFFICE_NETWORK, STAFF_SSH_NETWORK]}},
    }
    (out / "vigil.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    truth = {"seed": seed, "attacks": [label.to_json() for label in labels]}
    (out / "truth.json").write_text(
        json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8"
    )


def ecs_line(event: Event) -> str:
    return json.dumps(event.flat(), ensure_ascii=False)


def nginx_line(event: Event) -> str:
    moment = event.timestamp.astimezone(HANOI).strftime("%d/%b/%Y:%H:%M:%S %z")
    referrer = event.extra.get("http.request.referrer") or "-"
    return (
        f'{event.source_ip} - - [{moment}] "{event.http_method} {event.url_path} HTTP/1.1" '
        f'{event.status_code} 5120 "{referrer}" "{event.user_agent}"'
    )


def sshd_line(event: Event) -> str:
    verb = "Accepted publickey" if event.outcome is Outcome.SUCCESS else "Failed password"
    moment = event.timestamp.astimezone(HANOI).isoformat(timespec="seconds")
    return (
        f"{moment} web-01 sshd[{4000 + (event.source_port or 0) % 5000}]: "
        f"{verb} for {event.user} from {event.source_ip} port {event.source_port} ssh2"
    )
