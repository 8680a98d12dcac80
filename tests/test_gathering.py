"""Runs of extensions gathered as the detectors make them fold into what the store would fold."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from detectors.gathering import Gathering
from monitor.events import count_mark
from monitor.findings import Finding, Severity
from monitor.incidents.merging import merge_by_fingerprint

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
WINDOW = timedelta(hours=1)
PLACES = (
    ("account_takeover.brute_force", "ip=203.0.113.7"),
    ("account_takeover.password_spray", "ip=203.0.113.7"),
    ("account_takeover.brute_force", "ip=198.51.100.4"),
)


def made(rng: random.Random, at: datetime, n: int, place: tuple[str, str]) -> Finding:
    """An extension (most of them), now and then one marked out of order, of another
    severity, naming a customer, or a crossing with evidence."""
    detector, key = place
    millis = int(at.timestamp() * 1000)
    own = count_mark(millis, f"{n:016d}000000", f"auth.log:{n}")
    if rng.random() < 0.1:
        own = count_mark(millis - 5000, f"{n:016d}000000", f"auth.log:{n}")  # older: replayed
    opening = rng.random() < 0.1
    return Finding(
        detector=detector,
        family="account_takeover",
        severity=Severity.MEDIUM if opening or rng.random() < 0.05 else Severity.LOW,
        title=f"{detector} {key}",
        key=key,
        entities={"ip": key[3:]} if opening else {},
        first_seen=at,
        last_seen=at,
        evidence=({"id": f"auth.log:{n}", "@timestamp": at.isoformat()},) if opening else (),
        affected_customers=frozenset({"C-1001"}) if rng.random() < 0.1 else frozenset(),
        marks=(own,),
        extends_only=not opening,
    )


def batch(seed: int) -> list[Finding]:
    """Findings of three incidents in event order: a second apart, some in the same
    millisecond with their microseconds out of key order, some past the window."""
    rng, at, findings = random.Random(seed), T0, []
    for n in range(400):
        gap = rng.choice((0, 0, 1, 1, 2)) * timedelta(seconds=1)
        if rng.random() < 0.02:
            gap = WINDOW + timedelta(seconds=rng.choice((-1, 0, 1)))
        at += gap
        jitter = timedelta(microseconds=rng.randrange(1000)) if rng.random() < 0.1 else timedelta()
        findings.append(made(rng, at + jitter, n, rng.choice(PLACES)))
    return findings


def gathered(findings: list[Finding], window: timedelta) -> list[Finding]:
    gathering = Gathering(window)
    for finding in findings:
        gathering.add(finding)
    return gathering.findings()


@pytest.mark.parametrize("seed", range(20))
def test_gathered_runs_fold_as_their_extensions_would(seed: int) -> None:
    findings = batch(seed)
    expected = merge_by_fingerprint(findings, WINDOW, evidence_limit=50)
    fewer = gathered(findings, WINDOW)
    assert len(fewer) < len(findings)  # else the test shows nothing
    assert merge_by_fingerprint(fewer, WINDOW, evidence_limit=50) == expected


@pytest.mark.parametrize("window", [timedelta(0), timedelta(seconds=1)])
def test_a_shorter_window_gathers_less_and_folds_the_same(window: timedelta) -> None:
    findings = batch(7)
    expected = merge_by_fingerprint(findings, WINDOW, evidence_limit=50)
    assert merge_by_fingerprint(gathered(findings, window), WINDOW, evidence_limit=50) == expected


def test_a_scanners_extensions_make_one_finding_per_incident() -> None:
    def failure(n: int) -> Finding:
        at = T0 + timedelta(seconds=n // 4)
        detector, key = PLACES[n % 2]
        mark = count_mark(int(at.timestamp() * 1000), f"{n:016d}000000", f"auth.log:{n}")
        return Finding(
            detector,
            "account_takeover",
            Severity.LOW,
            "t",
            key,
            {},
            at,
            at,
            (),
            marks=(mark,),
            extends_only=True,
        )

    found = gathered([failure(n) for n in range(1000)], WINDOW)
    assert [(f.detector, f.key, len(f.marks)) for f in found] == [
        (*PLACES[0], 500),
        (*PLACES[1], 500),
    ]
    assert found[0].first_seen == T0 and found[0].last_seen == T0 + timedelta(seconds=249)


def test_a_finding_counting_nothing_ends_a_run_and_folds_the_same() -> None:
    """Nothing the detectors make today, but a Finding may: no marks and no evidence."""
    rng = random.Random(3)
    run = [made(rng, T0 + timedelta(seconds=n), n, PLACES[0]) for n in range(6)]
    empty = msgspec.structs.replace(run[0], marks=(), evidence=(), extends_only=False)
    findings = [empty, *run[:3], empty, *run[3:]]
    expected = merge_by_fingerprint(findings, WINDOW, evidence_limit=50)
    assert merge_by_fingerprint(gathered(findings, WINDOW), WINDOW, evidence_limit=50) == expected
