"""The demo's signed act: with a test certificate, Form 08 is signed and goes out on its own."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from monitor.breach_commands import build_playbook
from monitor.demo_breach import wait
from monitor.demo_mail import EmlMailbox
from monitor.incidents import Incident
from monitor.service import Vigil
from monitor.signing_settings import SECRET_VARIABLE, SigningSettings
from playbooks.signed_form import SIGNED, stored_problems

ALS = "Công ty Cổ phần Logistics Hàng không (ALS) — DEMO"


def name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vigil demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def certified(
    subject: str, issuer: str, key: rsa.RSAPrivateKey, signer: rsa.RSAPrivateKey, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def demo_key(folder: Path, password: str) -> Path:
    """A demo certification authority and ALS's certificate under it, in a PKCS#12 file
    (a real deployment points `signing` at the company's USB token instead)."""
    authority_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    als_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    authority = certified("Vigil demo CA", "Vigil demo CA", authority_key, authority_key, True)
    als = certified(ALS, "Vigil demo CA", als_key, authority_key, False)
    path = folder / "als-demo.p12"
    encryption = serialization.BestAvailableEncryption(password.encode())
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(b"als", als_key, als, [authority], encryption)
    )
    path.chmod(0o600)
    return path


async def signed_act(vigil: Vigil, folder: Path, mailbox: EmlMailbox, seen: list[Incident]) -> bool:
    """The clerk's reading of act two as a breach under `signed-email`: the form goes to A05
    signed, on its own; its kept PDF verifies against the record."""
    read = [i for i in seen if i.detector == "bulk_access.unauthorized_department"]
    if not read:
        return False
    os.environ[SECRET_VARIABLE] = "demo-only"  # a real PIN lives in a root-only file
    settings = vigil.settings.model_copy(
        update={
            "breach": vigil.settings.breach.model_copy(
                update={"authority_delivery": "signed-email"}
            ),
            "signing": SigningSettings(pkcs12=demo_key(folder, "demo-only")),
        }
    )
    playbook = build_playbook(replace(vigil, settings=settings))
    breach = await playbook.store.declare(
        [read[0].id], "A warehouse clerk read customer records", "quang.le"
    )
    print(f"  BREACH   {breach.id} declared, with breach.authority_delivery: signed-email")
    before = len(mailbox.received)
    await playbook.run(breach.id)
    authority = settings.breach.authority_email
    arrived = await wait(
        lambda: [m for m in mailbox.received[before:] if str(m[1]["To"]) == authority], 1
    )
    for path, message in arrived:
        attached = [str(part.get_filename()) for part in message.iter_attachments()]
        print(f"  MAIL     to {authority}: {message['Subject']}  ({path}; {', '.join(attached)})")
    entries, problems = await playbook.record.verify(breach.id)
    problems += await stored_problems(settings, breach.id, entries)
    signed = [e["data"] for e in entries if e.get("kind") == SIGNED]
    for data in signed:
        kept, digest = data["file"], data["sha256"][:16]
        print(f"  SIGNED   by {data['subject']}, kept as {kept}, SHA-256 {digest}…")
    print(f"  VERIFY   {problems or 'signature and record intact'}")
    return bool(arrived and signed and not problems)
