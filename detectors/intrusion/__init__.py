"""Intrusion attempts: probing and exploits aimed at the servers rather than at an account."""

from __future__ import annotations

from detectors.intrusion.injection import Injection
from detectors.intrusion.probing import HttpProbing
from detectors.intrusion.scanners import ScannerAgent
from detectors.intrusion.sensitive_files import SensitiveFiles
from detectors.intrusion.web import Networks

__all__ = ["HttpProbing", "Injection", "Networks", "ScannerAgent", "SensitiveFiles"]
