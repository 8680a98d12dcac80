"""SSH probing: connections from one address that never try to log in (scanners, banner grabs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from detectors.base import Example, History, Window, extension, finding
from monitor.detector_settings import SshProbingSettings
from monitor.events import Event
from monitor.findings import Finding, Severity

PROBE_ACTIONS = frozenset({"ssh-probe"})
EVIDENCE = 50


def is_probe(event: Event) -> bool:
    """A connection's probe line; the close of a connection that tried logins is not one."""
    return event.action in PROBE_ACTIONS and event.extra.get("ssh.counted", True) is not False


@dataclass(frozen=True, slots=True)
class SshProbing:
    """Many pre-authentication connections from one IP: key-exchange mismatches, no
    identification string, bad banners, timeouts and closes before any user was named."""

    settings: SshProbingSettings
    id: str = "intrusion.ssh_probing"
    family: str = "intrusion"
    title: str = "SSH probing"
    severity: Severity = Severity.LOW
    mitre: str = "T1046"
    actions: frozenset[str] = PROBE_ACTIONS
    runbook: str = (
        "A scanner is mapping the SSH service (versions, algorithms, open ports). Nothing was "
        "tried yet; check for a brute force incident from the same address, block it at the "
        "firewall if it is not ours, and make sure the server offers only current algorithms."
    )
    windows: tuple[Window, ...] = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        window = Window(
            "ssh_probes_by_source_ip", "source_ip", s.window, is_probe, 2 * s.connections
        )
        object.__setattr__(self, "windows", (window,))

    def evaluate(self, event: Event, history: History) -> Finding | None:
        if event.source_ip is None or not is_probe(event):
            return None
        (window,) = self.windows
        count = history.count(window, event.source_ip, event)
        if count < self.settings.connections:
            return None
        ip = event.source_ip
        title, key = f"{self.title} from {ip}", f"ip={ip}"
        if count == self.settings.connections:
            shown = history.members(window, ip, event, EVIDENCE)
            return finding(self, event, title=title, key=key, entities={"ip": ip}, evidence=shown)
        # Past the threshold each probe adds itself to the open incident.
        return extension(self, event, key=key, entities={"ip": ip})

    def examples(self) -> tuple[Example, ...]:
        return (
            Example("ten key-exchange probes in five minutes", probes(10, 30), fires=True),
            Example("nine are not enough", probes(9, 30), fires=False),
            Example("ten probes an hour apart", probes(10, 3600), fires=False),
        )


T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def probes(count: int, every_seconds: int) -> tuple[Event, ...]:
    return tuple(
        Event(
            timestamp=T0 + timedelta(seconds=i * every_seconds),
            action="ssh-probe",
            category="network",
            dataset="sshd",
            source_ip="198.51.100.77",
            file_path="/var/log/auth.log",
            offset=i * 120,
            extra={"ssh.probe": "kex-mismatch"},
        )
        for i in range(count)
    )
