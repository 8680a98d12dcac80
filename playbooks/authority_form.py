"""Form 08 for one phase as messages: rendered, recorded, and under signed-email signed and
kept; the draft for the officer says what to do, and why when signing failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from monitor.incidents import Incident
from notifications.message import Channel, Message
from playbooks.breach import Breach
from playbooks.customers import Affected
from playbooks.filing import filing_steps
from playbooks.form08 import Parties
from playbooks.notices import authority_notice
from playbooks.record import Head, head_headers
from playbooks.signed_form import failure_note, sign_form

if TYPE_CHECKING:
    from playbooks.playbook import Playbook


async def authority_messages(
    playbook: Playbook,
    breach: Breach,
    incidents: Sequence[Incident],
    found: Sequence[Affected],
    unknown: Sequence[str],
    copies: Sequence[tuple[str, str]],
    mode: str,
    failed: str = "",
) -> list[Message]:
    """Form 08 for this phase, rendered and recorded (and with `mode` "signed", signed
    and kept), as one message per copy; `failed`: why the draft replaces a signed form."""
    head = await playbook.record.head(breach.id)
    view = replace(playbook.view(breach), record_entries=head.count, record_head=head.hash)
    notice, form = authority_notice(
        view,
        playbook.settings.organisation,
        playbook.breach,
        incidents,
        Parties(found, unknown, playbook.rota.staff),
        playbook.locate,
    )
    attachment: tuple[str, str, str | bytes] = (
        f"{breach.id}-form-08-phase-{breach.phase}.html",
        "text/html",
        notice.attachment,
    )
    if mode == "signed":
        name, pdf = await sign_form(
            playbook.record, playbook.settings, breach, form, playbook.clock()
        )
        attachment = (name, "application/pdf", pdf)
    draft = mode == "draft"
    entry = await playbook.record.append(
        breach.id,
        "notice-rendered",
        {
            "recipient": "draft for signature" if draft else "authority",
            "phase": breach.phase,
            "language": notice.language,
            "sha256": notice.digest,
            "late_reason": breach.late_reason,
        },
    )
    subject, text = notice.subject, notice.text
    if draft:
        subject, text = f"[DRAFT for signature] {subject}", filing_steps(breach) + text
    if failed:
        subject, text = f"[SIGNING FAILED] {subject}", failure_note(failed) + text
    headers = head_headers(Head(entry["seq"], entry["hash"]), "vi, en")
    return [
        Message(
            key,
            Channel.EMAIL,
            (address,),
            subject,
            text,
            "",
            breach.incidents,
            (attachment,),
            headers,
        )
        for key, address in copies
    ]
