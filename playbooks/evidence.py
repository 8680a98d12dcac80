"""Where and by whom, from the evidence: the systems touched and the parties involved.

Systems are named by what was used (the customer website, the server's SSH service),
never by a log file's path. Parties are named employees (from the staff directory),
addresses with their network and country; a customer's account or username never is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.detector_settings import GeoSettings
from monitor.directory import StaffMember
from monitor.incidents import Incident

# An address's (country ISO code, network name), either possibly unknown.
Locate = Callable[[str], tuple[str | None, str | None]]
MAX_ADDRESSES = 12


@dataclass(frozen=True, slots=True)
class Line:
    """One statement of the form, in both languages."""

    vi: str
    en: str


COUNTRIES = {
    "VN": ("Việt Nam", "Vietnam"),
    "CN": ("Trung Quốc", "China"),
    "US": ("Hoa Kỳ", "United States"),
    "RU": ("Nga", "Russia"),
    "SG": ("Singapore", "Singapore"),
    "KR": ("Hàn Quốc", "South Korea"),
    "KP": ("Triều Tiên", "North Korea"),
    "JP": ("Nhật Bản", "Japan"),
    "DE": ("Đức", "Germany"),
    "NL": ("Hà Lan", "Netherlands"),
    "FR": ("Pháp", "France"),
    "GB": ("Vương quốc Anh", "United Kingdom"),
    "IN": ("Ấn Độ", "India"),
    "TH": ("Thái Lan", "Thailand"),
    "ID": ("Indonesia", "Indonesia"),
    "HK": ("Hồng Kông", "Hong Kong"),
    "TW": ("Đài Loan", "Taiwan"),
    "MY": ("Malaysia", "Malaysia"),
    "UA": ("Ukraina", "Ukraine"),
    "BR": ("Brazil", "Brazil"),
    "KH": ("Campuchia", "Cambodia"),
    "LA": ("Lào", "Laos"),
}
DEPARTMENTS = {
    "it": ("Công nghệ thông tin", "IT"),
    "internal_control": ("Kiểm soát nội bộ", "Internal control"),
    "customer_care": ("Chăm sóc khách hàng", "Customer care"),
    "page_management": ("Quản lý trang thông tin", "Page management"),
    "warehouse": ("Kho hàng", "Warehouse"),
    "sales": ("Kinh doanh", "Sales"),
}
SYSTEMS = {
    "website": (
        "Website khách hàng {site} (ứng dụng web và cơ sở dữ liệu khách hàng)",
        "Customer website {site} (web application and customer database)",
    ),
    "ssh": (
        "Máy chủ của website {site}: dịch vụ đăng nhập quản trị SSH",
        "The server behind {site}: its administrative SSH service",
    ),
    "files": (
        "Máy chủ của website {site}: tệp hệ thống và tệp ứng dụng",
        "The server behind {site}: system and application files",
    ),
}


def system_of(incident: Incident) -> str:
    if incident.detector == "intrusion.ssh_probing":
        return "ssh"
    if incident.family == "integrity":
        return "files"
    return "website"


def places(incidents: Sequence[Incident], site: str) -> tuple[Line, ...]:
    """The systems the incidents touched, and any host the evidence names."""
    kinds = sorted({system_of(i) for i in incidents}, key=list(SYSTEMS).index)
    lines = [Line(*(text.format(site=site) for text in SYSTEMS[kind])) for kind in kinds]
    hosts = sorted(
        {str(r["host.name"]) for i in incidents for r in i.evidence if r.get("host.name")}
    )
    if hosts:
        named = ", ".join(hosts[:MAX_ADDRESSES])
        lines.append(Line(f"Máy chủ: {named}", f"Hosts: {named}"))
    return tuple(lines)


def addresses(incidents: Iterable[Incident]) -> list[str]:
    """Every valid source address, the incidents' own first, each once."""
    found: dict[str, None] = {}
    for incident in incidents:
        for raw in [incident.entities.get("ip", "")] + [
            str(r.get("source.ip", "")) for r in incident.evidence
        ]:
            try:
                found.setdefault(str(ipaddress.ip_address(raw)), None)
            except ValueError:
                continue
    return list(found)


def network(ip: str) -> str:
    prefix = 24 if ipaddress.ip_address(ip).version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def address_line(ip: str, locate: Locate) -> Line:
    country, owner = locate(ip)
    vi_country, en_country = COUNTRIES.get(country or "", (country or "", country or ""))
    where_vi = ", ".join(p for p in (vi_country or "quốc gia chưa xác định", owner) if p)
    where_en = ", ".join(p for p in (en_country or "country unknown", owner) if p)
    return Line(
        f"Địa chỉ IP {ip} (mạng {network(ip)}; {where_vi})",
        f"IP address {ip} (network {network(ip)}; {where_en})",
    )


def staff_in(incidents: Iterable[Incident], staff: Mapping[str, StaffMember]) -> list[StaffMember]:
    """Employees the evidence names as actors: by username, each once."""
    names: dict[str, None] = {}
    for incident in incidents:
        for key in ("actor", "user"):
            names.setdefault(incident.entities.get(key, ""), None)
        for reference in incident.evidence:
            names.setdefault(str(reference.get("user.name", "")), None)
    return [staff[name] for name in names if name in staff]


def employee_line(member: StaffMember) -> Line:
    vi, en = DEPARTMENTS.get(member.department, (member.department, member.department))
    return Line(
        f"Nhân viên {member.full_name}, bộ phận {vi}",
        f"Employee {member.full_name}, {en} department",
    )


def parties(
    incidents: Sequence[Incident], staff: Mapping[str, StaffMember], locate: Locate
) -> tuple[Line, ...]:
    """Named employees, then source addresses with network and country; or 'not identified'."""
    lines = [employee_line(m) for m in staff_in(incidents, staff)]
    found = addresses(incidents)
    lines += [address_line(ip, locate) for ip in found[:MAX_ADDRESSES]]
    if len(found) > MAX_ADDRESSES:
        more = len(found) - MAX_ADDRESSES
        lines.append(
            Line(f"và {more} địa chỉ IP khác (xem biên bản)", f"and {more} more (see the record)")
        )
    if not lines:
        lines.append(Line("Chưa xác định được", "Not identified yet"))
    return tuple(lines)


def nowhere(ip: str) -> tuple[str | None, str | None]:
    """No geolocation: the address and its network are still named."""
    return None, None


def geolocate(geo: GeoSettings) -> Locate:
    """Country and network of an address from the configured (or shipped) databases."""
    from detectors.geo import Geo  # opened on first use: a preview without addresses never does

    opened: list[Geo] = []

    def locate(ip: str) -> tuple[str | None, str | None]:
        if not opened:
            opened.append(Geo(geo.city_database, geo.asn_database))
        place = opened[0].locate(ip)
        return (place.country, place.asn) if place else (None, None)

    return locate
