"""A test certificate and key for Form 08 signing: in a PKCS#12 file and on a SoftHSM token."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "246810"


@dataclass(frozen=True)
class Key:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def als_key(valid_from: datetime | None = None, days: int = 365) -> Key:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Công ty Cổ phần Logistics Hàng không"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Công ty Cổ phần Logistics Hàng không (ALS)"),
        ]
    )
    start = valid_from or datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return Key(key, cert)


def pkcs12_file(path: Path, key: Key, password: str) -> Path:
    data = pkcs12.serialize_key_and_certificates(
        b"als", key.key, key.cert, None, serialization.BestAvailableEncryption(password.encode())
    )
    path.write_bytes(data)
    return path


def softhsm_token(folder: Path, key: Key, label: str = "ALS") -> dict[str, str]:
    """A SoftHSM token holding `key` and its certificate as 'als-signing'; the environment
    SoftHSM needs to find it."""
    import pkcs11
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    (folder / "tokens").mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    env = {"SOFTHSM2_CONF": str(conf)}
    os.environ.update(env)
    util = shutil.which("softhsm2-util") or "softhsm2-util"
    init = [
        util,
        "--init-token",
        "--free",
        "--label",
        label,
        "--pin",
        PIN,
        "--so-pin",
        "1234567890",
    ]
    subprocess.run(init, check=True, capture_output=True, env=os.environ | env)
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=label)
    der_key = key.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    mine = {
        pkcs11.Attribute.LABEL: "als-signing",
        pkcs11.Attribute.ID: b"\x01",
        pkcs11.Attribute.TOKEN: True,
    }
    with token.open(rw=True, user_pin=PIN) as session:
        private = decode_rsa_private_key(der_key)
        private.update({**mine, pkcs11.Attribute.SIGN: True, pkcs11.Attribute.SENSITIVE: True})
        session.create_object(private)
        cert = decode_x509_certificate(key.cert.public_bytes(serialization.Encoding.DER))
        session.create_object({**cert, **mine})
    return env


TOKENS: list[tuple[Key, dict[str, str]]] = []


def process_token(folder: Path) -> Key:
    """SoftHSM reads its configuration once a process: one token, made on first use, serves
    every test of the run. Its key is valid from before the breach tests' T0 for a century."""
    if not TOKENS:
        key = als_key(valid_from=datetime(2026, 3, 1, tzinfo=UTC), days=36500)
        TOKENS.append((key, softhsm_token(folder, key)))
    return TOKENS[0][0]
