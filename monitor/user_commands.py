"""`vigil users` and `vigil tokens`: who may use the dashboard and the API, in which role."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from monitor.dashboard.throttle import Throttle
from monitor.dashboard.users import Role, Users
from monitor.service import Vigil


def add_parsers(commands: Any) -> None:
    users = commands.add_parser("users", help="dashboard users (argon2 hashes in Redis)")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add")
    add.add_argument("name")
    add.add_argument("--role", type=Role, choices=list(Role), required=True)
    add.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    actions.add_parser("disable", help="end their sessions; they log in no more").add_argument(
        "name"
    )
    role = actions.add_parser("set-role", help="their open sessions take it at once")
    role.add_argument("name")
    role.add_argument("--role", type=Role, choices=list(Role), required=True)
    passwd = actions.add_parser("passwd", help="a new password; open sessions end")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    actions.add_parser("unlock", help="forget failed logins against them").add_argument("name")
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
    if args.action in ("add", "passwd"):
        return await set_password(users, args)
    if args.action == "set-role":
        found = await users.set_role(args.name, args.role)
        await audit(users, found, f"role set to {args.role}", args.name)
        print(f"user {args.name} is now {args.role}" if found else f"vigil: no user {args.name}")
        return 0 if found else 1
    if args.action == "unlock":
        count = await Throttle(vigil.redis, vigil.keys).unlock(args.name)
        await audit(users, True, "unlocked", args.name)
        print(f"failed logins against {args.name} from {count} address(es) forgotten")
        return 0
    if args.action == "disable":
        found = await users.disable(args.name)
        await audit(users, found, "disabled", args.name)
        print(f"user {args.name} disabled" if found else f"vigil: no user {args.name}")
        return 0 if found else 1
    for name, record in sorted((await users.people()).items()):
        print(f"{name}  {record['role']}{'  (disabled)' if record['disabled'] else ''}")
    return 0


async def set_password(users: Users, args: argparse.Namespace) -> int:
    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass(f"password for {args.name}: ")
    )
    try:
        if args.action == "add":
            await users.add(args.name, args.role, password)
        elif not await users.set_password(args.name, password):
            print(f"vigil: no user {args.name}", file=sys.stderr)
            return 1
    except ValueError as error:
        print(f"vigil: {error}", file=sys.stderr)
        return 2
    done = f"added as {args.role}" if args.action == "add" else "has a new password"
    await audit(users, True, "added" if args.action == "add" else "password changed", args.name)
    print(f"user {args.name} {done}")
    return 0


async def audit(users: Users, done: bool, action: str, name: str) -> None:
    """User changes from the command line, in the same audit log as the dashboard's."""
    if done:
        await users.audit_attempt(f"cli:{getpass.getuser()}", f"user {action}", name, "admin")
