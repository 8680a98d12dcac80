"""The PDF side of signing Form 08 (pyHanko): a PAdES signature with a visible block in
Vietnamese, and the check of a kept signed form against its record entry."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
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

from monitor.signing_settings import SigningSettings
from playbooks.pdf import Place
from playbooks.signing import (
    FIELD,
    FONT,
    STAMP,
    Signature,
    SigningError,
    certificate_of,
    check_valid,
)


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


async def verified(pdf: bytes, recorded: Mapping[str, str]) -> list[str]:
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
