"""Role key files: one secret per file, written 0600 and atomically, never printed.

Format (JSON)::

    {"format": "ocp-key/1", "role": "committee", "name": "signer-1",
     "pubkey": "<x-only hex>", "secret": "<32-byte hex>"}

The public key is stored beside the secret so a file whose two halves disagree
(a corrupted or tampered file) is refused.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from ocp.ids import Role, role_of
from taptrees.errors import InputError
from taptrees.keys import xonly_pubkey

KEY_FORMAT = "ocp-key/1"


@dataclass(frozen=True)
class RoleKey:
    role: Role
    name: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", role_of(self.role))
        try:
            xonly_pubkey(self.secret)
        except InputError:
            raise UserError(f"key {self.name}: secret is not a valid secp256k1 key") from None

    @property
    def pubkey(self) -> bytes:
        return xonly_pubkey(self.secret)

    @classmethod
    def generate(cls, role: Role, name: str) -> RoleKey:
        return cls(role, name, secrets.token_bytes(32))

    def __str__(self) -> str:  # never the secret
        return f"{self.role} key {self.name} ({self.pubkey.hex()})"


def save_key(key: RoleKey, path: str | Path, overwrite: bool = False) -> None:
    path = Path(path)
    if path.exists() and not overwrite:
        raise UserError(f"{path} exists; refusing to overwrite a key file")
    write_json(
        path,
        {
            "format": KEY_FORMAT,
            "role": key.role.value,
            "name": key.name,
            "pubkey": key.pubkey.hex(),
            "secret": key.secret.hex(),
        },
        mode=0o600,
        replace_key=overwrite,
    )


def load_key(path: str | Path) -> RoleKey:
    obj = read_json(path, "key file")
    if obj.get("format") != KEY_FORMAT:
        raise UserError(f"key file {path}: format is not {KEY_FORMAT!r}")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise UserError(f"key file {path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        secret = bytes.fromhex(obj.get("secret", ""))
        pubkey = bytes.fromhex(obj.get("pubkey", ""))
    except (TypeError, ValueError):
        raise UserError(f"key file {path}: secret or pubkey is not hex") from None
    if len(secret) != 32:
        raise UserError(f"key file {path}: secret must be 32 bytes")
    key = RoleKey(role_of(obj.get("role"), f"key file {path}: role"), str(obj.get("name", Path(path).stem)), secret)
    if key.pubkey != pubkey:
        raise UserError(f"key file {path}: pubkey does not match the secret (corrupted file?)")
    return key
