"""``ocp tree build``: a taproot tree from ASM leaves; ``ocp tree demo``: spend every
leaf of a tree through Bitcoin Core's interpreter."""

from __future__ import annotations

import argparse

from ocp.cli import EXIT_CHECK_FAILED, EXIT_OK
from ocp.cli.output import emit, field, markup, table
from taptrees.address import HRP
from taptrees.errors import InputError
from taptrees.hexstr import parse_hex
from taptrees.keys import check_xonly
from taptrees.script import Script
from taptrees.tree import NUMS_INTERNAL_KEY, TaprootOutput, TapTree


def add_commands(sub: argparse._SubParsersAction) -> None:
    tree = sub.add_parser("tree", help="taproot trees, output keys and control blocks")
    tsub = tree.add_subparsers(dest="tree_command", metavar="ACTION")
    tsub.required = True

    build = tsub.add_parser("build", help="build a tree from ASM leaves")
    build.add_argument(
        "leaves", nargs="+", metavar="ASM", help="one ASM string per leaf (numbers in decimal, data as 0x<hex>)"
    )
    build.add_argument("--weights", help="comma-separated leaf weights: build a Huffman tree (default balanced)")
    build.add_argument("--internal-key", help="x-only internal key hex (default: BIP341's unspendable H)")
    build.add_argument("--network", default="regtest", choices=sorted(HRP), help="network of the address")
    build.add_argument("--json", action="store_true", help="machine-readable output")
    build.set_defaults(func=cmd_build)

    demo = tsub.add_parser("demo", help="build a tree and spend every leaf on Bitcoin Core's interpreter")
    demo.add_argument("--leaves", type=int, default=17, help="number of leaves (default 17)")
    demo.add_argument("--json", action="store_true", help="machine-readable output")
    demo.set_defaults(func=cmd_demo)


def parse_weights(text: str | None, n: int) -> list[float] | None:
    if text is None:
        return None
    try:
        weights = [float(w) for w in text.split(",")]
    except ValueError:
        raise InputError(f"--weights must be comma-separated numbers, got {text!r}") from None
    if len(weights) != n:
        raise InputError(f"--weights has {len(weights)} values for {n} leaves")
    return weights


def build_output(leaves_asm: list[str], weights: list[float] | None, internal_key_hex: str | None) -> TaprootOutput:
    scripts = []
    for i, text in enumerate(leaves_asm):
        try:
            scripts.append(Script.from_asm(text))
        except InputError as exc:
            raise InputError(f"leaf {i}: {exc}") from None
    tree = TapTree.huffman(scripts, weights) if weights else TapTree.balanced(scripts)
    key = NUMS_INTERNAL_KEY
    if internal_key_hex is not None:
        key = check_xonly(parse_hex(internal_key_hex, "--internal-key"), "--internal-key")
    return TaprootOutput(key, tree)


def describe(output: TaprootOutput, network: str) -> dict:
    tree = output.tree
    assert tree is not None
    return {
        "internal_key": output.internal_key.hex(),
        "merkle_root": output.merkle_root.hex() if output.merkle_root else None,
        "output_key": output.output_key.hex(),
        "parity": output.parity,
        "script_pubkey": output.script_pubkey.hex(),
        "address": output.address(network),
        "leaves": [
            {
                "index": i,
                "asm": leaf.script.asm(),
                "leaf_hash": leaf.hash.hex(),
                "depth": tree.depth_of(i),
                "control_block": output.control_block(i).hex(),
            }
            for i, leaf in enumerate(tree.leaves)
        ],
    }


def cmd_build(args: argparse.Namespace) -> int:
    output = build_output(args.leaves, parse_weights(args.weights, len(args.leaves)), args.internal_key)
    info = describe(output, args.network)

    def render(console) -> None:
        for key in ("merkle_root", "output_key", "parity", "address", "script_pubkey", "internal_key"):
            field(console, key, info[key])
        for leaf in info["leaves"]:
            console.print(f"[bold]leaf {leaf['index']}[/] (depth {leaf['depth']})")
            for key in ("asm", "leaf_hash", "control_block"):
                field(console, key, leaf[key], indent=2)

    emit(args, info, render)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ocp.demo import taproot_demo

    if not 1 <= args.leaves <= 4096:
        raise InputError("--leaves must be between 1 and 4096")
    result = taproot_demo(args.leaves)
    emit(args, result, lambda console: _render_demo(console, result))
    return EXIT_OK if result["all_accepted"] and result["all_tampered_refused"] else EXIT_CHECK_FAILED


def _render_demo(console, result: dict) -> None:
    t = table("leaf", "depth", "script", "honest spend", "tampered spend")
    for row in result["leaves"]:
        t.add_row(
            str(row["index"]),
            str(row["depth"]),
            markup(row["asm"]),
            "[green]accepted[/]" if row["accepted"] else "[red]REFUSED[/]",
            "[green]refused[/]" if not row["tampered_accepted"] else "[red]ACCEPTED[/]",
        )
    console.print(t)
    console.print(
        f"tree root {result['merkle_root']}, address {result['address']}: "
        f"{sum(r['accepted'] for r in result['leaves'])}/{len(result['leaves'])} leaves "
        "spent on Bitcoin Core's interpreter (libbitcoinkernel)"
    )
