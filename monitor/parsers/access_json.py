"""JSON access logs: nginx `escape=json` formats with any common field names, Traefik,
Caddy and Envoy; each field is looked up under the names those servers use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from monitor.events import Event, flatten
from monitor.parsers.base import LineContext, Malformed, json_object
from monitor.parsers.web_fields import Request, http_event, parse_clf_time

# Field -> the keys it is found under, most specific first (Caddy nests under `request.`).
KEYS: dict[str, tuple[str, ...]] = {
    "peer": (
        "request.client_ip",
        "request.remote_ip",
        "request.remote_addr",
        "remote_addr",
        "ClientHost",
        "ClientAddr",
        "downstream_remote_address",
        "client_ip",
        "remote_ip",
        "clientip",
        "client",
        "ip",
    ),
    "forwarded": (
        "http_x_forwarded_for",
        "x_forwarded_for",
        "request_X-Forwarded-For",
        "request.headers.X-Forwarded-For",
        "xff",
    ),
    "method": ("request_method", "RequestMethod", "request.method", "method"),
    "target": ("request_uri", "RequestPath", "request.uri", "uri", "path", "url"),
    "request": ("request",),
    "status": ("status", "DownstreamStatus", "response_code", "status_code"),
    "agent": (
        "http_user_agent",
        "request_User-Agent",
        "request.headers.User-Agent",
        "user_agent",
        "useragent",
        "agent",
    ),
    "referrer": (
        "http_referer",
        "request_Referer",
        "request.headers.Referer",
        "referer",
        "referrer",
    ),
    "user": ("remote_user", "ClientUsername", "user_id", "user"),
    "query": ("args", "query_string", "query"),
    "bytes": ("body_bytes_sent", "DownstreamContentSize", "bytes_sent", "size"),
    "host": ("request.host", "RequestHost", "host", "server_name", "authority"),
    "time": (
        "time_iso8601",
        "StartUTC",
        "start_time",
        "@timestamp",
        "timestamp",
        "time_local",
        "time",
        "ts",
        "msec",
        "date",
    ),
}
UNIT_SEPARATOR = "\x1f"
# A JSON line with one of these is an access log, not the website's ECS audit log.
MARKERS = (
    '"remote_addr"',
    '"ClientHost"',
    '"downstream_remote_address"',
    '"remote_ip"',
    '"client_ip"',
    '"RequestPath"',
    '"request_uri"',
    '"http_user_agent"',
)


def sniff(line: str) -> bool:
    return line.lstrip().startswith("{") and any(marker in line for marker in MARKERS)


def parse(line: str, offset: int, context: LineContext, dataset: str) -> Event:
    document = json_object(line)
    flat = flatten(document)
    status = to_int(pick(flat, "status"))
    target, query = pick(flat, "target"), pick(flat, "query")
    if target and query and "?" not in target:
        target = f"{target}?{query}"
    request = pick(flat, "request")
    return http_event(
        Request(
            timestamp=json_time(flat),
            peer=pick(flat, "peer"),
            status=status,
            request=request,
            method=pick(flat, "method"),
            target=target,
            agent=pick(flat, "agent"),
            referrer=pick(flat, "referrer"),
            user=pick(flat, "user"),
            forwarded=pick(flat, "forwarded"),
            extra={
                "http.response.body.bytes": to_int(pick(flat, "bytes")),
                "url.domain": pick(flat, "host"),
            },
        ),
        dataset,
        context,
        offset,
    )


def pick(flat: Mapping[str, Any], field: str) -> str | None:
    """The first non-empty value of `field`, as text (a header list gives its first item)."""
    for key in KEYS[field]:
        value = flat.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None or isinstance(value, dict | bool) or value in ("", "-"):
            continue
        return str(value).replace(UNIT_SEPARATOR, "\\x1f")  # it packs event references
    return None


def to_int(value: str | None) -> int | None:
    """A number the stream can carry (64 bits); None for anything else."""
    try:
        number = None if value is None else int(float(value))
    except (ValueError, OverflowError):
        return None
    return number if number is None or -(2**63) <= number < 2**63 else None


def json_time(flat: Mapping[str, Any]) -> datetime:
    """ISO 8601 with any offset, nginx's time_local, or seconds since the epoch."""
    for key in KEYS["time"]:
        value = flat.get(key)
        if value in (None, "", "-"):
            continue
        try:
            return read_time(value)
        except (ValueError, OverflowError, OSError):
            continue
    raise Malformed("no time in the JSON access line")


def read_time(value: Any) -> datetime:
    if isinstance(value, int | float) or (isinstance(value, str) and is_number(value)):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value)
    if "/" in text and ":" in text:  # time_local: 05/Jan/2026:10:00:01 +0700
        try:
            return parse_clf_time(text)
        except Malformed as error:
            raise ValueError(str(error)) from error
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a JSON access time needs a zone")
    return moment.astimezone(UTC)


def is_number(text: str) -> bool:
    head, _, tail = text.partition(".")
    return head.isdigit() and (not tail or tail.isdigit())
