"""Account takeover (policy section 4): guessing, logins that follow it, and what comes after."""

from detectors.account_takeover.brute_force import BruteForce
from detectors.account_takeover.compromise import CompromiseAfterFailures, MfaFatigue
from detectors.account_takeover.distributed import DistributedGuessing
from detectors.account_takeover.guessing import CredentialStuffing, PasswordSpray

__all__ = [
    "BruteForce",
    "CompromiseAfterFailures",
    "CredentialStuffing",
    "DistributedGuessing",
    "MfaFatigue",
    "PasswordSpray",
]
