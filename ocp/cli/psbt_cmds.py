"""``ocp psbt decode``: show what a PSBT (BIP174 v0, BIP371 taproot fields) holds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ocp.cli.output import emit, field, markup
from ocp.fileio import names_a_file
from taptrees.errors import InputError
from taptrees.psbt import Psbt, PsbtInput, PsbtOutput, TapKeyOrigin, decode_psbt
from taptrees.psbt.model import leaf_hash
from taptrees.script import Script


def add_commands(sub: argparse._SubParsersAction) -> None:
    psbt = sub.add_parser("psbt", help="partially signed transactions (BIP174, BIP371)")
    psub = psbt.add_subparsers(dest="psbt_command", metavar="ACTION")
    psub.required = True

    decode = psub.add_parser("decode", help="show the transaction, inputs and outputs of a PSBT")
    decode.add_argument(
        "psbt", metavar="BASE64|FILE|-", help="base64 text, a file (binary or base64), or - for standard input"
    )
    decode.add_argument("--json", action="store_true", help="machine-readable output")
    decode.set_defaults(func=cmd_decode)


def load_psbt(arg: str) -> Psbt:
    """A PSBT from a file (raw bytes or base64 text), from standard input (``-``) or
    from base64 on the command line."""
    if arg == "-":
        data = sys.stdin.buffer.read()
        if not data.strip():
            raise InputError("no PSBT on standard input")
        return decode_psbt(data)
    if names_a_file(arg):
        return decode_psbt(Path(arg).read_bytes())
    try:
        return decode_psbt(arg)
    except InputError as exc:
        if str(exc) == "PSBT is not valid base64":
            raise InputError(f"{arg[:60]!r} is neither a file nor base64 PSBT text") from None
        raise


def _asm(raw: bytes) -> str:
    try:
        return Script.from_bytes(raw).asm()
    except InputError:
        return f"<unparsable script {raw.hex()}>"


def _path(origin: TapKeyOrigin) -> str:
    steps = [f"{s & 0x7FFFFFFF}'" if s & 0x80000000 else str(s) for s in origin.path]
    return "/".join(["m", *steps])


def _origins(origins: tuple[TapKeyOrigin, ...]) -> list[dict]:
    return [
        {
            "xonly": o.xonly.hex(),
            "fingerprint": o.fingerprint.hex(),
            "path": _path(o),
            "leaf_hashes": [h.hex() for h in o.leaf_hashes],
        }
        for o in origins
    ]


def _unknown(pairs: tuple[tuple[bytes, bytes], ...]) -> list[dict]:
    return [{"key": k.hex(), "value": v.hex()} for k, v in pairs]


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def describe_input(index: int, psbt: Psbt, inp: PsbtInput) -> dict:
    txin = psbt.tx.inputs[index]
    utxo = inp.witness_utxo
    return {
        "index": index,
        "prevout": str(txin.prevout),
        "sequence": txin.sequence,
        "amount": utxo.value if utxo else None,
        "script_pubkey": utxo.script_pubkey.hex() if utxo else None,
        "has_non_witness_utxo": inp.non_witness_utxo is not None,
        "sighash_type": inp.sighash_type,
        "tap_internal_key": _hex(inp.tap_internal_key),
        "tap_merkle_root": _hex(inp.tap_merkle_root),
        "leaves": [
            {
                "control_block": leaf.control_block.hex(),
                "leaf_version": leaf.leaf_version,
                "leaf_hash": leaf.leaf_hash.hex(),
                "script": leaf.script.hex(),
                "asm": _asm(leaf.script),
            }
            for leaf in inp.tap_leaf_scripts
        ],
        "tap_key_sig": _hex(inp.tap_key_sig),
        "tap_script_sigs": [
            {"xonly": s.xonly.hex(), "leaf_hash": s.leaf_hash.hex(), "sig": s.sig.hex()} for s in inp.tap_script_sigs
        ],
        "tap_bip32_derivations": _origins(inp.tap_bip32_derivations),
        "final_script_sig": _hex(inp.final_script_sig),
        "final_script_witness": (
            None if inp.final_script_witness is None else [item.hex() for item in inp.final_script_witness]
        ),
        "unknown": _unknown(inp.unknown),
    }


def describe_output(index: int, psbt: Psbt, out: PsbtOutput) -> dict:
    txout = psbt.tx.outputs[index]
    return {
        "index": index,
        "amount": txout.value,
        "script_pubkey": txout.script_pubkey.hex(),
        "tap_internal_key": _hex(out.tap_internal_key),
        "tap_tree": (
            None
            if out.tap_tree is None
            else [
                {
                    "depth": leaf.depth,
                    "leaf_version": leaf.leaf_version,
                    "leaf_hash": leaf_hash(leaf.script, leaf.leaf_version).hex(),
                    "asm": _asm(leaf.script),
                }
                for leaf in out.tap_tree
            ]
        ),
        "tap_bip32_derivations": _origins(out.tap_bip32_derivations),
        "unknown": _unknown(out.unknown),
    }


def describe(psbt: Psbt) -> dict:
    return {
        "psbt_version": psbt.version or 0,
        "txid": psbt.tx.txid,
        "version": psbt.tx.version,
        "locktime": psbt.tx.locktime,
        "fee": psbt.fee(),
        "inputs": [describe_input(i, psbt, inp) for i, inp in enumerate(psbt.inputs)],
        "outputs": [describe_output(i, psbt, out) for i, out in enumerate(psbt.outputs)],
        "unknown": _unknown(psbt.unknown),
    }


def _input_state(info: dict) -> str:
    if info["final_script_witness"] is not None or info["final_script_sig"] is not None:
        return "final"
    sigs = len(info["tap_script_sigs"]) + (info["tap_key_sig"] is not None)
    return f"{sigs} sig(s)"


def render_psbt(info: dict):
    def render(console) -> None:
        for key in ("txid", "version", "locktime", "fee", "psbt_version"):
            field(console, key, info[key])
        for item in info["inputs"]:
            amount = "?" if item["amount"] is None else item["amount"]
            console.print(f"[bold]input {item['index']}[/]: {amount} sat, {_input_state(item)}")
            field(console, "prevout", item["prevout"], indent=2)
            for leaf in item["leaves"]:
                field(console, "leaf", leaf["asm"], indent=2)
            if item["tap_key_sig"]:
                field(console, "key path signature", item["tap_key_sig"], indent=2)
            for sig in item["tap_script_sigs"]:
                field(console, "signature by", sig["xonly"], indent=2)
                field(console, "for leaf", sig["leaf_hash"], indent=4)
        for item in info["outputs"]:
            console.print(f"[bold]output {item['index']}[/]: {item['amount']} sat")
            field(console, "script_pubkey", item["script_pubkey"], indent=2)
            if item["tap_internal_key"]:
                field(console, "internal key", item["tap_internal_key"], indent=2)
            if item["tap_tree"]:
                console.print(f"  {len(item['tap_tree'])} leaves", highlight=False)
        if not info["inputs"]:
            console.print(markup("(no inputs)"))

    return render


def cmd_decode(args: argparse.Namespace) -> int:
    info = describe(load_psbt(args.psbt))
    emit(args, info, render_psbt(info))
    return 0
