"""`vigil users` and `vigil tokens`: who may use the dashboard and the API, in which role."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from monitor.dashboard.users import Role, Users
from monitor.service import Vigil


def add_parsers(commands: Any) -> None:
    users = commands.add_parser("users", help="dashboard users (argon2 hashes in Redis)")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add")
    add.add_argument("name")
    add.add_argument("--role", type=Role, choices=list(Role), required=True)
    add.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    actions.add_parser("disable").add_argument("name")
    actions.add_parser("list")
    tokens = commands.add_parser("tokens", help="bearer tokens for automation")
    moves = tokens.add_subparsers(dest="action", required=True)
    token = moves.add_parser("add")
    token.add_argument("name")
    token.add_argument("--role", type=Role, choices=list(Role), required=True)
    moves.add_parser("disable", help="disable every token of that name").add_argument("name")


async def users_command(vigil: Vigil, args: argparse.Namespace) -> int:
    users = Users(vigil.redis, vigil.keys)
    if args.command == "tokens" and args.action == "disable":
        count = await users.disable_token(args.name)
        print(f"{count} token(s) named {args.name} disabled")
        return 0 if count else 1
    if args.command == "tokens":
        token = await users.add_token(args.name, args.role)
        print(f"token for {args.name} ({args.role}), shown once:\n{token}")
        return 0
    if args.action == "add":
        password = (
            sys.stdin.readline().rstrip("\n")
            if args.password_stdin
            else getpass.getpass(f"password for {args.name}: ")
        )
        try:
            await users.add(args.name, args.role, password)
        except ValueError as error:
            print(f"vigil: {error}", file=sys.stderr)
            return 2
        print(f"user {args.name} added as {args.role}")
        return 0
    if args.action == "disable":
        found = await users.disable(args.name)
        print(f"user {args.name} disabled" if found else f"vigil: no user {args.name}")
        return 0 if found else 1
    for name, record in sorted((await users.people()).items()):
        print(f"{name}  {record['role']}{'  (disabled)' if record['disabled'] else ''}")
    return 0
