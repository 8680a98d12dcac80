"""Signed one-click acknowledgement links: bound to one incident, expiring, usable once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class BadToken(Exception):
    """Tampered, expired, for another incident, or already used."""


@dataclass(frozen=True, slots=True)
class AckClaim:
    incident_id: str
    recipient: str
    expires: datetime
    nonce: str


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, incident_id: str, recipient: str, now: datetime, ttl: timedelta) -> str:
    payload = json.dumps(
        {
            "i": incident_id,
            "r": recipient,
            "e": int((now + ttl).timestamp()),
            "n": secrets.token_urlsafe(9),
        },
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{b64(payload)}.{b64(mac)}"


def verify(secret: bytes, token: str, now: datetime) -> AckClaim:
    """The claim a token carries, if its signature holds and it has not expired."""
    try:
        payload_text, mac_text = token.split(".", 1)
        payload = unb64(payload_text)
        mac = unb64(mac_text)
    except (ValueError, TypeError) as error:
        raise BadToken("malformed link") from error
    if not hmac.compare_digest(hmac.new(secret, payload, hashlib.sha256).digest(), mac):
        raise BadToken("the link's signature does not match")
    data = json.loads(payload)
    expires = datetime.fromtimestamp(int(data["e"]), UTC)
    if now >= expires:
        raise BadToken("the link has expired")
    return AckClaim(str(data["i"]), str(data["r"]), expires, str(data["n"]))
