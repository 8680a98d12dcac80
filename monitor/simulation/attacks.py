"""Labelled attacks, one kind per detector, mixed into the everyday traffic: account takeover
here, the others in data_attacks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.events import Outcome
from monitor.simulation.data_attacks import (
    cross_account,
    export_drop,
    file_change,
    lookalike,
    phishing,
    scraping,
    session_hijack,
    staff_impersonation,
    unauthorized,
    volume,
)
from monitor.simulation.labels import Label
from monitor.simulation.normal import Sim, visit
from monitor.simulation.world import AGENTS, ATTACKER_AGENT


def ssh_failures(sim: Sim, ip: str, users: list[str], at: datetime, step: timedelta) -> datetime:
    for user in users:
        sim.ssh(at, Outcome.FAILURE, user, ip)
        at += step
    return at


def web_failures(sim: Sim, ip: str, users: list[str], at: datetime, step: timedelta) -> datetime:
    for user in users:
        sim.emit(
            "audit",
            timestamp=at,
            action="user-login",
            outcome=Outcome.FAILURE,
            user=user,
            source_ip=ip,
            user_agent=ATTACKER_AGENT,
        )
        at += step
    return at


def web_logins(sim: Sim, ip: str, users: list[str], at: datetime) -> None:
    for user in users:
        sim.emit(
            "audit",
            timestamp=at,
            action="user-login",
            outcome=Outcome.SUCCESS,
            user=user,
            source_ip=ip,
            user_agent=ATTACKER_AGENT,
            session_id=sim.session(),
        )


def brute_force(sim: Sim, at: datetime) -> Label:
    ip = sim.rng.choice(sim.world.abroad_ips)
    if sim.rng.random() < 0.5:
        end = ssh_failures(sim, ip, ["root", "admin"] * 15, at, timedelta(seconds=8))
    else:  # slow: one guess every six minutes
        end = ssh_failures(sim, ip, ["root"] * 12, at, timedelta(minutes=6))
    entities = {"ip": ip, "user": "root", "also": "admin"}  # the accounts it tried count too
    # SSH accounts are the servers', never a customer's.
    return Label("account_takeover.brute_force", "account_takeover", entities, at, end, ())


def compromise(sim: Sim, at: datetime) -> Label:
    ip = sim.rng.choice(sim.world.abroad_ips)
    end = ssh_failures(sim, ip, ["deploy"] * 8, at, timedelta(seconds=10))
    sim.ssh(end, Outcome.SUCCESS, "deploy", ip)
    return Label(
        "account_takeover.compromise_after_failures",
        "account_takeover",
        {"ip": ip, "user": "deploy"},
        at,
        end,
        (),
    )


def spray(sim: Sim, at: datetime) -> Label:
    """From one address, or (every other time) rotating through ten of one /24."""
    ip = sim.rng.choice(sim.world.abroad_ips)
    users = [c.username for c in sim.rng.sample(sim.world.customers, 12)]
    if sim.rng.random() < 0.5:
        end = web_failures(sim, ip, users * 2, at, timedelta(seconds=50))
        # No guess works: no account got in, none to name.
        return Label("account_takeover.password_spray", "account_takeover", {"ip": ip}, at, end, ())
    prefix = ip.rsplit(".", 1)[0]
    addresses = [f"{prefix}.{10 + n}" for n in range(10)]
    moment = at
    for n, user in enumerate(users * 2):
        moment = web_failures(sim, addresses[n % 10], [user], moment, timedelta(seconds=50))
    entities = {"net": f"{prefix}.0/24"} | {f"ip{n}": a for n, a in enumerate(addresses)}
    return Label("account_takeover.password_spray", "account_takeover", entities, at, moment, ())


def stuffing(sim: Sim, at: datetime) -> Label:
    """Forty leaked credentials tried from one address; two of them work, one tested before
    the run and one after it: those two accounts are the incident's customers."""
    ip = sim.rng.choice(sim.world.abroad_ips)
    victims = sim.rng.sample(sim.world.customers, 40)
    web_logins(sim, ip, [victims[0].username], at - timedelta(minutes=3))
    end = web_failures(sim, ip, [c.username for c in victims[2:]], at, timedelta(seconds=12))
    web_logins(sim, ip, [victims[1].username], end + timedelta(minutes=1))
    return Label(
        "account_takeover.credential_stuffing",
        "account_takeover",
        # The accounts it got into are part of it (a later login from home is "travel").
        {"ip": ip, "got_in": victims[0].username, "got_in_too": victims[1].username},
        at - timedelta(minutes=3),
        end + timedelta(minutes=1),
        (victims[0].customer_id, victims[1].customer_id),
    )


