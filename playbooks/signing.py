"""Form 08 signed as PAdES with the organisation's certificate, so it can go out on its own.

The key is on a PKCS#11 token (the USB token of a licensed certification authority) or in a
PKCS#12 file; its PIN or password never sits in the config. Opening and checking the key is
here; the PDF signing itself (pyHanko) is in `playbooks.pades`, loaded only when a form is
signed or checked, so that the ingest and detect roles do not carry the PDF stack.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.signing_settings import SECRET_VARIABLE, SigningSettings

if TYPE_CHECKING:
    from asn1crypto import x509
    from pyhanko.sign import signers

    from playbooks.pdf import Place

FIELD = "ChuKyToChuc"  # the organisation's signature, on the form's signature place
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core
STAMP = "Ký số bởi: %(signer)s\nThời gian: %(ts)s"


class SigningError(Exception):
    """The key or certificate cannot sign now; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class Signature:
    """What the breach record keeps of a signed form: enough to check it later."""

    sha256: str
    subject: str
    serial: str
    not_before: str
    not_after: str
    signed_at: str

    def to_record(self) -> dict[str, str]:
        return asdict(self)


def secret(settings: SigningSettings) -> str:
    """The PIN or password: from the environment, else from a file only Vigil's user reads."""
    if value := os.environ.get(SECRET_VARIABLE):
        return value
    path = settings.secret_file
    if path is None:
        raise SigningError(f"no PIN or password: set {SECRET_VARIABLE} or signing.secret_file")
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SigningError(f"{path}: readable by others (chmod 600 it)")
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SigningError(f"{path}: cannot read: {error.strerror}") from None


@contextmanager
def opened(settings: SigningSettings) -> Iterator[signers.Signer]:
    """The configured key, for one use: a token's session is closed after it, since a login
    left open makes the next one fail (UserAlreadyLoggedIn) until Vigil restarts."""
    signer = open_signer(settings)
    try:
        yield signer
    finally:
        session = getattr(signer, "pkcs11_session", None)
        if session is not None:
            session.close()


def open_signer(settings: SigningSettings) -> signers.Signer:
    """The configured key, opened; SigningError says what is wrong with it."""
    if settings.pkcs12 is not None:
        return pkcs12_signer(settings.pkcs12, secret(settings))
    if settings.pkcs11_module is not None:
        return pkcs11_signer(settings, secret(settings))
    raise SigningError("no signing key configured (signing.pkcs12 or signing.pkcs11_module)")


def pkcs12_signer(path: Path, password: str) -> signers.Signer:
    from pyhanko.sign import signers  # the PDF signing stack, only when a key is opened

    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningError(f"{path}: cannot read: {error.strerror}") from None
    try:
        loaded: signers.SimpleSigner | None = signers.SimpleSigner.load_pkcs12_data(
            data, (), passphrase=password.encode()
        )
    except (ValueError, TypeError) as error:
        raise SigningError(f"{path}: cannot open (wrong password?): {error}") from None
    if loaded is None:
        raise SigningError(f"{path}: cannot open (wrong password?)")
    return loaded


def pkcs11_signer(settings: SigningSettings, pin: str) -> signers.Signer:
    # Imported here: only a token configuration needs the PKCS#11 stack.
    from pkcs11.exceptions import PKCS11Error
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    try:
        session = open_pkcs11_session(
            str(settings.pkcs11_module),
            token_criteria=TokenCriteria(label=settings.token_label),
            user_pin=pin,
        )
        return PKCS11Signer(session, key_label=settings.key_label, cert_label=settings.key_label)
    except (PKCS11Error, OSError, RuntimeError) as error:
        name = type(error).__name__
        raise SigningError(f"token {settings.token_label!r}: {name} {error}".strip()) from None


def certificate_of(signer: signers.Signer) -> x509.Certificate:
    try:
        cert = signer.signing_cert  # a token's is looked up now, by key_label
    except Exception as error:  # pkcs11's errors: no such label, two of them, token gone
        raise SigningError(f"the key's certificate: {type(error).__name__}: {error}") from None
    if cert is None:
        raise SigningError("the key has no certificate")
    return cert


def check_valid(cert: x509.Certificate, now: datetime) -> None:
    """An expired or not yet valid certificate signs nothing (the form would not be valid)."""
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    if now < not_before:
        raise SigningError(f"the certificate is not valid before {not_before:%Y-%m-%d}")
    if now > not_after:
        raise SigningError(f"the certificate expired on {not_after:%Y-%m-%d}")


def usable(settings: SigningSettings, now: datetime | None = None) -> x509.Certificate:
    """At start: the key opens and its certificate is valid now, or SigningError."""
    with opened(settings) as signer:
        cert = certificate_of(signer)
    check_valid(cert, now or datetime.now(UTC))
    return cert


def refusal(delivery: str, settings: SigningSettings) -> str | None:
    """Why Vigil cannot start with this delivery (signed-email needs a usable key), or None."""
    if delivery != "signed-email":
        return None
    try:
        usable(settings)
    except SigningError as error:
        return (
            f"breach.authority_delivery is signed-email but the signing key is not usable: {error}"
        )
    return None


async def sign_pdf(
    pdf: bytes, settings: SigningSettings, now: datetime | None = None, place: Place | None = None
) -> tuple[bytes, Signature]:
    """`pdf` signed by the configured key on its signature place, and what to record of it.
    `place`: where the block goes; none: `settings.box` on the last page."""
    from playbooks.pades import signed_with

    with opened(settings) as signer:
        return await signed_with(signer, pdf, settings, now, place)


async def verify_pdf(pdf: bytes, recorded: Mapping[str, str]) -> list[str]:
    """What is wrong with a stored signed form against its record entry (nothing: [])."""
    from playbooks.pades import verified

    return await verified(pdf, recorded)
