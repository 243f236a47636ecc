"""One example (or a few) per command, shown at the end of its ``--help``.

Kept in one table so that every command has one (a test walks the parser) and
so that command modules owned by other work need no edits to get theirs.
"""

from __future__ import annotations

import argparse

EXAMPLES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("script", "asm"): ('ocp script asm "144 OP_CHECKSEQUENCEVERIFY OP_DROP 0x0102 OP_DROP 1"',),
    ("script", "disasm"): ("ocp script disasm 029000b275",),
    ("tree", "build"): ('ocp tree build "1" "2 OP_DROP 1" --weights 3,1',),
    ("tree", "demo"): ("ocp tree demo --leaves 17",),
    ("key", "new"): ("ocp key new --role committee --name signer-1 -o signer-1.key",),
    ("key", "show"): ("ocp key show signer-1.key",),
    ("params", "init"): (
        "ocp params init -o params.toml --keys-dir keys --committee 3",
        "ocp params init -o params.toml --committee-pubkey <hex> --committee-pubkey <hex> "
        "--operator-pubkey <hex> --depositor-pubkey <hex>",
        "ocp params init -o params.toml --keys-dir keys --committee 15 --committee-form musig2",
    ),
    ("params", "addresses"): ("ocp params addresses params.toml",),
    ("graph", "build"): (
        "ocp graph build params.toml --operator-key keys/operator.key -o graph.json",
        "ocp graph build params.toml --ots-keys op1.json --ots-keys op2.json -o graph.json",
    ),
    ("graph", "descriptors"): ("ocp graph descriptors graph.json --json   # then bitcoin-cli importdescriptors",),
    ("graph", "id"): ("ocp graph id graph.json   # compare it with every other party before signing",),
    ("graph", "ots-keys"): ("ocp graph ots-keys params.toml --operator-key keys/operator.key -o ots-keys.json",),
    ("graph", "presign"): ("ocp graph presign graph.json --key keys/signer-1.key",),
    ("graph", "verify"): ("ocp graph verify graph.json",),
    ("graph", "audit"): ("ocp graph audit graph.json --operator-key keys/operator.key",),
    ("graph", "tx"): (
        "ocp graph tx graph.json Deposit",
        "ocp graph tx graph.json Kickoff --key keys/operator.key",
    ),
    ("graph", "show"): ("ocp graph show graph.json --tx Take1",),
    ("graph", "psbt"): ("ocp graph psbt graph.json Take1 -o take1.psbt",),
    ("graph", "draw"): (
        "ocp graph draw graph.json -o graph.svg",
        "ocp graph draw drill-reports/fraud.graph.json --report drill-reports/fraud.json -o fraud.png",
    ),
    ("regtest", "fund"): ("ocp regtest fund params.toml --chain-dir regtest-chain -o funded.toml",),
    ("regtest", "send"): ('ocp regtest send --chain-dir regtest-chain "$(ocp graph tx graph.json Deposit)"',),
    ("regtest", "mine"): ("ocp regtest mine 144 --chain-dir regtest-chain",),
    ("regtest", "coins"): ("ocp regtest coins params.toml --chain-dir regtest-chain",),
    ("drill", "run"): (
        "ocp drill run fraud --steps 64 --committee 5",
        "ocp drill run all --json",
        "ocp drill run ceremony-crash --committee-form musig2",
    ),
    ("ceremony", "serve"): ("ocp ceremony serve graph.json --port 8717 --transcript ceremony.jsonl",),
    ("ceremony", "join"): (
        "ocp ceremony join http://127.0.0.1:8717 --key signer-1.key --graph graph.json "
        "--graph-id <id from ocp graph id>",
    ),
    ("ceremony", "status"): ("ocp ceremony status http://127.0.0.1:8717",),
    ("regtest", "serve"): ("ocp regtest serve --chain-dir regtest-chain --port 18450 --mine-every 10",),
    ("watch",): (
        "ocp watch --role challenger --graph graph.json --key challenger.key --state ch-state --coin <txid>:0",
        "ocp watch --role operator --graph graph.json --key operator.key --state op-state",
        "ocp watch claim --role operator --graph graph.json --key operator.key --state op-state",
    ),
    ("psbt", "decode"): ("ocp psbt decode take1.psbt", "ocp graph psbt graph.json Take1 | ocp psbt decode -"),
    ("zkvm", "run"): ("ocp zkvm run prog.elf --input input.bin",),
    ("zkvm", "state"): ("ocp zkvm state prog.elf --step 1000 --addr 0x10000",),
    ("zkvm", "commit"): ("ocp zkvm commit prog.elf --input input.bin --nary 32 -o claim.json",),
    ("zkvm", "dispute"): (
        "ocp zkvm dispute prog.elf --input input.bin --fault stale-read --at 250000",
        "ocp zkvm dispute prog.elf --input input.bin --challenger past-n",
    ),
}


def leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that runs something (no further subcommand), with its path."""
    found = []
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    for action in subs:
        for name, child in action.choices.items():
            found += leaf_parsers(child, (*path, name))
    return found


def attach_examples(parser: argparse.ArgumentParser) -> None:
    for path, child in leaf_parsers(parser):
        lines = EXAMPLES.get(path)
        if lines and not child.epilog:
            title = "example:" if len(lines) == 1 else "examples:"
            child.epilog = title + "".join(f"\n  {line}" for line in lines)
