"""`vigil silences` and `vigil outbox`: the command line of the respond side."""

from __future__ import annotations

import argparse
import getpass
import json
import re
from datetime import UTC, datetime
from typing import Any

from monitor.config_types import parse_duration
from monitor.service import Vigil
from notifications.outbox import Outbox
from notifications.silences import Silences


def add_parsers(commands: Any) -> None:
    silences = commands.add_parser("silences", help="time-boxed matchers that stop paging")
    actions = silences.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add")
    add.add_argument("--family")
    add.add_argument("--detector")
    add.add_argument("--entity", help="name=value, e.g. ip=203.0.113.7")
    add.add_argument("--for", dest="duration", required=True, help="e.g. 2h")
    add.add_argument("--reason", required=True)
    add.add_argument("--by", default=getpass.getuser())
    actions.add_parser("list").add_argument("--json", action="store_true")
    actions.add_parser("expire").add_argument("id")

    outbox = commands.add_parser("outbox", help="notifications waiting, sent or dead")
    moves = outbox.add_subparsers(dest="action", required=True)
    moves.add_parser("dead", help="messages that will not be tried again by themselves")
    moves.add_parser("show").add_argument("key")
    moves.add_parser("retry", help="queue a dead message again").add_argument("key")


async def silences_command(vigil: Vigil, args: argparse.Namespace) -> int:
    silences = Silences(vigil.redis, vigil.keys)
    now = datetime.now(UTC)
    if args.action == "add":
        try:
            silence = await silences.add(
                now,
                now + parse_duration(args.duration),
                args.reason,
                args.by,
                args.family,
                args.detector,
                args.entity,
            )
        except ValueError as error:
            print(f"vigil: {error}")
            return 2
        print(f"silence {silence.id} until {silence.ends}")
        return 0
    if args.action == "expire":
        found = await silences.expire(args.id, now)
        print(f"silence {args.id} expired" if found else f"vigil: no silence {args.id}")
        return 0 if found else 1
    for silence in await silences.all():
        active = (
            datetime.fromisoformat(silence.starts) <= now < datetime.fromisoformat(silence.ends)
        )
        matchers = " ".join(
            f"{k}={v}"
            for k, v in (
                ("family", silence.family),
                ("detector", silence.detector),
                ("entity", silence.entity),
            )
            if v
        )
        state = "active" if active else "inactive"
        print(
            f"{silence.id}  {state:8}  until {silence.ends}  {matchers}  by {silence.by}: "
            f"{silence.reason}"
        )
    return 0


# The outbox key of a phase's Form 08 e-mail to the authority (playbooks.message_keys).
AUTHORITY_FORM = re.compile(r"^breach:[^:]+:authority:\d+$")


async def outbox_command(vigil: Vigil, args: argparse.Namespace) -> int:
    outbox = Outbox(vigil.redis, vigil.keys)
    if args.action == "retry":
        if AUTHORITY_FORM.match(args.key):
            # Resent as it was, a form past its deadline would go without its late reason.
            breach_id = args.key.split(":")[1]
            print(
                f"vigil: {args.key} is a Form 08 for the authority: use `vigil breach retry "
                f"{breach_id}` (it renders the form again, with the late reason past its deadline)"
            )
            return 2
        queued = await outbox.retry(args.key)
        print(f"{args.key} queued again" if queued else f"vigil: {args.key} is not dead")
        return 0 if queued else 1
    if args.action == "show":
        delivery = await outbox.delivery(args.key)
        if delivery is None:
            print(f"vigil: no message {args.key}")
            return 1
        print(
            json.dumps(
                {
                    "key": delivery.key,
                    "state": delivery.state,
                    "attempts": delivery.attempts,
                    "subject": delivery.subject,
                    "message_id": delivery.message_id,
                    "last_error": delivery.last_error,
                },
                indent=2,
            )
        )
        return 0
    for dead in await outbox.dead():
        print(f"{dead.key}  tries {dead.attempts}  {dead.subject}  ({dead.last_error})")
    return 0
