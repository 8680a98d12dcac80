"""nginx and Apache logs: combined, common and vhost_combined lines, plain or wrapped in
syslog, JSON access logs, and the error-log lines that say something about security."""

from __future__ import annotations

import re

from monitor.events import Event
from monitor.parsers import access_json, web_errors
from monitor.parsers.base import Format, LineContext, Malformed
from monitor.parsers.web_fields import Request, clf_time, http_event, unescape

QUOTED = r'"(?P<{}>[^"\\]*(?:\\.[^"\\]*)*)"'
# The address is never `-`: else `IP - a b [` (a basic-auth user with a space, written by
# the client) read as host IP, peer `-`, and hid the client. It may be a proxy's address
# list (Apache's `%{X-Forwarded-For}i` behind a proxy): `client, proxy, ...`, each item the
# next hop's. Only as true as that proxy: a server a client reaches directly logs the
# client's own header there (README).
COMBINED = re.compile(
    r"(?:(?P<vhost>[^\s:,\"]+(?::\d+)?) )?(?:\"(?P<hops>[^\"]*)\" )?"
    r"(?P<ip>(?!-[\s,])[^\s,\"]+(?:, [^\s,\"]+)*) \S+ (?P<user>.*?) "
    r"\[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{4})\] "
    + QUOTED.format("request")
    + r" (?P<status>\d{3}|-) (?P<bytes>\d+|-)"
    + f"(?: {QUOTED.format('referrer')} {QUOTED.format('agent')})?"
    + f"(?: {QUOTED.format('forwarded')})?"
)
# nginx `access_log syslog:server=...` and rsyslog files: `<190>Jan  5 10:00:01 web nginx: `,
# ISO-stamped, or RFC 5424; the access line after the tag carries its own time.
SYSLOG = re.compile(
    r"(?:<\d{1,3}>)?(?:1 \S+ \S+ \S+ \S+ \S+ (?:-|\[.*?\]) |"
    r"(?:[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+) \S+ "
    r"[^\s:\[]+(?:\[\d+\])?: )"
)


def sniff(line: str) -> bool:
    if line.startswith("{"):
        return access_json.sniff(line)
    return (
        COMBINED.match(unwrap(line)) is not None
        or web_errors.sniff(line)
        or access_json.sniff(unwrap(line))
    )


def unwrap(line: str) -> str:
    """The line without a syslog header, when it has one."""
    if line[:1].isdigit() and (line[1:2] in ".:" or line[2:3] in ".:" or line[3:4] in ".:"):
        return line  # an address first: the common case, checked without a regex
    match = SYSLOG.match(line)
    return line[match.end() :] if match else line


def web_format(name: str) -> Format:
    """The `nginx` or `apache` format: the same lines, the name as the default dataset."""

    def parse(line: str, offset: int, context: LineContext) -> Event | None:
        dataset = dataset_of(name, context)
        if web_errors.sniff(line):
            return web_errors.parse(line, offset, context)
        inner = unwrap(line)
        if inner is not line and inner.startswith("["):
            return web_errors.apache_syslog_event(line, offset, context)
        if inner.startswith("{"):
            return access_json.parse(inner, offset, context, dataset)
        return access_event(inner, offset, context, dataset)

    return Format(name, sniff, parse)


def access_event(line: str, offset: int, context: LineContext, dataset: str) -> Event:
    match = COMBINED.match(line)
    if match is None:
        raise Malformed("not an access log line")
    request, agent, referrer = match.group("request", "agent", "referrer")
    extra: dict[str, object] = {"http.response.body.bytes": to_int(match["bytes"])}
    if match["vhost"]:
        extra["url.domain"] = match["vhost"].partition(":")[0]
    # A list: the last hop is the peer, the rest what it forwarded. X-Forwarded-For logged
    # last, else that list, else quoted before the peer.
    hops, _, peer = match["ip"].rpartition(", ")
    forwarded = match["forwarded"] or hops or match["hops"]
    status = match["status"]
    return http_event(
        Request(
            timestamp=clf_time(match["time"]),
            peer=peer,
            status=None if status == "-" else int(status),
            request=unescape(request),
            agent=agent and unescape(agent),
            referrer=referrer and unescape(referrer),
            user=unescape(match["user"]),
            forwarded=forwarded,
            extra=extra,
        ),
        dataset,
        context,
        offset,
    )


def dataset_of(name: str, context: LineContext) -> str:
    """`apache` when forced or when the path says so (apache2/, httpd/), else `nginx`."""
    path = context.path
    return "apache" if name == "apache" or "apache" in path or "httpd" in path else "nginx"


def to_int(value: str) -> int | None:
    """A byte count; None for `-` and for digits past what 64 bits hold (a forged line)."""
    if value == "-" or len(value) > 18:
        return None
    return int(value)


FORMAT = web_format("nginx")
APACHE = web_format("apache")
