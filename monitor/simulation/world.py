"""The simulated ALS: customers with homes and browsers, staff with departments, address pools."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from functools import cache

from detectors.geo import Geo
from detectors.impersonation.confusables import Names

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
)
ATTACKER_AGENT = "python-requests/2.31.0"
# Vietnamese providers' blocks (VNPT, Viettel, FPT) and abroad (hosting, where attacks come from).
HOME_BLOCKS = ("113.160.0.0/11", "14.160.0.0/11", "27.64.0.0/12", "42.112.0.0/13", "123.16.0.0/12")
ABROAD_BLOCKS = (
    "46.101.0.0/16",
    "45.33.0.0/16",
    "5.188.0.0/16",
    "185.220.100.0/22",
    "91.240.0.0/14",
)
OFFICE_NETWORK = "203.162.10.0/24"  # ALS's office egress (configured as trusted)
STAFF_SSH_NETWORK = "10.20.1.0/24"
DEPARTMENTS = {
    "customer_care": 10,
    "internal_control": 3,
    "it": 4,
    "page_management": 3,
    "warehouse": 8,
    "finance": 4,
}
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
GIVEN_NAMES = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Minh", "Ngọc")
BUSINESS_WORDS = (
    "Sao Mai",
    "Hồng Hà",
    "Phú Thịnh",
    "Đại Dương",
    "Kim Long",
    "Thái Sơn",
    "Bạch Đằng",
    "Trường Giang",
    "Hải Âu",
    "Nam Việt",
    "Tân Cảng",
    "Bắc Hải",
    "Mê Kông",
    "Phượng Hoàng",
    "Thăng Long",
    "Sông Hồng",
    "Lạc Hồng",
    "Hòa Bình",
    "Vĩnh Phúc",
    "An Khang",
)
BUSINESS_KINDS = ("Logistics", "Vận tải", "Thương mại", "Xuất nhập khẩu", "Giao nhận", "Dược phẩm")


@dataclass(frozen=True, slots=True)
class SimCustomer:
    customer_id: str
    username: str
    full_name: str
    business_name: str
    email: str
    phone: str
    home_ip: str
    agent: str


@dataclass(frozen=True, slots=True)
class SimStaff:
    username: str
    full_name: str
    department: str
    agent: str


@dataclass(frozen=True, slots=True)
class World:
    customers: tuple[SimCustomer, ...]
    staff: tuple[SimStaff, ...]
    home_ips: tuple[str, ...]
    abroad_ips: tuple[str, ...]

    def of(self, department: str) -> list[SimStaff]:
        return [member for member in self.staff if member.department == department]


@cache
def geo() -> Geo:
    return Geo()


def addresses(rng: random.Random, blocks: tuple[str, ...], count: int, home: bool) -> list[str]:
    """Addresses the city database places in Hanoi (home) or outside Vietnam (abroad)."""
    found: list[str] = []
    networks = [ipaddress.ip_network(block) for block in blocks]
    while len(found) < count:
        network = rng.choice(networks)
        ip = str(network[rng.randrange(1, network.num_addresses - 1)])
        place = geo().locate(ip)
        if place is None or place.latitude is None or place.longitude is None:
            continue
        in_hanoi = (
            place.country == "VN" and abs(place.latitude - 21.03) < 0.5 and place.radius_km <= 100
        )
        if (home and in_hanoi) or (not home and place.country not in (None, "VN")):
            found.append(ip)
    return found


def business_name(rng: random.Random, taken: Names | None = None) -> str:
    """A name of its own: with `taken`, never a look-alike of one (those are the attacks)."""
    while True:
        kind, word, other = (
            rng.choice(BUSINESS_KINDS),
            rng.choice(BUSINESS_WORDS),
            rng.choice(BUSINESS_WORDS),
        )
        name = f"Công ty TNHH {kind} {word} {other} {rng.randrange(100, 999)}"
        if taken is None or taken.imitated(name) is None:
            return name


def build_world(rng: random.Random, customers: int) -> World:
    homes = addresses(rng, HOME_BLOCKS, max(50, customers), home=True)
    abroad = addresses(rng, ABROAD_BLOCKS, 60, home=False)
    people = []
    for n in range(customers):
        name = business_name(rng)
        number = 100_000 + n
        people.append(
            SimCustomer(
                customer_id=f"C-{number}",
                username=f"cust-{number}",
                full_name=person(rng),
                business_name=name,
                email=f"contact{number}@example.vn",
                phone=f"09{rng.randrange(10**8):08d}",
                home_ip=homes[n % len(homes)],
                agent=rng.choice(AGENTS),
            )
        )
    staff = [
        SimStaff(f"{department[:4]}{n:02d}", person(rng), department, rng.choice(AGENTS))
        for department, count in DEPARTMENTS.items()
        for n in range(count)
    ]
    return World(tuple(people), tuple(staff), tuple(homes), tuple(abroad))


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(GIVEN_NAMES)}"
