"""Everyday ALS traffic: customers tracking shipments, staff at work, deploys and small exports."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from detectors.impersonation.confusables import Names
from monitor.events import Event, Outcome
from monitor.simulation.world import SimCustomer, SimStaff, World, business_name

HANOI = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
REFERRERS = (
    None,
    "https://www.google.com/",
    "https://www.als.com.vn/",
    "https://www.facebook.com/",
    "https://zalo.me/",
)
OFFICE_IPS = ("203.162.10.5", "203.162.10.6")
SITE = "/var/www/als/app"
EXPORTS = "/srv/als/exports"


@dataclass
class Sim:
    """Where generated events go, each tagged with the log it belongs to."""

    rng: random.Random
    world: World
    out: list[tuple[str, Event]] = field(default_factory=list)
    logins: dict[str, list[datetime]] = field(default_factory=dict)
    trips: dict[str, tuple[str, datetime, datetime]] = field(default_factory=dict)

    def emit(self, log: str, **fields: object) -> None:
        self.out.append((log, Event(**fields)))  # type: ignore[arg-type]

    def request(
        self,
        at: datetime,
        ip: str,
        agent: str,
        path: str,
        method: str = "GET",
        referrer: str | None = None,
    ) -> None:
        """A line of the web server's access log."""
        extra = {"http.request.referrer": referrer} if referrer else {}
        self.emit(
            "access",
            timestamp=at,
            action="http-request",
            source_ip=ip,
            user_agent=agent,
            http_method=method,
            url_path=path,
            status_code=200,
            extra=extra,
        )

    def ssh(self, at: datetime, outcome: Outcome, user: str, ip: str) -> None:
        """A line of the servers' sshd log."""
        port = self.rng.randint(30000, 60000)
        self.emit(
            "sshd",
            timestamp=at,
            action="ssh-login",
            outcome=outcome,
            user=user,
            source_ip=ip,
            source_port=port,
        )

    def logins_before(self, user: str, moment: datetime) -> int:
        return sum(1 for at in self.logins.get(user, ()) if at < moment)

    def session(self) -> str:
        return f"s-{self.rng.getrandbits(48):012x}"


def visit(
    sim: Sim, c: SimCustomer, at: datetime, ip: str, agent: str, change: str | None = None
) -> datetime:
    """A customer logs in, looks at their shipments and leaves; returns when they left."""
    rng, session = sim.rng, sim.session()
    sim.request(at, ip, agent, "/login", referrer=rng.choice(REFERRERS))
    common = {
        "user": c.username,
        "source_ip": ip,
        "user_agent": agent,
        "customer_id": c.customer_id,
    }
    if rng.random() < 0.03:
        sim.emit("audit", timestamp=at, action="user-login", outcome=Outcome.FAILURE, **common)
        at += timedelta(seconds=rng.randint(10, 40))
    sim.emit(
        "audit",
        timestamp=at,
        action="user-login",
        outcome=Outcome.SUCCESS,
        session_id=session,
        **common,
    )
    sim.logins.setdefault(c.username, []).append(at)
    if rng.random() < 0.3:
        sim.emit(
            "audit",
            timestamp=at + timedelta(seconds=2),
            action="mfa-challenge",
            session_id=session,
            **common,
        )
    for _ in range(rng.randint(1, 4)):
        at += timedelta(seconds=rng.randint(20, 120))
        sim.emit("audit", timestamp=at, action="customer-record-view", session_id=session, **common)
        sim.request(at, ip, agent, f"/tracking/{rng.randrange(10**6)}")
    if change:
        at += timedelta(seconds=30)
        sim.emit("audit", timestamp=at, action=change, session_id=session, **common)
    at += timedelta(seconds=rng.randint(10, 60))
    sim.emit("audit", timestamp=at, action="user-logout", session_id=session, **common)
    return at


def customer_day(sim: Sim, c: SimCustomer, day: datetime) -> None:
    rng = sim.rng
    if rng.random() > 0.35:
        return
    ip = where(sim, c, day)
    if ip is None:
        return  # on a plane
    for _ in range(rng.choice((1, 1, 2))):
        at = day + timedelta(hours=rng.uniform(7, 22))
        # Now and then a customer with a history changes a password or phone, from home.
        change = None
        if sim.logins_before(c.username, at) >= 5 and rng.random() < 0.02:
            change = rng.choice(("password-change", "phone-change"))
        visit(sim, c, at, ip, c.agent, change if ip == c.home_ip else None)


def where(sim: Sim, c: SimCustomer, day: datetime) -> str | None:
    """Home, or abroad on a trip of a few days; None on the travel day back."""
    trip = sim.trips.get(c.username)
    if trip is not None and trip[1] <= day < trip[2]:
        return trip[0]
    if trip is not None and day == trip[2]:
        return None
    last = max(sim.logins.get(c.username, [day - timedelta(days=2)]))
    if sim.rng.random() < 0.01 and day - last > timedelta(hours=30):
        end = day + timedelta(days=sim.rng.randint(2, 5))
        sim.trips[c.username] = (sim.rng.choice(sim.world.abroad_ips), day, end)
        return sim.trips[c.username][0]
    return c.home_ip


