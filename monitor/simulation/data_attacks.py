"""Labelled attacks on customer data and the website: impersonation, bulk access, integrity."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.events import Outcome
from monitor.simulation.labels import Label
from monitor.simulation.normal import EXPORTS, OFFICE_IPS, SITE, Sim
from monitor.simulation.world import ATTACKER_AGENT


def session_hijack(sim: Sim, at: datetime) -> Label:
    c = sim.rng.choice(sim.world.customers)
    session = sim.session()
    common = {"user": c.username, "customer_id": c.customer_id, "session_id": session}
    sim.emit(
        "audit",
        timestamp=at,
        action="user-login",
        outcome=Outcome.SUCCESS,
        source_ip=c.home_ip,
        user_agent=c.agent,
        **common,
    )
    sim.emit(
        "audit",
        timestamp=at + timedelta(minutes=1),
        action="customer-record-view",
        source_ip=c.home_ip,
        user_agent=c.agent,
        **common,
    )
    thief = sim.rng.choice(sim.world.abroad_ips)
    for n in range(3):  # the stolen cookie: the log knows only the session
        sim.emit(
            "audit",
            timestamp=at + timedelta(minutes=20 + n),
            action="customer-record-view",
            source_ip=thief,
            user_agent=ATTACKER_AGENT,
            session_id=session,
        )
    return Label(
        "impersonation.session_hijack",
        "impersonation",
        {"session": session},
        at,
        at + timedelta(minutes=23),
        (c.customer_id,),
    )


def lookalike(sim: Sim, at: datetime) -> Label:
    victim = sim.rng.choice(sim.world.customers)
    user = f"cust-{sim.rng.randrange(900_000, 999_999)}"
    name = (
        victim.business_name.replace("TNHH", "TNNH")
        if sim.rng.random() < 0.5
        else victim.business_name + "."
    )
    email = (
        f"billing@{'а' if sim.rng.random() < 0.5 else 'a'}ls.com.vn"
        if name.endswith(".")
        else f"ke.toan{user[-4:]}@example.vn"
    )
    sim.emit(
        "audit",
        timestamp=at,
        action="user-register",
        outcome=Outcome.SUCCESS,
        user=user,
        source_ip=sim.rng.choice(sim.world.abroad_ips),
        user_agent=ATTACKER_AGENT,
        extra={"user.email": email, "organization.name": name},
    )
    return Label("impersonation.lookalike_identity", "impersonation", {"user": user}, at, at)


def phishing(sim: Sim, at: datetime) -> Label:
    domain = sim.rng.choice(("als-com.vn", "a1s.com.vn", "alss.com.vn", "als.com.co", "asl.com.vn"))
    phished = []
    for n in range(12):
        c = sim.rng.choice(sim.world.customers)
        moment, referrer = at + n * timedelta(minutes=5), f"https://{domain}/dang-nhap"
        if n % 4:  # most who follow the link are not customers and never log in
            stranger = sim.rng.choice(sim.world.abroad_ips)
            sim.request(moment, stranger, c.agent, "/login", referrer=referrer)
            continue
        sim.request(moment, c.home_ip, c.agent, "/login", referrer=referrer)
        # A customer follows it and logs in right after (the audit log names only the user).
        phished.append(c.customer_id)
        sim.emit(
            "audit",
            timestamp=moment + timedelta(seconds=40),
            action="user-login",
            outcome=Outcome.SUCCESS,
            user=c.username,
            source_ip=c.home_ip,
            user_agent=c.agent,
            session_id=sim.session(),
        )
    return Label(
        "impersonation.phishing_referrer",
        "impersonation",
        {"domain": domain},
        at,
        at + timedelta(minutes=55),
        tuple(phished),
    )


def staff_impersonation(sim: Sim, at: datetime) -> Label:
    agent = sim.rng.choice(sim.world.of("customer_care"))
    late = at.replace(hour=23, minute=10)
    victims = sim.rng.sample(sim.world.customers, 8)
    for n, c in enumerate(victims):
        sim.emit(
            "audit",
            timestamp=late + n * timedelta(minutes=3),
            action="impersonation-start",
            user=agent.username,
            target_user=c.username,
            customer_id=c.customer_id,
            source_ip=OFFICE_IPS[0],
            user_agent=agent.agent,
        )
    return Label(
        "impersonation.staff_impersonation",
        "impersonation",
        {"actor": agent.username},
        late,
        late + timedelta(minutes=21),
        tuple(c.customer_id for c in victims),
    )


def cross_account(sim: Sim, at: datetime) -> Label:
    c, other = sim.rng.sample(sim.world.customers, 2)
    sim.emit(
        "audit",
        timestamp=at,
        action="customer-record-view",
        user=c.username,
        source_ip=c.home_ip,
        user_agent=c.agent,
        customer_id=other.customer_id,
    )
    return Label(
        "impersonation.cross_account_access",
        "impersonation",
        {"user": c.username},
        at,
        at,
        (other.customer_id,),
    )


def unauthorized(sim: Sim, at: datetime) -> Label:
    clerk = sim.rng.choice(sim.world.of("warehouse"))
    read = sim.rng.sample(sim.world.customers, 3)
    for n, c in enumerate(read):
        sim.emit(
            "audit",
            timestamp=at + n * timedelta(minutes=2),
            action="customer-record-view",
            user=clerk.username,
            customer_id=c.customer_id,
            source_ip=OFFICE_IPS[1],
            user_agent=clerk.agent,
        )
    return Label(
        "bulk_access.unauthorized_department",
        "bulk_access",
        {"actor": clerk.username},
        at,
        at + timedelta(minutes=4),
        tuple(c.customer_id for c in read),
    )


def scraping(sim: Sim, at: datetime) -> Label:
    ip = sim.rng.choice(sim.world.abroad_ips)
    session = sim.session()
    read = sim.rng.sample(sim.world.customers, 150)
    for n, c in enumerate(read):
        sim.emit(
            "audit",
            timestamp=at + n * timedelta(seconds=3),
            action="customer-record-view",
            user="api-partner",
            customer_id=c.customer_id,
            source_ip=ip,
            user_agent=ATTACKER_AGENT,
            session_id=session,
        )
    entities = {"ip": ip, "actor": "api-partner", "session": session}
    end, customers = at + timedelta(seconds=450), tuple(c.customer_id for c in read)
    return Label("bulk_access.scraping", "bulk_access", entities, at, end, customers)


def volume(sim: Sim, at: datetime) -> Label:
    insider = sim.rng.choice(sim.world.of("customer_care"))
    common = {"user": insider.username, "source_ip": OFFICE_IPS[0], "user_agent": insider.agent}
    if sim.rng.random() < 0.5:
        read = sim.rng.sample(sim.world.customers, min(300, len(sim.world.customers)))
        chosen = [c.customer_id for c in read]
        for n, c in enumerate(read):
            sim.emit(
                "audit",
                timestamp=at + n * timedelta(seconds=10),
                action="customer-record-view",
                customer_id=c.customer_id,
                **common,
            )
        end = at + timedelta(seconds=3000)
    else:
        chosen = [
            c.customer_id
            for c in sim.rng.sample(sim.world.customers, min(900, len(sim.world.customers)))
        ]
        sim.emit(
            "audit",
            timestamp=at,
            action="customer-record-export",
            extra={"labels.record_count": 900, "labels.customer_ids": chosen},
            **common,
        )
        end = at
    actor = {"actor": insider.username}
    return Label("bulk_access.volume_anomaly", "bulk_access", actor, at, end, tuple(chosen))


def export_drop(sim: Sim, at: datetime) -> Label:
    path = f"{EXPORTS}/kh-{sim.rng.randrange(10**6)}.csv"
    sim.emit(
        "files",
        timestamp=at,
        action="export-file-created",
        category="file",
        dataset="exports",
        extra={
            "file.path": path,
            "labels.email_count": sim.rng.randint(300, 5000),
            "labels.phone_count": 0,
        },
    )
    return Label("bulk_access.export_drop", "bulk_access", {"path": path}, at, at)


def file_change(sim: Sim, at: datetime) -> Label:
    path = f"{SITE}/uploads/img{sim.rng.randrange(1000)}.php"
    sim.emit(
        "files",
        timestamp=at,
        action="file-created",
        category="file",
        dataset="integrity",
        extra={"file.path": path, "file.hash.sha256": f"{sim.rng.getrandbits(256):064x}"},
    )
    return Label("integrity.file_change", "integrity", {"path": path.rsplit("/", 1)[0]}, at, at)
