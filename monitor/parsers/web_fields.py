"""What every web server log shares: the request, the client address, the event it makes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from monitor.events import Event, Outcome
from monitor.parsers.base import LineContext, Malformed, Networks, in_utc
from monitor.parsers.fields import canonical_ip
from monitor.parsers.syslog import MONTHS

# A reverse proxy on our own network: only behind one of these is X-Forwarded-For believed.
PROXY_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)
ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)")
METHOD = re.compile(r"[A-Za-z][A-Za-z_-]{0,19}$")
TIMES: dict[str, datetime] = {}


@dataclass(frozen=True, slots=True)
class Request:
    """The fields one access-log line carries, as text, before they become an event."""

    timestamp: datetime
    peer: str | None  # the address that connected (may be our proxy)
    status: int | None
    request: str | None = None  # "GET /a?b HTTP/1.1", when logged as one string
    method: str | None = None
    target: str | None = None  # path and query, when logged apart from the method
    agent: str | None = None
    referrer: str | None = None
    user: str | None = None
    forwarded: str | None = None  # X-Forwarded-For as logged
    extra: Mapping[str, object] = field(default_factory=dict)


def http_event(request: Request, dataset: str, context: LineContext, offset: int) -> Event:
    """The `http-request` event of one access-log line."""
    method, target, version = split_request(request.request or "")
    method, target = request.method or method, request.target or target
    path, query = split_target(target)
    peer = valid_ip(request.peer)
    client = client_ip(peer, request.forwarded, context.proxies)
    extra: dict[str, object] = {k: v for k, v in request.extra.items() if v is not None}
    for name, value in (
        ("url.query", query),
        ("http.version", version),
        ("http.request.referrer", clean(request.referrer)),
        ("url.original", target or clean(request.request)),
        ("labels.proxy_ip", peer if client != peer else None),
        ("source.address", None if peer else clean(request.peer)),
    ):
        if value:
            extra[name] = value
    status = request.status
    return Event(
        timestamp=request.timestamp,
        action="http-request",
        outcome=Outcome.UNKNOWN
        if status is None
        else Outcome.FAILURE
        if status >= 400
        else Outcome.SUCCESS,
        category="web",
        dataset=dataset,
        user=clean(request.user),
        source_ip=client,
        user_agent=clean(request.agent),
        url_path=path,
        http_method=method,
        status_code=status,
        file_path=context.path,
        offset=offset,
        extra=extra,
    )


def split_request(request: str) -> tuple[str | None, str | None, str | None]:
    """'GET /a?b=1 HTTP/1.1' -> (GET, /a?b=1, 1.1); a garbled request keeps what it can.

    'GET /' (HTTP/0.9) has no version; a target with spaces keeps them; TLS bytes sent to
    a plain port, or '-', have no method at all.
    """
    parts = request.split(" ")
    if len(parts) < 2 or not METHOD.match(parts[0]):
        return None, None, None
    version = None
    if len(parts) > 2 and parts[-1].startswith("HTTP/"):
        version = parts.pop().removeprefix("HTTP/")
    return parts[0], " ".join(parts[1:]) or None, version


def split_target(target: str | None) -> tuple[str | None, str | None]:
    if not target:
        return None, None
    path, _, query = target.partition("?")
    return path, query or None


def clean(value: str | None) -> str | None:
    return None if value in (None, "-", "") else value


def valid_ip(text: str | None) -> str | None:
    """The address in `text` ("ip", "ip:port", "[v6]:port"), canonical; None if it is none."""
    if not text:
        return None
    host = text.strip()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return canonical_ip(host)


def client_ip(peer: str | None, forwarded: str | None, proxies: Networks = ()) -> str | None:
    """The client: behind our own proxy, the first untrusted address of X-Forwarded-For.

    X-Forwarded-For is read right to left (the proxies we run appended the right end),
    skipping our own networks; the first address outside them is the client. A peer that
    is not our proxy wrote the header itself, so the header is not believed. Our proxies
    are private networks and the source's `trusted_proxies`.
    """
    if peer is None or not forwarded or forwarded == "-" or not is_proxy(peer, proxies):
        return peer
    for item in reversed(forwarded.split(",")):
        address = valid_ip(item)
        if address is None:
            return peer  # not a list of addresses: some other field, or forged
        if not is_proxy(address, proxies):
            return address
    return peer


def is_proxy(address: str, proxies: Networks = ()) -> bool:
    ip = ipaddress.ip_address(address)
    mine = (n for n in PROXY_NETWORKS if n.version == ip.version)
    return any(ip in n for n in mine) or any(n.version == ip.version and ip in n for n in proxies)


def unescape(text: str) -> str:
    r"""Undo the escapes nginx (\x22) and Apache (\", \\, \xhh) write in logged strings.

    Escaped control characters stay escaped: they must not reach the event's packed keys.
    """
    if "\\" not in text:
        return text
    return ESCAPE.sub(unescaped, text)


def unescaped(match: re.Match[str]) -> str:
    code = match[1]
    if len(code) == 3:
        value = int(code[1:], 16)
        return match[0] if value < 0x20 or value >= 0x7F else chr(value)
    return {"n": "\\n", "t": "\\t", "r": "\\r"}.get(code, code)


def clf_time(text: str) -> datetime:
    """'05/Jan/2026:10:00:01 +0700' in UTC, remembered: a log's lines share their seconds."""
    moment = TIMES.get(text)
    if moment is None:
        if len(TIMES) > 100_000:
            TIMES.clear()
        moment = TIMES[text] = parse_clf_time(text)
    return moment


def parse_clf_time(text: str) -> datetime:
    stamp, zone = text.split(" ")
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    offset = timedelta(minutes=-minutes if zone[0] == "-" else minutes)
    day, mon, rest = stamp.split("/")
    year, hour, minute, second = rest.split(":")
    seconds, _, fraction = second.partition(".")
    try:
        local = datetime(
            int(year),
            MONTHS[mon],
            int(day),
            int(hour),
            int(minute),
            int(seconds),
            int((fraction + "000000")[:6]),
            tzinfo=timezone(offset),
        )
    except (KeyError, ValueError) as error:
        raise Malformed("bad access log date") from error
    return in_utc(local)
