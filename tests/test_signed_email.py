"""signed-email: Form 08 signed with ALS's key goes to A05 on its own, on the record; a key
that fails sends the draft to the officer instead; a stored form changed later fails verify."""

from __future__ import annotations

import argparse
import hashlib
import io
import stat
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from monitor.breach_commands import show_record
from monitor.incidents import IncidentStore
from playbooks.decisions import record_filing
from playbooks.message_keys import authority_key
from playbooks.playbook import Playbook
from playbooks.progress import progress
from playbooks.signing import FIELD, usable, verify_pdf
from tests.breach_parts import (
    T0,
    by_recipient,
    clock_of,
    incident,
    playbook_fixture,
    send_all,
)
from tests.mailbox import Mailbox
from tests.processes import write_config
from tests.signing_keys import PIN, SOFTHSM, Key, als_key, pkcs12_file, process_token
from tests.test_startup import vigil

OFFICER = "quang.le@als.com.vn"
AUTHORITY = "a05@bocongan.gov.vn"
PASSWORD = "mật-khẩu-ALS"
Captured = pytest.CaptureFixture[str]


playbook = playbook_fixture(customers=20)


@pytest.fixture
def signing(playbook: Playbook, tmp_path: Path) -> Callable[[Key], Playbook]:
    """The test world's playbook with signed-email delivery and `key` in a PKCS#12 file."""
    return lambda key: signed_email(
        playbook, tmp_path, {"pkcs12": pkcs12_file(tmp_path / "als.p12", key, PASSWORD)}
    )


def signed_email(playbook: Playbook, folder: Path, key: dict[str, object]) -> Playbook:
    """`playbook` with signed-email delivery, the `key` signing settings, data in `folder`."""
    settings = playbook.settings
    settings = settings.model_copy(
        update={
            "redis": settings.redis.model_copy(update={"data_dir": folder / "var" / "redis"}),
            "breach": settings.breach.model_copy(update={"authority_delivery": "signed-email"}),
            "signing": settings.signing.model_copy(update=key),
        }
    )
    parts = (playbook.store, playbook.incidents, playbook.outbox, playbook.rota)
    return Playbook(settings, *parts, playbook.clock)


@pytest.fixture
def mailbox(smtp: tuple[Mailbox, int]) -> Mailbox:
    return smtp[0]


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_SIGNING_SECRET", PASSWORD)


async def declared(playbook: Playbook, store: IncidentStore) -> str:
    incident_id = await incident(store, ["C-0", "C-1"])
    clock_of(playbook).now = T0 + timedelta(hours=2)
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    await send_all(playbook)
    await playbook.run(breach.id)  # the delivery, seen: the phase is filed
    return breach.id


def sent_to(mailbox: Mailbox, address: str) -> list[EmailMessage]:
    return [m for m in mailbox.messages if m["To"] == address]


def pdf_of(message: EmailMessage) -> bytes:
    (form,) = message.iter_attachments()
    assert form.get_content_type() == "application/pdf"
    content = form.get_content()
    assert isinstance(content, bytes)
    return content


async def entries_of(playbook: Playbook, breach_id: str, kind: str) -> list[dict[str, object]]:
    return [e["data"] for e in await playbook.record.entries(breach_id) if e["kind"] == kind]


def signature_pages(pdf: bytes) -> tuple[int, list[int]]:
    """How many pages, and those (from 0) that show the organisation's signature block."""
    reader = PdfFileReader(io.BytesIO(pdf))
    found = []
    count = int(reader.root["/Pages"]["/Count"])
    for number in range(count):
        page, _ = reader.find_page_for_modification(number)  # type: ignore[no-untyped-call]
        annotations = page.get_object().get("/Annots", [])
        names = [str(a.get_object().get("/T", "")) for a in annotations]
        found += [number] if FIELD in names else []
    return count, found


def valid_key() -> Key:
    """Valid from the day before the test world's discovery (and at any real time since)."""
    return als_key(valid_from=T0 - timedelta(days=1), days=36500)


async def verified(playbook: Playbook, breach_id: str) -> int:
    args = argparse.Namespace(id=breach_id, action="verify", html=None, pdf=None)
    return await show_record(playbook, args)


