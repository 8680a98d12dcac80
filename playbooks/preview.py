"""`vigil breach preview`: every document of a breach written to a folder, nothing sent."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.incidents import Incident
from playbooks.breach import Breach
from playbooks.customers import Affected, affected
from playbooks.form08 import Parties
from playbooks.notices import Letters, authority_lines, authority_notice, customer_notice
from playbooks.public import REASONS, CareRow, care_list, public_notice
from playbooks.stories import Stories

if TYPE_CHECKING:
    from playbooks.playbook import Playbook

log = logging.getLogger(__name__)


def write_preview(
    playbook: Playbook,
    breach: Breach,
    found: Sequence[Affected],
    incidents: Sequence[Incident],
    folder: Path,
) -> int:
    """Form 08 (text, HTML, PDF), each customer's notice, the public notice and the call list."""
    folder.mkdir(parents=True, exist_ok=True)
    _, unknown = affected(incidents, playbook.directory(), breach.occurred_at)
    entries = len(breach.incidents)
    view = replace(playbook.view(breach), attachments=("evidence",), record_entries=entries)
    organisation = playbook.settings.organisation
    notice, form = authority_notice(
        view,
        organisation,
        playbook.breach,
        incidents,
        Parties(found, unknown, playbook.rota.staff),
        playbook.locate,
    )
    (folder / "authority.txt").write_text(notice.text)
    (folder / "authority-form-08.html").write_text(notice.attachment)
    from playbooks.pdf import form_pdf  # fpdf: only where a form is printed

    (folder / "authority-form-08.pdf").write_bytes(form_pdf(form))
    warnings = [
        f"{key}: not configured, printed on Form 08 as a blank to fill" for key in form.blanks
    ]
    lines = authority_lines(playbook.breach, None, breach.due, playbook.clock())
    letters = Letters(view, organisation, Stories(incidents), lines)
    for item in found:
        if item.address is None:
            continue
        written = customer_notice(letters, item)
        if written.warning:
            warnings.append(f"{item.customer.customer_id}: {written.warning}")
        base = folder / f"customer-{item.customer.customer_id}"
        base.with_suffix(".txt").write_text(written.text)
        base.with_suffix(".html").write_text(written.html)
    rows = care_list(found, unknown, breach.occurred_at)
    public = public_notice(view, organisation, letters.stories, rows, lines)
    if public is not None:
        (folder / "public-notice.txt").write_text(public.text)
        (folder / "public-notice.html").write_text(public.html)
    if rows:
        write_care_list(folder / "customer-care.csv", rows)
    for warning in warnings:
        log.warning("preview of %s: %s", breach.id, warning)
    if warnings:
        (folder / "WARNINGS.txt").write_text("\n".join(warnings) + "\n")
    return 1 + sum(1 for a in found if a.address is not None) + (public is not None)


def write_care_list(path: Path, rows: Sequence[CareRow]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "full_name", "phone", "reason"])
        for row in rows:
            writer.writerow([row.customer_id, row.full_name, row.phone, REASONS[row.reason][1]])
