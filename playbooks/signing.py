"""Form 08 signed as PAdES with the organisation's certificate, so it can go out on its own.

pyHanko does the PDF signing: an incremental update with a visible signature block and a
CMS signature over the whole file, which any PDF reader checks (a change after signing
breaks it). The key is on a PKCS#11 token (the USB token of a licensed certification
authority) or in a PKCS#12 file; its PIN or password never sits in the config.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from monitor.signing_settings import SECRET_VARIABLE, SigningSettings
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


class PerMille(GlyphAccumulator):
    """pyHanko 0.38 writes a TrueType font's glyph widths to /W in font units, which PDF
    reads per 1000 em: DejaVu has 2048, so readers spaced every letter twice as wide.
    Here shaping, widths and advances are all counted per 1000 em."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.font_units = self.units_per_em
        self.units_per_em = 1000
        self.hb_font.scale = (1000, 1000)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        if glyph_id in self._glyphs:
            return self._glyphs[glyph_id]
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = scaled = cid, round(width * 1000 / self.font_units)
        return scaled


@dataclass(frozen=True)
class VietnameseFont(GlyphAccumulatorFactory):
    """DejaVu Sans, read into memory (pyHanko's own factory leaves the file open)."""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        return PerMille(
            writer=writer,
            font_handle=io.BytesIO(Path(self.font_file).read_bytes()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def stamp_style(signer_name: str) -> TextStampStyle:
    text = STAMP.replace("%(signer)s", signer_name.replace("%", "%%"))
    if not FONT.exists():  # without it, the block shows no Vietnamese letters
        return TextStampStyle(stamp_text=text)
    return TextStampStyle(
        stamp_text=text, text_box_style=TextBoxStyle(font=VietnameseFont(str(FONT)))
    )


async def sign_pdf(
    pdf: bytes, settings: SigningSettings, now: datetime | None = None, place: Place | None = None
) -> tuple[bytes, Signature]:
    """`pdf` signed by the configured key on its signature place, and what to record of it.
    `place`: where the block goes; none: `settings.box` on the last page."""
    with opened(settings) as signer:
        return await signed_with(signer, pdf, settings, now, place)


async def signed_with(
    signer: signers.Signer,
    pdf: bytes,
    settings: SigningSettings,
    now: datetime | None,
    place: Place | None,
) -> tuple[bytes, Signature]:
    cert = certificate_of(signer)
    at = now or datetime.now(UTC)
    check_valid(cert, at)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if FIELD not in {name for name, _, _ in fields.enumerate_sig_fields(writer)}:
        last = int(writer.root["/Pages"]["/Count"]) - 1
        page, box = (place.page, place.box) if place else (last, settings.box)
        spec = fields.SigFieldSpec(FIELD, on_page=page, box=box)
        fields.append_signature_field(writer, spec)
    name = settings.signer_name or cert.subject.native.get("common_name", "")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        reason="Mẫu số 08 (Nghị định 356/2025/NĐ-CP)",
        location="Hà Nội",
        subfilter=fields.SigSeedSubFilter.PADES,  # ETSI.CAdES.detached, not adbe.pkcs7
    )
    stamper = timestamps.HTTPTimeStamper(settings.timestamp_url) if settings.timestamp_url else None
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=stamper, stamp_style=stamp_style(str(name))
    )
    try:
        signed = (await pdf_signer.async_sign_pdf(writer)).getvalue()
    except Exception as error:  # a token pulled out mid-signature, a refused PIN, a TSA down
        raise SigningError(f"signing failed: {type(error).__name__}: {error}") from None
    return signed, signature_of(signed, cert, at)


def signature_of(signed: bytes, cert: x509.Certificate, at: datetime) -> Signature:
    return Signature(
        sha256=hashlib.sha256(signed).hexdigest(),
        subject=cert.subject.human_friendly,
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before.isoformat(),
        not_after=cert.not_valid_after.isoformat(),
        signed_at=at.isoformat(),
    )


async def verify_pdf(pdf: bytes, recorded: Mapping[str, str]) -> list[str]:
    """What is wrong with a stored signed form against its record entry (nothing: [])."""
    problems = []
    if hashlib.sha256(pdf).hexdigest() != recorded.get("sha256"):
        problems.append("the PDF is not the one signed (SHA-256 differs)")
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    if not embedded:
        return [*problems, "the PDF carries no signature"]
    cert = embedded[0].signer_cert
    context = ValidationContext(trust_roots=[cert])
    status = await async_validate_pdf_signature(embedded[0], context)
    if not status.intact or not status.valid:
        problems.append("the signature does not match the document (changed after signing)")
    if format(cert.serial_number, "x") != recorded.get("serial"):
        problems.append("signed with another certificate than the one recorded")
    return problems
