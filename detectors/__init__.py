"""Detectors: one module per family, listed here explicitly."""

from __future__ import annotations

from detectors.account_takeover import BruteForce, CompromiseAfterFailures
from detectors.base import Detector, Example, History, Window
from monitor.settings import DetectorSettings


def build_detectors(settings: DetectorSettings) -> tuple[Detector, ...]:
    """Every detector Vigil runs, configured."""
    return (
        BruteForce(settings.brute_force),
        CompromiseAfterFailures(settings.compromise_after_failures),
    )


__all__ = ["Detector", "Example", "History", "Window", "build_detectors"]
