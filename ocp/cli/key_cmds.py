"""``ocp key new|show``: each party makes its own role key and shares only the
public key (``ocp params init --committee-pubkey ...`` builds params from them)."""

from __future__ import annotations

import argparse

from ocp.cli.output import emit
from ocp.errors import UserError
from ocp.fileio import check_output
from ocp.keyfile import RoleKey, load_key, save_key

#: Roles that sign something of the graph (a challenger needs no key in params).
PARTY_ROLES = ("committee", "operator", "depositor")
#: Roles a key file is made for: a challenger's key pays and signs its own coins
#: (``ocp watch --role challenger``).
KEY_ROLES = (*PARTY_ROLES, "challenger")


def add_commands(sub: argparse._SubParsersAction) -> None:
    key = sub.add_parser("key", help="make or inspect one party's role key")
    ksub = key.add_subparsers(dest="key_command", metavar="ACTION")
    ksub.required = True

    new = ksub.add_parser("new", help="make a fresh secret key file (0600) and print its public key")
    new.add_argument(
        "--role",
        required=True,
        choices=KEY_ROLES,
        help="what the key signs for (challenger: its own coins, for ocp watch)",
    )
    new.add_argument("--name", help="a name for the key, e.g. signer-1 (default: the role)")
    new.add_argument("-o", "--output", help="key file to write; never replaces a file (default: NAME.key)")
    new.add_argument("--json", action="store_true", help="machine-readable output")
    new.set_defaults(func=cmd_new)

    show = ksub.add_parser("show", help="role, name and public key of a key file (never the secret)")
    show.add_argument("key", help="key file")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=cmd_show)


def _info(key: RoleKey, path: str) -> dict:
    return {"file": path, "role": key.role, "name": key.name, "pubkey": key.pubkey.hex()}


def cmd_new(args: argparse.Namespace) -> int:
    name = args.name or args.role
    if not name or any(c in name for c in "/\\\0") or name.startswith("."):
        raise UserError(f"--name {name!r} must be a plain name (no '/', not starting with '.')")
    path = args.output or f"{name}.key"
    check_output(path)  # never replaces anything, even with --force
    key = RoleKey.generate(args.role, name)
    save_key(key, path)
    emit(args, _info(key, path))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    emit(args, _info(load_key(args.key), args.key))
    return 0