async def test_the_signed_form_reaches_a05_verifies_and_its_hash_is_on_the_record(
    signing: Callable[[Key], Playbook],
    store: IncidentStore,
    mailbox: Mailbox,
    tmp_path: Path,
    capsys: Captured,
) -> None:
    key = valid_key()
    playbook = signing(key)
    breach_id = await declared(playbook, store)
    (notice,) = sent_to(mailbox, AUTHORITY)
    (copy,) = sent_to(mailbox, OFFICER)
    pdf = pdf_of(notice)
    assert pdf_of(copy) == pdf
    (letter,) = by_recipient(mailbox)["c1@example.com"]
    assert "ALS notified the" in letter
    pages, (signed_on,) = signature_pages(pdf)
    assert signed_on < pages - 1  # under the Vietnamese form's signer; the translation follows
    assert not str(notice["Subject"]).startswith("[DRAFT")
    (signed,) = await entries_of(playbook, breach_id, "form-signed")
    assert signed["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert signed["serial"] == format(key.cert.serial_number, "x")
    assert "Logistics Hàng không (ALS)" in str(signed["subject"])
    assert await verify_pdf(pdf, {k: str(v) for k, v in signed.items()}) == []
    kept = tmp_path / "var" / "breach" / breach_id / "form-08-phase-1.pdf"
    assert kept.read_bytes() == pdf
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    (filed,) = await entries_of(playbook, breach_id, "authority-filed")
    # Delivered counts as filed; the outbox stamps the real time, so on time is not asserted.
    assert (filed["by"], filed["reference"]) == ("vigil (e-mail)", f"e-mail {notice['Message-ID']}")
    breach = await playbook.store.existing(breach_id)
    assert breach.phases[0].reference == f"e-mail {notice['Message-ID']}"
    assert await verified(playbook, breach_id) == 0
    assert "the chain is intact" in capsys.readouterr().out


async def test_a_stored_form_changed_after_signing_fails_verify(
    signing: Callable[[Key], Playbook], store: IncidentStore, tmp_path: Path, capsys: Captured
) -> None:
    playbook = signing(valid_key())
    breach_id = await declared(playbook, store)
    kept = tmp_path / "var" / "breach" / breach_id / "form-08-phase-1.pdf"
    pdf = kept.read_bytes()
    at = pdf.index(b"/CreationDate (D:") + len(b"/CreationDate (D:")  # inside the signed bytes
    kept.write_bytes(pdf[:at] + (b"1" if pdf[at : at + 1] != b"1" else b"2") + pdf[at + 1 :])
    assert await verified(playbook, breach_id) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and "SHA-256 differs" in out and "changed after signing" in out
    kept.unlink()
    assert await verified(playbook, breach_id) == 1
    assert "signed form missing" in capsys.readouterr().out


async def test_an_expired_certificate_sends_the_draft_to_the_officer_and_says_so(
    signing: Callable[[Key], Playbook], store: IncidentStore, mailbox: Mailbox
) -> None:
    key = als_key(valid_from=T0 - timedelta(days=400), days=365)
    playbook = signing(key)
    breach_id = await declared(playbook, store)
    await playbook.run(breach_id)  # run again: still nothing to A05, no second draft
    await send_all(playbook)
    assert sent_to(mailbox, AUTHORITY) == []
    (draft,) = sent_to(mailbox, OFFICER)
    assert str(draft["Subject"]).startswith("[SIGNING FAILED] [DRAFT for signature]")
    body = draft.get_body(preferencelist=("plain",))
    assert body is not None
    expired = f"the certificate expired on {key.cert.not_valid_after_utc:%Y-%m-%d}"
    assert expired in str(body.get_content())
    (failed,) = await entries_of(playbook, breach_id, "signing-failed")
    assert failed == {"phase": 1, "reason": expired, "instead": "draft for signature"}
    assert await entries_of(playbook, breach_id, "form-signed") == []
    assert await entries_of(playbook, breach_id, "authority-filed") == []
    breach = await playbook.store.existing(breach_id)
    _, found, _ = await playbook.affected_of(breach)
    (phase,) = (await progress(playbook, breach, found, playbook.clock()))["phases"]
    assert (phase["state"], phase["signing_failed"]) == ("not filed yet", expired)
    (letter,) = by_recipient(mailbox)["c1@example.com"]  # in English
    assert "ALS will notify the" in letter and "ALS notified the" not in letter
    clock_of(playbook).now = T0 + timedelta(hours=31)  # the officer signs by hand and files
    await record_filing(
        playbook.store, breach_id, 1, T0 + timedelta(hours=30), "A05 7/2026", "quang"
    )
    assert (await playbook.store.existing(breach_id)).phases[0].reference == "A05 7/2026"


async def test_a_failed_signed_form_is_signed_anew_on_retry_and_both_stay_verifiable(
    signing: Callable[[Key], Playbook],
    store: IncidentStore,
    mailbox: Mailbox,
    tmp_path: Path,
    capsys: Captured,
) -> None:
    playbook = signing(valid_key())
    incident_id = await incident(store, ["C-0"])
    clock_of(playbook).now = T0 + timedelta(hours=2)
    breach = await playbook.store.declare([incident_id], "Accounts taken over", "quang")
    await playbook.run(breach.id)
    key = authority_key(breach.id, 1)
    await playbook.outbox.claim(timedelta(minutes=1), count=100)
    await playbook.outbox.failed(key, "550 mailbox unavailable", None)  # dead, as after 5 tries
    assert await playbook.retry_authority(breach.id)
    await send_all(playbook)
    await playbook.run(breach.id)  # records the send, as the respond role does on delivery
    (notice,) = sent_to(mailbox, AUTHORITY)
    kept = tmp_path / "var" / "breach" / breach.id
    assert sorted(p.name for p in kept.iterdir()) == [
        "form-08-phase-1-2.pdf",
        "form-08-phase-1.pdf",
    ]
    assert pdf_of(notice) == (kept / "form-08-phase-1-2.pdf").read_bytes()
    assert len(await entries_of(playbook, breach.id, "form-signed")) == 2
    assert await verified(playbook, breach.id) == 0
    assert "the chain is intact" in capsys.readouterr().out


@pytest.mark.skipif(not SOFTHSM.exists(), reason="make test installs softhsm2")
async def test_a_token_signs_phase_1_and_a_wrong_pin_later_sends_phase_2_as_a_draft(
    playbook: Playbook,
    store: IncidentStore,
    mailbox: Mailbox,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process_token(tmp_path_factory.getbasetemp() / "softhsm")
    monkeypatch.setenv("VIGIL_SIGNING_SECRET", PIN)
    token = {"pkcs11_module": SOFTHSM, "token_label": "ALS", "key_label": "als-signing"}
    playbook = signed_email(playbook, tmp_path, token)
    usable(playbook.settings.signing)  # as at start-up: its login must not outlive the check
    breach_id = await declared(playbook, store)
    (first,) = sent_to(mailbox, AUTHORITY)
    (signed,) = await entries_of(playbook, breach_id, "form-signed")
    assert await verify_pdf(pdf_of(first), {k: str(v) for k, v in signed.items()}) == []
    monkeypatch.setenv("VIGIL_SIGNING_SECRET", "000000")  # someone changed the PIN
    second = await incident(store, ["C-2"], ip="198.51.100.4")
    await playbook.store.attach(breach_id, [second], "lan")
    await playbook.run(breach_id)
    await send_all(playbook)
    assert len(sent_to(mailbox, AUTHORITY)) == 1  # phase 2 never reached A05 unsigned
    (draft,) = [m for m in sent_to(mailbox, OFFICER) if "SIGNING FAILED" in str(m["Subject"])]
    body = draft.get_body(preferencelist=("plain",))
    assert body is not None and "token 'ALS'" in str(body.get_content())
    (failed,) = await entries_of(playbook, breach_id, "signing-failed")
    assert failed["phase"] == 2 and failed["reason"] == "token 'ALS': PinIncorrect"


@pytest.mark.parametrize("command", [("status",), ("run", "--role", "respond")])
def test_start_up_refuses_signed_email_without_a_usable_key(
    tmp_path: Path, redis_url: str, command: tuple[str, ...]
) -> None:
    expired = als_key(valid_from=T0 - timedelta(days=800), days=365)
    for signing, reason in (
        ({}, "no signing key configured"),
        ({"pkcs12": str(pkcs12_file(tmp_path / "old.p12", expired, PASSWORD))}, "expired on"),
    ):
        config = write_config(
            tmp_path / "vigil.yaml",
            {
                "sources": [],
                "breach": {"authority_delivery": "signed-email"},
                "signing": signing,
            },
        )
        env = {"REDIS_URL": redis_url, "VIGIL_SIGNING_SECRET": PASSWORD}
        done = vigil(config, env, *command)
        assert done.returncode == 2
        (line,) = [line for line in done.stderr.strip().splitlines() if "running" not in line]
        assert "signed-email but the signing key is not usable" in line and reason in line
        assert PASSWORD not in done.stderr


def test_a_breach_command_without_the_pin_refuses_rather_than_send_a_draft(
    tmp_path: Path, redis_url: str
) -> None:
    key = pkcs12_file(tmp_path / "als.p12", valid_key(), PASSWORD)
    config = write_config(
        tmp_path / "vigil.yaml",
        {
            "sources": [],
            "breach": {"authority_delivery": "signed-email"},
            "signing": {"pkcs12": str(key)},
        },
    )
    env = {"REDIS_URL": redis_url, "VIGIL_SIGNING_SECRET": ""}
    done = vigil(config, env, "breach", "declare", "INC-1", "--summary", "Accounts taken over")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "vigil: signed-email: this command cannot sign Form 08 (no PIN or password: set "
        "VIGIL_SIGNING_SECRET or signing.secret_file); run it as Vigil's user"
    )
