"""`vigil breach`: declare, follow, file, preview, verify and export section 10 breaches."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from monitor.breach_status import print_status
from monitor.events import parse_time
from monitor.service import Vigil
from monitor.settings import Settings
from notifications.oncall import Rota, staff_directory
from notifications.outbox import Outbox
from notifications.schedule import build_scheduler
from playbooks import decisions, filing
from playbooks.breach import BreachError, BreachStore
from playbooks.deliveries import disagreements
from playbooks.minutes import record_html, record_minutes
from playbooks.playbook import Outcome, Playbook, preview
from playbooks.progress import progress
from playbooks.record import Record
from playbooks.schedule import schedule_reminders
from playbooks.seal import seal_for
from playbooks.signed_form import stored_problems
from playbooks.signing import SigningError, secret

WAITS_FOR = {
    "approval": "`vigil breach approve`",
    "late reason": "`vigil breach late-reason`",
    "confirmation": "no customer is affected: `vigil breach confirm` or `vigil breach withdraw`",
    "withdrawn": "nothing: the breach was withdrawn",
}


def build_playbook(vigil: Vigil) -> Playbook:
    settings = vigil.settings
    record = Record(vigil.redis, vigil.keys, settings.breach.retention, seal_for(settings))
    store = BreachStore(
        vigil.redis, vigil.keys, vigil.store, record, deadline=settings.breach.deadline
    )
    outbox = Outbox(vigil.redis, vigil.keys, retention=settings.outbox.retention)
    rota = Rota(settings.alerts.rotation, staff_directory(settings))
    return Playbook(settings, store, vigil.store, outbox, rota)


def add_parsers(commands: Any) -> None:
    breach = commands.add_parser("breach", help="section 10: notify the authority and customers")
    actions = breach.add_subparsers(dest="action", required=True)
    declare = actions.add_parser("declare", help="declare a breach on incidents")
    declare.add_argument("incidents", nargs="+")
    declare.add_argument("--summary", required=True)
    actions.add_parser("list")
    for name in ("status", "run", "verify"):
        actions.add_parser(name).add_argument("id")
    status = actions.choices["status"]
    status.add_argument("--json", action="store_true")
    status.add_argument("--recipients", action="store_true", help="one line per customer")
    shown = actions.add_parser("preview", help="render every notice into a folder, send nothing")
    shown.add_argument("id")
    shown.add_argument("--out", type=Path, required=True)
    record = actions.add_parser("record", help="the breach record as JSON or printable HTML")
    record.add_argument("id")
    record.add_argument("--html", type=Path, help="write the printable record here")
    record.add_argument("--pdf", type=Path, help="write the record as PDF for signing here")
    attach = actions.add_parser("attach", help="more incidents: a follow-up phase")
    attach.add_argument("id")
    attach.add_argument("incidents", nargs="+")
    late = actions.add_parser("late-reason", help="why a phase is filed after its deadline")
    late.add_argument("id")
    late.add_argument("reason")
    late.add_argument("--phase", type=int, help="default: the current phase")
    approve = actions.add_parser("approve", help="approve notices when config requires it")
    approve.add_argument("id")
    approve.add_argument("--scope", choices=["authority", "all"], default="all")
    filed = actions.add_parser("filed", help="record that the signed Form 08 was filed")
    filed.add_argument("id")
    filed.add_argument("--phase", type=int, required=True)
    filed.add_argument(
        "--at", type=parse_time, required=True, help="ISO time, e.g. 2026-03-03T09:30+07:00"
    )
    filed.add_argument("--reference", required=True, help="the authority's receipt or number")
    filed.add_argument("--late-reason", default="", help="required when filed after the deadline")
    found = actions.add_parser("discovered", help="an earlier discovery: T0 moves back")
    found.add_argument("id")
    found.add_argument("--at", type=parse_time, required=True)
    found.add_argument("--reason", required=True)
    confirm = actions.add_parser("confirm", help="notify a breach that names no customer")
    confirm.add_argument("id")
    withdraw = actions.add_parser("withdraw", help="withdraw a breach before anything went out")
    withdraw.add_argument("id")
    withdraw.add_argument("--reason", required=True)
    retry = actions.add_parser("retry", help="e-mail delivery: send a failed Form 08 again")
    retry.add_argument("id")
    for parser in (declare, attach, late, approve, filed, found, confirm, withdraw):
        parser.add_argument("--by", default=getpass.getuser())


async def breach_command(vigil: Vigil, args: argparse.Namespace) -> int:
    if args.action in RUNS and (missing := unsigned(vigil.settings)):
        # Without it here, the playbook run by this command would send the draft instead.
        print(f"vigil: {missing}", file=sys.stderr)
        return 2
    playbook = build_playbook(vigil)
    try:
        return await dispatch(vigil, playbook, args)
    except BreachError as error:
        print(f"vigil: {error}")
        return 1


async def dispatch(vigil: Vigil, playbook: Playbook, args: argparse.Namespace) -> int:
    store = playbook.store
    if args.action == "list":
        for breach_id in await store.ids():
            breach = await store.existing(breach_id)
            print(
                f"{breach.id}  phase {breach.phase}  detected {breach.detected_at:%Y-%m-%d %H:%M}"
                f" UTC  {breach.summary}" + ("  (withdrawn)" if breach.withdrawn else "")
            )
        return 0
    if args.action == "declare":
        breach = await store.declare(args.incidents, args.summary, args.by)
        await reminders(vigil, playbook, breach.id)
        print(
            f"declared {breach.id}; discovered {breach.detected_at:%Y-%m-%d %H:%M} UTC, "
            f"Form 08 due by {breach.due:%Y-%m-%d %H:%M} UTC"
        )
        return report(await playbook.run(breach.id))
    if args.action in MOVES:
        await MOVES[args.action](playbook, args)
        if args.action in ("attach", "discovered"):
            await reminders(vigil, playbook, args.id)
    if args.action in (*MOVES, "run"):
        return report(await playbook.run(args.id))
    if args.action == "status":
        return await show_status(playbook, args)
    if args.action == "preview":
        return await show_preview(playbook, args)
    return await show_record(playbook, args)


async def attach(playbook: Playbook, args: argparse.Namespace) -> None:
    await playbook.store.attach(args.id, args.incidents, args.by)


async def late_reason(playbook: Playbook, args: argparse.Namespace) -> None:
    await playbook.store.set_late_reason(args.id, args.reason, args.by, args.phase)


async def approve(playbook: Playbook, args: argparse.Namespace) -> None:
    await playbook.store.approve(args.id, args.scope, args.by)


async def filed(playbook: Playbook, args: argparse.Namespace) -> None:
    breach = await decisions.record_filing(
        playbook.store, args.id, args.phase, args.at, args.reference, args.by, args.late_reason
    )
    phase = breach.phases[args.phase - 1]
    print(
        f"phase {phase.number} filed {'late' if args.at > phase.due else 'on time'}"
        f" at {args.at:%Y-%m-%d %H:%M} UTC (reference {phase.reference}); its clock is stopped"
    )


async def discovered(playbook: Playbook, args: argparse.Namespace) -> None:
    breach = await decisions.record_discovery(
        playbook.store, args.id, args.at, args.reason, args.by
    )
    print(f"T0 is now {breach.detected_at:%Y-%m-%d %H:%M} UTC; due {breach.due:%Y-%m-%d %H:%M} UTC")


async def confirm(playbook: Playbook, args: argparse.Namespace) -> None:
    await decisions.confirm(playbook.store, args.id, args.by)


async def withdraw(playbook: Playbook, args: argparse.Namespace) -> None:
    await filing.withdraw(playbook.store, playbook.outbox, args.id, args.reason, args.by)
    print(f"{args.id} withdrawn; nothing more is sent for it")


async def retry(playbook: Playbook, args: argparse.Namespace) -> None:
    await playbook.retry_authority(args.id)
    print("the authority notice is queued again")


MOVES = {
    "retry": retry,
    "attach": attach,
    "late-reason": late_reason,
    "approve": approve,
    "filed": filed,
    "discovered": discovered,
    "confirm": confirm,
    "withdraw": withdraw,
}


RUNS = ("declare", "run", *MOVES)  # the actions that run the playbook, which may sign


def unsigned(settings: Settings) -> str | None:
    """Why this process cannot sign Form 08 under signed-email (no PIN or password), or None."""
    if settings.breach.authority_delivery != "signed-email":
        return None
    try:
        secret(settings.signing)
    except SigningError as error:
        return f"signed-email: this command cannot sign Form 08 ({error}); run it as Vigil's user"
    return None


async def reminders(vigil: Vigil, playbook: Playbook, breach_id: str) -> None:
    """Store the reminder jobs; the respond role runs them (a paused scheduler only stores)."""
    scheduler = build_scheduler(vigil.url, vigil.keys.prefix, vigil.settings.ingest.timezone)
    scheduler.start(paused=True)
    try:
        schedule_reminders(
            scheduler, vigil.keys.prefix, await playbook.store.existing(breach_id), playbook
        )
    finally:
        scheduler.shutdown(wait=False)


def report(outcome: Outcome) -> int:
    print(f"{outcome.customers} affected customers; {outcome.queued} notices queued now")
    if outcome.waiting:
        print(f"the playbook waits for: {outcome.waiting} ({WAITS_FOR[outcome.waiting]})")
    if outcome.no_address:
        print(
            f"{len(outcome.no_address)} customers have no safe email address: contact them by "
            "phone or post, and publish the public notice"
        )
    if outcome.unknown:
        print(
            f"{len(outcome.unknown)} customer ids are not in the customer directory (or their "
            "row was skipped): contact them by hand"
        )
    return 0


async def show_status(playbook: Playbook, args: argparse.Namespace) -> int:
    breach = await playbook.store.existing(args.id)
    _, found, unknown = await playbook.affected_of(breach)
    state = await progress(playbook, breach, found, playbook.clock(), args.recipients, unknown)
    if args.json:
        print(json.dumps(state, indent=2, ensure_ascii=False))
    else:
        print_status(state)
    return 0


async def show_preview(playbook: Playbook, args: argparse.Namespace) -> int:
    breach = await playbook.store.existing(args.id)
    incidents, found, _ = await playbook.affected_of(breach)
    written = preview(playbook, breach, found, incidents, args.out)
    print(f"{written} notices written to {args.out} (nothing was sent)")
    return 0


async def show_record(playbook: Playbook, args: argparse.Namespace) -> int:
    breach = await playbook.store.existing(args.id)
    entries, problems = await playbook.record.verify(breach.id)
    problems += await disagreements(playbook.store, playbook.outbox, breach.id, entries)
    problems += await stored_problems(playbook.settings, breach.id, entries)
    if args.action == "verify":
        print(
            f"{breach.id}: {len(entries)} entries, "
            + ("the chain is intact" if not problems else "BROKEN:\n  " + "\n  ".join(problems))
        )
        return 0 if not problems else 1
    if args.html or args.pdf:
        written = record_minutes(breach, playbook.settings.organisation, entries, problems)
        if args.html:
            args.html.write_text(record_html(written))
        if args.pdf:
            from playbooks.pdf import record_pdf  # fpdf: only where a record is printed

            args.pdf.write_bytes(record_pdf(written))
        print(f"record written to {', '.join(str(p) for p in (args.html, args.pdf) if p)}")
        return 0
    print(
        json.dumps(
            {"breach": breach.id, "intact": not problems, "entries": entries},
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0
