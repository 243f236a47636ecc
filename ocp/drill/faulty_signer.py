"""A committee member that sends an invalid partial signature (the ``ceremony-blame``
drill): ``ocp ceremony join`` with one change, made where a broken or malicious
signer would make it -- after signing, before sending.  Its message is signed with
its key as usual, so the coordinator can prove whose contribution was bad.

Run as ``python -m ocp.drill.faulty_signer URL --key KEY --nonces FILE``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from ocp.ceremony.client import CoordinatorClient, join
from ocp.ceremony.messages import PartialSigs, PlainSigs
from ocp.errors import UserError
from ocp.keyfile import RoleKey, load_key
from taptrees.keys import SECP256K1_ORDER


def spoil_first(message: PartialSigs | PlainSigs, key: RoleKey) -> PartialSigs | PlainSigs:
    """The first partial signature plus one (a valid scalar that does not verify),
    or the first ordinary signature with its last bit flipped; signed again by
    ``key``, so the coordinator can prove who sent it."""
    if isinstance(message, PartialSigs):
        first = (int.from_bytes(message.psigs[0], "big") + 1) % SECP256K1_ORDER
        return replace(message, psigs=(first.to_bytes(32, "big"), *message.psigs[1:])).signed_by(key)
    label = sorted(message.signatures)[0]
    sig = bytearray(message.signatures[label])
    sig[63] ^= 1
    return replace(message, signatures={**message.signatures, label: bytes(sig)}).signed_by(key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faulty_signer")
    parser.add_argument("url")
    parser.add_argument("--key", required=True)
    parser.add_argument("--nonces", required=True)
    args = parser.parse_args(argv)
    client = CoordinatorClient(args.url, give_up=60.0)
    try:
        join(client, load_key(args.key), nonces=args.nonces, tamper=spoil_first)
    except UserError as exc:  # blamed: what a faulty signer gets
        print(f"faulty signer stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
