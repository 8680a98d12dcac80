"""signed-email delivery: Form 08 as a PDF signed with the organisation's key, kept beside
the record (var/breach/<id>/form-08-phase-N.pdf) and e-mailed byte for byte; a key that
cannot sign sends the phase back to the draft for the officer, and the record says why."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.settings import Settings
from playbooks.breach import Breach, BreachStore
from playbooks.form08 import Form08
from playbooks.record import Record
from playbooks.seal import breach_folder
from playbooks.signing import sign_pdf, verify_pdf

SIGNED = "form-signed"
FAILED = "signing-failed"
EMAILED = ("email", "signed-email")  # the deliveries that send Form 08 to the authority


def forms_folder(settings: Settings, breach_id: str) -> Path:
    """The breach's signed forms, readable by Vigil's user only."""
    folder = breach_folder(settings) / breach_id
    folder.mkdir(exist_ok=True, mode=0o700)
    return folder


def keep(folder: Path, phase: int, pdf: bytes) -> str:
    """Write the signed PDF under a name never used before (a retry signs anew); its name."""
    for attempt in range(1, 1000):
        name = (
            f"form-08-phase-{phase}.pdf" if attempt == 1 else f"form-08-phase-{phase}-{attempt}.pdf"
        )
        try:
            descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pdf)
        return name
    raise OSError(f"{folder}: no free name for phase {phase}'s signed form")


async def sign_form(
    record: Record, settings: Settings, breach: Breach, form: Form08, now: datetime
) -> tuple[str, bytes]:
    """Form 08 rendered, signed, kept and recorded (SigningError: nothing is kept)."""
    from playbooks.pdf import placed_form_pdf  # fpdf: only where a form is printed

    pdf, place = await asyncio.to_thread(placed_form_pdf, form)  # fpdf: off the event loop
    signed, signature = await sign_pdf(pdf, settings.signing, now, place)
    name = keep(forms_folder(settings, breach.id), breach.phase, signed)
    await record.append(
        breach.id, SIGNED, {"phase": breach.phase, "file": name, **signature.to_record()}
    )
    return f"{breach.id}-{name}", signed


def failures_key(store: BreachStore, breach_id: str) -> str:
    return store.key(breach_id, "signing_failed")


async def signing_failed(store: BreachStore, breach_id: str, phase: int) -> str | None:
    """Why a phase's form could not be signed, once it fell back to the draft."""
    raw = await store.redis.hget(failures_key(store, breach_id), str(phase))
    return raw.decode() if raw else None


async def fall_back(store: BreachStore, breach: Breach, reason: str) -> None:
    """This phase goes to the officer as a draft from now on: a key that comes back later
    must not send a second form behind the officer's own filing."""
    if await store.redis.hsetnx(failures_key(store, breach.id), str(breach.phase), reason):
        await store.record.append(
            breach.id,
            FAILED,
            {"phase": breach.phase, "reason": reason, "instead": "draft for signature"},
        )


def failure_note(reason: str) -> str:
    """What the officer's draft says first when the signed form could not go out."""
    return (
        f"SIGNING FAILED: Form 08 could not be signed with the organisation's key ({reason}).\n"
        "Nothing was sent to the authority: this phase falls back to the draft below.\n\n"
    )


async def stored_problems(
    settings: Settings, breach_id: str, entries: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Every signed form on the record against the PDF kept for it."""
    problems: list[str] = []
    folder = breach_folder(settings) / breach_id
    for entry in entries:
        if entry.get("kind") != SIGNED:
            continue
        data = entry["data"]
        path = folder / str(data.get("file", ""))
        try:
            pdf = path.read_bytes()
        except OSError as error:
            problems.append(f"{path}: signed form missing ({error.strerror})")
            continue
        problems += [f"{path}: {problem}" for problem in await verify_pdf(pdf, data)]
    return problems
