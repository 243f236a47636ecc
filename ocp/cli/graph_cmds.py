"""``ocp params init`` and ``ocp graph build|ots-keys|id|presign|verify|audit|tx|show``."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ocp.builder import build_graph, minimum_challenge_fee
from ocp.cli import emit
from ocp.errors import UserError
from ocp.graphfile import graph_to_json, load_graph, save_graph
from ocp.ids import Role, TxKind, TxName, tx_by_label
from ocp.keyfile import RoleKey, load_key, save_key
from ocp.otsfile import (
    check_own_ots,
    collect_ots,
    load_ots_keys,
    operator_index,
    operator_signer,
    save_ots_keys,
)
from ocp.params import Params, Windows, load_params, save_params
from ocp.program import U32Program
from ocp.signing import GapKind, invalid_signatures, missing_signatures, presign


def add_commands(sub: argparse._SubParsersAction) -> None:
    params = sub.add_parser("params", help="protocol parameters")
    psub = params.add_subparsers(dest="params_command", metavar="ACTION")
    psub.required = True
    init = psub.add_parser("init", help="write a params file and fresh role key files")
    init.add_argument("-o", "--output", default="params.toml", help="params file (.toml or .json)")
    init.add_argument("--keys-dir", default="keys", help="folder for the new key files (0600)")
    init.add_argument("--committee", type=int, default=3, help="committee size n (n-of-n)")
    init.add_argument("--steps", type=int, default=8, help="steps of the sample program")
    init.add_argument("--json", action="store_true")
    init.set_defaults(func=cmd_params_init)

    graph = sub.add_parser("graph", help="the pre-signed transaction graph")
    gsub = graph.add_subparsers(dest="graph_command", metavar="ACTION")
    gsub.required = True
    build = gsub.add_parser("build", help="build every transaction from params")
    build.add_argument("params", help="params file (.toml or .json)")
    build.add_argument("--operator-key", action="append", default=[],
                       help="an operator's key file (derives its one-time keys); repeat per operator")  # fmt: skip
    build.add_argument("--ots-keys", action="append", default=[],
                       help="an operator's published one-time public keys (ocp graph ots-keys); repeat")  # fmt: skip
    build.add_argument("-o", "--output", default="graph.json")
    build.add_argument("--json", action="store_true")
    build.set_defaults(func=cmd_build)

    gid = gsub.add_parser("id", help="the graph id every party compares out of band before signing")
    gid.add_argument("graph")
    gid.add_argument("--json", action="store_true")
    gid.set_defaults(func=cmd_id)

    ots = gsub.add_parser("ots-keys", help="export the operator's one-time public keys (no secrets)")
    ots.add_argument("params")
    ots.add_argument("--operator-key", required=True)
    ots.add_argument("-o", "--output", default="ots-keys.json")
    ots.add_argument("--json", action="store_true")
    ots.set_defaults(func=cmd_ots_keys)

    sign = gsub.add_parser("presign", help="add one signer's signatures to a graph file")
    sign.add_argument("graph", help="graph.json (updated in place, atomically)")
    sign.add_argument("--key", required=True, help="the signer's key file")
    sign.add_argument("--json", action="store_true")
    sign.set_defaults(func=cmd_presign)

    verify = gsub.add_parser("verify", help="rebuild the graph from its params and check every signature")
    verify.add_argument("graph")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_verify)

    audit = gsub.add_parser("audit", help="check keys, leaves, exclusivity, windows, weights, stack")
    audit.add_argument("graph")
    audit.add_argument(
        "--operator-key", action="append", default=[],
        help="also run that operator's leaves on its honest trace (repeat per operator)",
    )
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)

    tx = gsub.add_parser("tx", help="a graph transaction, fully witnessed, ready to broadcast")
    tx.add_argument("graph")
    tx.add_argument("name", help="e.g. Confirm, Take1, Take2, Kickoff, Assert_0, Refund")
    tx.add_argument("--key", action="append", default=[],
                    help="key file of a role that signs now (operator for Kickoff/Assert, depositor for Refund)")  # fmt: skip
    tx.add_argument("--json", action="store_true")
    tx.set_defaults(func=cmd_tx)

    show = gsub.add_parser("show", help="tables per transaction and leaf")
    show.add_argument("graph")
    show.add_argument("--tx", help="show one transaction in detail (with leaf ASM)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)


def cmd_params_init(args: argparse.Namespace) -> int:
    if not 1 <= args.committee <= 100:
        raise UserError("--committee must be between 1 and 100")
    if not 1 <= args.steps <= 4096:
        raise UserError("--steps must be between 1 and 4096")
    out = Path(args.output)
    if out.exists():
        raise UserError(f"{out} exists; refusing to overwrite it")
    keys_dir = Path(args.keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    roles = [(Role.COMMITTEE, f"signer-{i + 1}") for i in range(args.committee)]
    roles += [(Role.OPERATOR, "operator"), (Role.DEPOSITOR, "depositor"), (Role.CHALLENGER, "challenger")]
    keys = []
    for role, name in roles:
        path = keys_dir / f"{name}.key"
        if path.exists():
            raise UserError(f"{path} exists; refusing to overwrite a key file")
        keys.append((RoleKey.generate(role, name), path))
    for key, path in keys:
        save_key(key, path)
    by_role = {k.role: k for k, _ in keys}
    params = Params(
        network="regtest",
        committee=tuple(k.pubkey for k, _ in keys if k.role is Role.COMMITTEE),
        operators=(by_role[Role.OPERATOR].pubkey,),
        depositor=by_role[Role.DEPOSITOR].pubkey,
        deposit_amount=100_000_000,
        operator_stake=20_000_000,
        challenge_fee=100_000,
        fee_rate=2.0,
        windows=Windows(challenge=144, response=432, disprove=144, refund=1008),
        dispute_fee_rate=20.0,
        computation=U32Program.sample(args.steps),
    )
    operator = by_role[Role.OPERATOR]
    need = minimum_challenge_fee(params, [operator_signer(params, operator).public()])
    params = replace(params, challenge_fee=max(params.challenge_fee, need))
    save_params(params, out, toml_comment=(
        "# [funding]\n"
        "# depositor = \"txid:vout:amount\"  # a P2TR key-path coin of the depositor key\n"
        "# operator = \"txid:vout:amount\"   # a P2TR key-path coin of the operator key\n"
    ))  # fmt: skip
    info = {"params": str(out), "keys": [str(p) for _, p in keys]}
    emit(args, info, lambda c: c.print(
        f"wrote {out} and {len(keys)} key files in {keys_dir}/ (mode 0600); "
        "add the \\[funding] coins, then: ocp graph build"))  # fmt: skip
    return 0


def cmd_ots_keys(args: argparse.Namespace) -> int:
    params = load_params(args.params)
    operator = load_key(args.operator_key)
    keys = operator_signer(params, operator, args.operator_key).public()
    save_ots_keys(params, operator.pubkey, keys, args.output)
    info = {"output": args.output, "values": keys.n_values}
    emit(args, info, lambda c: c.print(f"{keys.n_values} one-time public keys -> {args.output}"))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    params = load_params(args.params)
    params.require_funding()
    operators = [load_key(path) for path in args.operator_key]
    for key, path in zip(operators, args.operator_key, strict=True):
        operator_index(params, key, path)
    ots = collect_ots(params, operators, [load_ots_keys(params, path) for path in args.ots_keys])
    graph = build_graph(params, ots)
    save_graph(graph, args.output)
    info = _summary(graph)
    emit(args, info, lambda c: c.print(
        f"graph {info['graph_id'][:16]}: {info['transactions']} transactions, "
        f"{info['presigned_inputs']} inputs to pre-sign -> {args.output}"))  # fmt: skip
    return 0


def cmd_id(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph)
    info = {"graph_id": graph.graph_id.hex()}
    emit(args, info, lambda c: print(info["graph_id"]))
    return 0


def _summary(graph) -> dict:
    return {
        "graph_id": graph.graph_id.hex(),
        "operators": len(graph.params.operators),
        "transactions": len(graph.txs),
        "presigned_inputs": sum(s.presigned for g in graph.txs.values() for s in g.spends),
        "assert_chunks": graph.n_chunks,
        "steps": graph.params.computation.n_steps,
        "committee": len(graph.params.committee),
        "total_weight": sum(g.tx.weight for g in graph.txs.values()),
    }


def cmd_presign(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph)
    key = load_key(args.key)
    if key.role is Role.OPERATOR:
        check_own_ots(graph, key, args.key)
    with Progress(transient=True, console=Console(stderr=True), disable=args.json) as progress:
        task = progress.add_task(f"signing as {key.name}", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        graph, added = presign(graph, key, tick)
    save_graph(graph, args.graph)
    missing = missing_signatures(graph)
    info = {"signer": key.name, "role": key.role, "added": added, "still_missing": len(missing)}
    emit(args, info, lambda c: c.print(
        f"{key.name} ({key.role}) added {added} signatures; {len(missing)} still missing"))  # fmt: skip
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph)  # rebuilds from params: refuses tampered transactions
    invalid = [str(g) for g in invalid_signatures(graph)]
    missing = [str(g) for g in missing_signatures(graph) if g.kind is GapKind.MISSING]
    confirm_signed = graph.signature(TxName(TxKind.CONFIRM), 0, graph.params.depositor) is not None
    info = {
        **_summary(graph),
        "invalid": invalid,
        "missing": missing,
        "complete": not invalid and not missing,
        "confirm_signed_by_depositor": confirm_signed,
    }

    def render(console) -> None:
        console.print(f"graph {info['graph_id']}: transactions match their params")
        for line in invalid:
            console.print(f"[red]invalid:[/] {line}")
        for line in missing[:20]:
            console.print(f"[yellow]missing:[/] {line}")
        if len(missing) > 20:
            console.print(f"[yellow]... {len(missing) - 20} more missing[/]")
        verdict = "[green]complete[/]" if info["complete"] else "[red]incomplete[/]"
        console.print(f"pre-signatures: {verdict}; Confirm signed by depositor: {confirm_signed}")

    emit(args, info, render)
    return 0 if info["complete"] else 1


def cmd_audit(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ocp.audit import dynamic_runs, dynamic_skipped, static_findings

    graph = load_graph(args.graph)
    findings = static_findings(graph)
    runs = []
    signers = {}
    for path in args.operator_key:
        key = load_key(path)
        signers[operator_index(graph.params, key, path)] = check_own_ots(graph, key, path)
    skipped = dynamic_skipped(graph, signers)
    if signers:
        runs, more = dynamic_runs(graph, signers)
        findings += more
    failed = [f for f in findings if not f.ok]
    info = {
        "graph_id": graph.graph_id.hex(),
        "passed": not failed,
        "checks": len(findings),
        "failed": [asdict(f) for f in failed],
        "findings": [asdict(f) for f in findings],
        "leaves": [asdict(r) for r in runs],
        "leaves_not_run": skipped,
    }

    def render(console) -> None:
        summary: dict[str, list[int]] = {}
        for f in findings:
            summary.setdefault(f.check, [0, 0])[0 if f.ok else 1] += 1
        table = Table("check", "passed", "failed")
        for check, (ok, bad) in summary.items():
            table.add_row(check, str(ok), f"[red]{bad}[/]" if bad else "0")
        console.print(table)
        for f in failed:
            console.print(f"[red]FAIL[/] {f.check}: {f.subject}: {f.message}")
        if runs:
            top = sorted(runs, key=lambda r: -r.peak_stack)[:5]
            leaves = Table("output", "leaf", "script bytes", "witness items", "peak stack", title="deepest leaves")
            for r in top:
                leaves.add_row(r.output, r.leaf, f"{r.script_bytes:,}", str(r.witness_items), str(r.peak_stack))
            console.print(leaves)
        if skipped:
            console.print(f"[yellow]{skipped} one-time-signature leaves not run: give --operator-key "
                          "for each operator to run them on its honest trace[/]")  # fmt: skip
        console.print("[green]audit passed[/]" if not failed else f"[red]audit failed: {len(failed)} findings[/]")

    emit(args, info, render)
    return 0 if not failed else 1


def cmd_tx(args: argparse.Namespace) -> int:
    from ocp.leaves import RevealLeaf
    from ocp.witness import operator_values, signed_tx

    graph = load_graph(args.graph)
    name = tx_by_label(graph.txs, args.name)
    gtx = graph.tx(name)
    if gtx.template:
        raise UserError(
            f"{name} is completed by a challenger (its inputs/outputs are added then): "
            f"start from its PSBT (ocp graph show {args.graph} --tx {name} --json)"
        )
    keys = []
    for path in args.key:
        key = load_key(path)
        if key.role is Role.CHALLENGER or key.pubkey not in graph.params.keys_of(key.role):
            raise UserError(f"{path} is not this graph's {key.role} key")
        keys.append(key)
    values = {}
    if any(isinstance(graph.spend_leaf(s)[1], RevealLeaf) for s in gtx.spends if s.leaf is not None):
        owner = graph.params.operators[(name.operator or 1) - 1]
        operator = next((k for k in keys if k.role is Role.OPERATOR and k.pubkey == owner), None)
        if operator is None:
            raise UserError(f"{name} reveals one-time signatures: give --key with its operator's key")
        signer = check_own_ots(graph, operator)
        values = operator_values(graph, name, signer, graph.params.computation.trace())
    tx = signed_tx(graph, name, keys, values)
    info = {"name": str(name), "txid": tx.txid, "weight": tx.weight, "vsize": tx.vsize, "hex": tx.hex()}
    emit(args, info, lambda c: print(tx.hex()))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph)
    data = graph_to_json(graph, with_asm=bool(args.tx))
    if args.tx:
        label = str(tx_by_label(graph.txs, args.tx))
        data = next(t for t in data["transactions"] if t["name"] == label)
    emit(args, data, lambda c: _render_show(c, data, graph, bool(args.tx)))
    return 0


def _render_show(console, data: dict, graph, one: bool) -> None:
    txs = [data] if one else data["transactions"]
    if not one:
        table = Table("transaction", "role", "spends (leaf)", "outs", "vsize unsigned", "fee")
        for t, g in zip(txs, graph.txs.values(), strict=True):
            ins = ", ".join(f"{i['spends']} ({i['leaf'] or 'key'})" for i in t["inputs"])
            table.add_row(t["name"], t["role"], ins, str(len(t["outputs"])), str(g.tx.vsize),
                          str(t["fee"]) if not t["template"] else "challenger")  # fmt: skip
        console.print(table)
        return
    t = txs[0]
    console.print(f"[bold]{t['name']}[/] {t['txid']}  ({t['purpose']})")
    for i in t["inputs"]:
        console.print(f"  input {i['index']}: {i['outpoint']} = {i['spends']} via {i['leaf'] or 'key path'}, "
                      f"{i['amount']} sat, signed by {', '.join(i['signers'])}")  # fmt: skip
    for o in t["outputs"]:
        console.print(f"  output {o['vout']}: {o['value']} sat {o.get('label', '')} {o.get('address', '')}")
        leaves = Table("leaf", "size", "depth", "purpose", "ASM")
        for leaf in o.get("leaves", []):
            asm = leaf["asm"] if len(leaf["asm"]) < 200 else leaf["asm"][:200] + " ..."
            leaves.add_row(leaf["name"], str(leaf["size"]), str(leaf["depth"]), leaf["purpose"], asm)
        if o.get("leaves"):
            console.print(leaves)