def distributed(sim: Sim, at: datetime) -> Label:
    victim = sim.rng.choice(sim.world.customers)
    bots = [sim.rng.choice(sim.world.abroad_ips) for _ in range(15)]
    for n, bot in enumerate(bots):
        web_failures(sim, bot, [victim.username], at + n * timedelta(seconds=80), timedelta(0))
    # The bots are part of it: a spray seen from their provider is this attack too.
    entities = {"user": victim.username} | {f"bot{n}": bot for n, bot in enumerate(bots)}
    return Label(
        "account_takeover.distributed_guessing",
        "account_takeover",
        entities,
        at,
        at + timedelta(seconds=80 * 14),
        (victim.customer_id,),
    )


def impossible_travel(sim: Sim, at: datetime) -> Label:
    c = sim.rng.choice(sim.world.customers)
    left = visit(sim, c, at, c.home_ip, c.agent)
    thief = sim.rng.choice(sim.world.abroad_ips)
    end = visit(sim, c, left + timedelta(minutes=sim.rng.randint(20, 60)), thief, c.agent)
    return Label(
        "account_takeover.impossible_travel",
        "account_takeover",
        {"user": c.username},
        at,
        end,
        (c.customer_id,),
    )


def new_device(sim: Sim, at: datetime) -> Label:
    # A customer with a history of logins from home (a short world gives one a few more).
    candidates = sim.rng.sample(sim.world.customers, min(50, len(sim.world.customers)))
    c = max(candidates, key=lambda c: sim.logins_before(c.username, at))
    for days in range(6 - sim.logins_before(c.username, at), 0, -1):
        visit(sim, c, at - timedelta(days=days, hours=2), c.home_ip, c.agent)
    thief = sim.rng.choice(sim.world.abroad_ips)
    agent = next(a for a in AGENTS if a != c.agent)
    end = visit(sim, c, at, thief, agent, change="email-change")
    common = {
        "user": c.username,
        "source_ip": thief,
        "user_agent": agent,
        "customer_id": c.customer_id,
    }
    sim.emit(
        "audit", timestamp=end + timedelta(minutes=3), action="password-reset-request", **common
    )
    return Label(
        "account_takeover.new_device_sensitive_change",
        "account_takeover",
        {"user": c.username},
        at,
        end + timedelta(minutes=3),
        (c.customer_id,),
    )


def mfa_fatigue(sim: Sim, at: datetime) -> Label:
    c = sim.rng.choice(sim.world.customers)
    ip = sim.rng.choice(sim.world.abroad_ips)
    for n in range(8):
        sim.emit(
            "audit",
            timestamp=at + n * timedelta(seconds=30),
            action="mfa-challenge",
            user=c.username,
            source_ip=ip,
            user_agent=ATTACKER_AGENT,
            customer_id=c.customer_id,
        )
    return Label(
        "account_takeover.mfa_fatigue",
        "account_takeover",
        {"user": c.username},
        at,
        at + timedelta(minutes=4),
        (c.customer_id,),
    )


ATTACKS: tuple[Callable[[Sim, datetime], Label], ...] = (
    brute_force,
    compromise,
    spray,
    stuffing,
    distributed,
    impossible_travel,
    new_device,
    mfa_fatigue,
    session_hijack,
    lookalike,
    phishing,
    staff_impersonation,
    cross_account,
    unauthorized,
    scraping,
    volume,
    export_drop,
    file_change,
)
