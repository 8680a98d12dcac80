"""Combined access log lines, as nginx and Apache write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from monitor.events import Event, Outcome
from monitor.parsers.base import Format, LineContext, Malformed
from monitor.parsers.sshd import MONTHS, normalize_ip

COMBINED = re.compile(
    r"(?P<ip>[0-9A-Fa-f:.]+) \S+ (?P<user>\S+) \[(?P<day>\d{2})/(?P<mon>[A-Z][a-z]{2})/"
    r"(?P<year>\d{4}):(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2}) (?P<zone>[+-]\d{4})\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+|-)'
    r'(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?'
)


def sniff(line: str) -> bool:
    return COMBINED.match(line) is not None


def parse(line: str, offset: int, context: LineContext) -> Event:
    match = COMBINED.match(line)
    if match is None:
        raise Malformed("not a combined access log line")
    method, path, query, version = split_request(match["request"])
    extra: dict[str, object] = {"http.response.body.bytes": to_int(match["bytes"])}
    if query:
        extra["url.query"] = query
    if version:
        extra["http.version"] = version
    if match["referrer"] not in (None, "-"):
        extra["http.request.referrer"] = match["referrer"]
    status = int(match["status"])
    return Event(
        timestamp=access_time(match),
        action="http-request",
        outcome=Outcome.FAILURE if status >= 400 else Outcome.SUCCESS,
        category="web",
        dataset=context_dataset(context),
        user=None if match["user"] == "-" else match["user"],
        source_ip=normalize_ip(match["ip"]),
        user_agent=none_if_dash(match["agent"]),
        url_path=path,
        http_method=method,
        status_code=status,
        file_path=context.path,
        offset=offset,
        extra={k: v for k, v in extra.items() if v is not None},
    )


def split_request(request: str) -> tuple[str | None, str | None, str | None, str | None]:
    """'GET /a?b=1 HTTP/1.1' -> (GET, /a, b=1, 1.1); a garbled request keeps what it can."""
    parts = request.split(" ")
    if len(parts) != 3:
        return None, None, None, None
    method, target, protocol = parts
    path, _, query = target.partition("?")
    return method, path, query or None, protocol.removeprefix("HTTP/")


def access_time(match: re.Match[str]) -> datetime:
    zone = match["zone"]
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    offset = timedelta(minutes=-minutes if zone[0] == "-" else minutes)
    try:
        local = datetime(
            int(match["year"]),
            MONTHS[match["mon"]],
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=timezone(offset),
        )
    except (KeyError, ValueError) as error:
        raise Malformed("bad access log date") from error
    return local.astimezone(UTC)


def context_dataset(context: LineContext) -> str:
    return "apache" if "apache" in context.path or "httpd" in context.path else "nginx"


def none_if_dash(value: str | None) -> str | None:
    return None if value in (None, "-", "") else value


def to_int(value: str) -> int | None:
    return None if value == "-" else int(value)


FORMAT = Format("nginx", sniff, parse)
