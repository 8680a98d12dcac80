"""Field values read from attacker-reachable text: addresses validated, control characters shown."""

from __future__ import annotations

import ipaddress
import re

from monitor.parsers.base import Malformed

HOSTNAME = re.compile(
    r"(?=.{1,253}\.?\Z)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
    r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?"
)
IP_CACHE: dict[str, str | None] = {}
MISSING = ""  # never a cached value: a cached IP is never empty
MAX_TEXT = 256  # OpenSSH logs at most 100 characters of a user name; anything longer is forged


def canonical_ip(text: str) -> str | None:
    """Compressed lowercase, zone id dropped, IPv4-mapped IPv6 as IPv4; None if not an IP."""
    result = IP_CACHE.get(text, MISSING)
    if result is not MISSING:
        return result
    if len(IP_CACHE) > 100_000:
        IP_CACHE.clear()
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        result = None
    else:
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        result = str(mapped or address)
    IP_CACHE[text] = result
    return result


def ip_or_domain(text: str) -> tuple[str | None, str | None]:
    """(source.ip, source.domain) of a host sshd or PAM wrote; Malformed when it is neither."""
    ip = canonical_ip(text)
    if ip is not None:
        return ip, None
    if HOSTNAME.fullmatch(text) and not text.replace(".", "").isdigit():
        return None, text.lower()
    raise Malformed(f"not an IP address or host name: {visible(text[:60])}")


def visible(text: str) -> str:
    """Control and format characters as `\\xNN`/`\\uNNNN`, so none reaches a field raw."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else escape(char) for char in text)


def escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bounded(text: str) -> tuple[str, bool]:
    """The visible text, cut to MAX_TEXT characters, and whether it was cut."""
    shown = text if text.isprintable() else visible(text)
    if len(shown) <= MAX_TEXT:
        return shown, False
    return shown[:MAX_TEXT], True
