"""nginx and Apache error-log lines: basic-auth failures and rate limiting; the rest is ignored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.events import Event, Outcome
from monitor.parsers.base import LineContext, Malformed
from monitor.parsers.syslog import MONTHS, frame
from monitor.parsers.web_fields import split_request, split_target, unescape, valid_ip

NGINX = re.compile(
    r"(?P<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>[a-z]+)\] \d+#\d+: "
    r"(?:\*\d+ )?(?P<msg>.*)"
)
NGINX_CLIENT = re.compile(
    r", client: (?P<ip>[^,\s]+)(?:, server: (?P<server>[^,]*))?"
    r'(?:, request: "(?P<request>[^"\\]*(?:\\.[^"\\]*)*)")?'
)
NGINX_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'user "(?P<user>.*?)": password mismatch'), "password mismatch"),
    (re.compile(r'user "(?P<user>.*?)" was not found in "'), "user not found"),
    (re.compile(r'limiting (?:requests|connections), .*?by zone "(?P<zone>[^"]*)"'), "limited"),
)
APACHE = re.compile(
    r"\[(?:[A-Z][a-z]{2}) (?P<mon>[A-Z][a-z]{2}) (?P<day>\d{2}) "
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<us>\d+))? (?P<year>\d{4})\] "
    r"\[(?P<module>[^\]]*)\](?: \[pid [^\]]*\])? \[client (?P<ip>[^\]]+)\] (?P<msg>.*)"
)
APACHE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r'(?:AH01617: )?user (?P<user>.*?): authentication failure for "(?P<path>[^"]*)"'
            r": (?P<reason>[^,]*)"
        ),
        "authentication failure",
    ),
    (
        re.compile(r"(?:AH01618: )?user (?P<user>.*?) not found(?:: (?P<path>[^\s,]*))?"),
        "user not found",
    ),
    # Digest authentication (mod_auth_digest): 2.4's message ids, 2.2's `Digest:` instead
    (
        re.compile(r"(?:AH01792|Digest): user (?P<user>.*?): password mismatch: (?P<path>[^\s,]*)"),
        "digest",
    ),
    (
        re.compile(
            r"(?:AH01790|Digest): user `(?P<user>.*?)' in realm `[^']*' not found: "
            r"(?P<path>[^\s,]*)"
        ),
        "digest",
    ),
)
# Apache's ErrorLog to syslog: the header gives the time, the line has no date of its own.
APACHE_SYSLOG = re.compile(
    r"\[(?P<module>[^\]]*)\](?: \[pid [^\]]*\])? \[client (?P<ip>[^\]]+)\] (?P<msg>.*)"
)


def sniff(line: str) -> bool:
    first = line[:1]
    if first == "[":
        return APACHE.match(line) is not None
    return first.isdigit() and line[4:5] == "/" and NGINX.match(line) is not None


def parse(line: str, offset: int, context: LineContext) -> Event | None:
    if line.startswith("["):
        return apache_event(line, offset, context)
    return nginx_event(line, offset, context)


@dataclass(frozen=True, slots=True)
class Complaint:
    """What an error-log line says about one client, before it becomes an event."""

    action: str
    dataset: str
    timestamp: datetime
    peer: str
    user: str | None
    method: str | None
    target: str | None
    extra: Mapping[str, str | None]

    def event(self, context: LineContext, offset: int) -> Event:
        path, query = split_target(self.target)
        login = self.action == "user-login"
        extra = {k: v for k, v in {**self.extra, "url.query": query}.items() if v}
        return Event(
            timestamp=self.timestamp,
            action=self.action,
            outcome=Outcome.FAILURE,
            category="authentication" if login else "web",
            dataset=self.dataset,
            user=self.user or None,
            source_ip=valid_ip(self.peer),
            url_path=path,
            http_method=self.method,
            file_path=context.path,
            offset=offset,
            extra=extra,
        )


def nginx_event(line: str, offset: int, context: LineContext) -> Event | None:
    match = NGINX.match(line)
    if match is None:
        raise Malformed("not an nginx error log line")
    message = match["msg"]
    for pattern, reason in NGINX_MESSAGES:
        found = pattern.match(message)
        client = found and NGINX_CLIENT.search(message, found.end())
        if not found or not client:
            continue
        method, target, _ = split_request(unescape(client["request"] or ""))
        limited = reason == "limited"
        return Complaint(
            action="http-rate-limited" if limited else "user-login",
            dataset="nginx",
            timestamp=local_time(context, *numbers(match["time"])),
            peer=client["ip"],
            user=None if limited else unescape(found["user"]),
            method=method,
            target=target,
            extra={
                "event.reason": reason,
                "url.domain": client["server"],
                "labels.zone": found["zone"] if limited else None,
            },
        ).event(context, offset)
    return None


def apache_event(line: str, offset: int, context: LineContext) -> Event | None:
    match = APACHE.match(line)
    if match is None:
        raise Malformed("not an Apache error log line")
    parts = (int(match[k]) for k in ("day", "h", "m", "s"))
    moment = local_time(context, int(match["year"]), month(match["mon"]), *parts)
    return apache_complaint(match, moment, offset, context)


def apache_syslog_event(line: str, offset: int, context: LineContext) -> Event | None:
    """`Feb 15 16:23:00 web httpd[22034]: [auth_basic:error] [pid 22034] [client ...] ...`"""
    framed = frame(line, context)
    match = framed and APACHE_SYSLOG.fullmatch(framed.message)
    return apache_complaint(match, framed.timestamp, offset, context) if framed and match else None


def apache_complaint(
    match: re.Match[str], moment: datetime, offset: int, context: LineContext
) -> Event | None:
    for pattern, reason in APACHE_MESSAGES:
        if found := pattern.match(match["msg"]):
            return Complaint(
                action="user-login",
                dataset="apache",
                timestamp=moment,
                peer=apache_client(match["ip"], match["module"]),
                user=unescape(found["user"]),
                method=None,
                target=found["path"],
                extra={"event.reason": found.groupdict().get("reason") or reason},
            ).event(context, offset)
    return None


def apache_client(text: str, module: str) -> str:
    """Apache 2.4 writes `[client 2001:db8::1:53720]`: an IPv6 address and port, unbracketed."""
    if "." in text or ":" not in module:
        return text
    head, _, port = text.rpartition(":")
    return head if port.isdigit() and valid_ip(head) else text


def numbers(text: str) -> tuple[int, ...]:
    date, time = text.split(" ")
    return (*map(int, date.split("/")), *map(int, time.split(":")))


def month(name: str) -> int:
    number = MONTHS.get(name)
    if number is None:
        raise Malformed("bad month in error log")
    return number


def local_time(context: LineContext, *parts: int) -> datetime:
    """Error logs write local time without a zone: the file's configured zone applies."""
    year, mon, day, hour, minute, second = parts
    try:
        return datetime(year, mon, day, hour, minute, second, tzinfo=context.zone).astimezone(UTC)
    except ValueError as error:
        raise Malformed("bad error log date") from error
