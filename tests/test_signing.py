"""Form 08 signed with the organisation's key (PAdES), from a PKCS#12 file or a token."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from monitor.signing_settings import SigningSettings
from playbooks.signing import SigningError, sign_pdf, usable, verify_pdf
from tests.signing_keys import PIN, SOFTHSM, als_key, pkcs12_file, process_token


def a_form() -> bytes:
    """A one-page A4 PDF standing for the rendered Form 08."""
    writer = PdfFileWriter()
    text = b"BT /F1 12 Tf 72 760 Td (Mau so 08) Tj ET"
    contents = writer.add_object(generic.StreamObject(stream_data=text))
    box = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)])
    writer.insert_page(PageObject(contents=contents, media_box=box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def font_widths(item: object, depth: int = 0) -> list[int]:
    """Every glyph width (/W) of the fonts an appearance stream draws with."""
    item = item.get_object() if isinstance(item, generic.IndirectObject) else item
    if depth > 8 or not isinstance(item, generic.DictionaryObject | generic.ArrayObject):
        return []
    if isinstance(item, generic.DictionaryObject) and "/W" in item and "/CIDSystemInfo" in item:
        return [int(w) for run in item["/W"] if isinstance(run, generic.ArrayObject) for w in run]
    children = item.values() if isinstance(item, generic.DictionaryObject) else item
    return [w for child in children for w in font_widths(child, depth + 1)]


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("VIGIL_SIGNING_SECRET", "mật-khẩu-ALS")
    return "mật-khẩu-ALS"


async def test_a_signed_form_verifies_and_any_change_breaks_it(tmp_path: Path, secret: str) -> None:
    key = als_key()
    settings = SigningSettings(pkcs12=pkcs12_file(tmp_path / "als.p12", key, secret))
    signed, signature = await sign_pdf(a_form(), settings)
    record = signature.to_record()
    assert record["serial"] == format(key.cert.serial_number, "x")
    assert "Logistics Hàng không (ALS)" in record["subject"]
    assert await verify_pdf(signed, record) == []
    (embedded,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    # The block's letters are spaced as the font says: widths per 1000 em, none wider than
    # an em (pyHanko alone wrote DejaVu's 2048-unit widths, and readers doubled the spacing).
    widths = font_widths(embedded.sig_field["/AP"]["/N"])
    assert widths and max(widths) <= 1000 and 636 in widths  # 636: a DejaVu Sans digit
    changed = signed.replace(b"Mau so 08", b"Mau so 09")
    problems = await verify_pdf(changed, record)
    assert "the PDF is not the one signed (SHA-256 differs)" in problems
    assert "the signature does not match the document (changed after signing)" in problems


async def test_an_expired_certificate_signs_nothing(tmp_path: Path, secret: str) -> None:
    old = als_key(valid_from=datetime.now(UTC) - timedelta(days=400))
    settings = SigningSettings(pkcs12=pkcs12_file(tmp_path / "old.p12", old, secret))
    with pytest.raises(SigningError, match="the certificate expired on"):
        usable(settings)
    with pytest.raises(SigningError, match="expired"):
        await sign_pdf(a_form(), settings)


def test_a_wrong_password_is_one_clear_line(tmp_path: Path, secret: str) -> None:
    path = pkcs12_file(tmp_path / "als.p12", als_key(), "another")
    with pytest.raises(SigningError, match=r"als.p12: cannot open \(wrong password\?\)"):
        usable(SigningSettings(pkcs12=path))


def test_a_secret_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIGIL_SIGNING_SECRET", raising=False)
    path = pkcs12_file(tmp_path / "als.p12", als_key(), "from-file")
    secret_file = tmp_path / "signing.secret"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o644)
    settings = SigningSettings(pkcs12=path, secret_file=secret_file)
    with pytest.raises(SigningError, match="readable by others"):
        usable(settings)
    secret_file.chmod(0o600)
    assert usable(settings).serial_number > 0


@pytest.mark.skipif(not SOFTHSM.exists(), reason="make test installs softhsm2")
async def test_a_key_on_a_token_signs_and_a_wrong_pin_is_refused(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    process_token(tmp_path_factory.getbasetemp() / "softhsm")
    monkeypatch.setenv("VIGIL_SIGNING_SECRET", PIN)
    settings = SigningSettings(pkcs11_module=SOFTHSM, token_label="ALS", key_label="als-signing")
    signed, signature = await sign_pdf(a_form(), settings)
    assert await verify_pdf(signed, signature.to_record()) == []
    missing = settings.model_copy(update={"token_label": "NOT-PLUGGED-IN"})
    with pytest.raises(SigningError, match="token 'NOT-PLUGGED-IN'"):
        usable(missing)
    mislabelled = settings.model_copy(update={"key_label": "als-2025"})
    with pytest.raises(SigningError, match="Could not find certificate with label 'als-2025'"):
        usable(mislabelled)
    again, second = await sign_pdf(a_form(), settings)  # the failures left no login open
    assert await verify_pdf(again, second.to_record()) == []


def test_settings_take_one_key_and_a_token_needs_its_labels() -> None:
    with pytest.raises(ValueError, match="either pkcs12 or pkcs11_module"):
        SigningSettings(pkcs12=Path("a.p12"), pkcs11_module=SOFTHSM)
    with pytest.raises(ValueError, match="needs token_label and key_label"):
        SigningSettings(pkcs11_module=SOFTHSM)