def staff_day(sim: Sim, member: SimStaff, day: datetime) -> None:
    if day.weekday() == 6:
        return
    rng, session = sim.rng, sim.session()
    ip = rng.choice(OFFICE_IPS)
    start = day + timedelta(hours=8, minutes=rng.randint(0, 30))
    common = {
        "user": member.username,
        "source_ip": ip,
        "user_agent": member.agent,
        "session_id": session,
    }
    sim.emit("audit", timestamp=start, action="user-login", outcome=Outcome.SUCCESS, **common)
    customers = sim.world.customers
    for hour in range(9):
        begin = start + timedelta(hours=hour)
        if member.department == "customer_care":
            for n, c in enumerate(rng.sample(customers, rng.randint(8, 30))):
                sim.emit(
                    "audit",
                    timestamp=begin + timedelta(seconds=90 * n),
                    action="customer-record-view",
                    customer_id=c.customer_id,
                    **common,
                )
            for n in range(rng.randint(2, 4)):
                sim.emit(
                    "audit",
                    timestamp=begin + timedelta(minutes=7 * n + 3),
                    action="customer-search",
                    **common,
                )
            if rng.random() < 0.5:
                target = rng.choice(customers)
                sim.emit(
                    "audit",
                    timestamp=begin + timedelta(minutes=40),
                    action="impersonation-start",
                    target_user=target.username,
                    customer_id=target.customer_id,
                    **common,
                )
        elif member.department == "internal_control":
            # The biggest legitimate readers: reviews of up to 90 customers an hour.
            for n, c in enumerate(rng.sample(customers, rng.randint(20, 90))):
                sim.emit(
                    "audit",
                    timestamp=begin + timedelta(seconds=35 * n),
                    action="customer-record-view",
                    customer_id=c.customer_id,
                    **common,
                )
            if hour == 7:
                chosen = rng.sample(customers, min(len(customers), rng.randint(50, 300)))
                sim.emit(
                    "audit",
                    timestamp=begin + timedelta(minutes=55),
                    action="customer-record-export",
                    extra={
                        "labels.record_count": len(chosen),
                        "labels.customer_ids": [c.customer_id for c in chosen],
                    },
                    **common,
                )
        elif member.department == "it" and hour in (0, 4):
            ssh_login(sim, member.username, f"10.20.1.{rng.randint(10, 60)}", begin)
        elif member.department == "page_management":
            at, admin = begin + timedelta(minutes=5), "https://www.als.com.vn/admin"
            sim.request(at, ip, member.agent, "/admin/pages", "POST", admin)
        else:
            sim.request(begin + timedelta(minutes=12), ip, member.agent, "/warehouse/manifest")
    sim.emit(
        "audit", timestamp=start + timedelta(hours=9, minutes=5), action="user-logout", **common
    )


def ssh_login(sim: Sim, user: str, ip: str, at: datetime) -> None:
    if sim.rng.random() < 0.03:  # a typo, then the key
        sim.ssh(at, Outcome.FAILURE, user, ip)
        at += timedelta(seconds=15)
    sim.ssh(at, Outcome.SUCCESS, user, ip)


def registrations(sim: Sim, day: datetime, names: Names) -> None:
    rng = sim.rng
    for _ in range(rng.randint(1, 3)):
        number = rng.randrange(200_000, 999_999)
        sim.emit(
            "audit",
            timestamp=day + timedelta(hours=rng.uniform(8, 20)),
            action="user-register",
            outcome=Outcome.SUCCESS,
            user=f"cust-{number}",
            source_ip=rng.choice(sim.world.home_ips),
            user_agent=rng.choice(sim.world.customers).agent,
            extra={
                "user.email": f"lienhe{number}@example.vn",
                "organization.name": business_name(rng, names),
            },
        )


def housekeeping(sim: Sim, day: datetime) -> None:
    """A Sunday deploy inside the maintenance window; the daily small export at five."""
    if day.weekday() == 6:
        for n in range(5):
            at = day + timedelta(hours=2, minutes=n)
            sim.emit(
                "files",
                timestamp=at,
                action="file-changed",
                category="file",
                dataset="integrity",
                extra={
                    "file.path": f"{SITE}/module{n}.php",
                    "file.previous_hash": f"{n:064x}",
                    "file.hash.sha256": f"{n + 1:064x}",
                },
            )
    sim.emit(
        "files",
        timestamp=day + timedelta(hours=17),
        action="export-file-created",
        category="file",
        dataset="exports",
        extra={
            "file.path": f"{EXPORTS}/daily-{day:%Y%m%d}.csv",
            "labels.email_count": sim.rng.randint(5, 40),
            "labels.phone_count": 0,
        },
    )
