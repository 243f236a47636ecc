"""``ocp params init|addresses`` and ``ocp graph build|ots-keys|id|presign|verify|audit|tx|show|psbt``
(``ocp graph draw`` is in :mod:`ocp.cli.draw_cmds`)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ocp.builder import build_graph, minimum_challenge_fee
from ocp.cli import EXIT_CHECK_FAILED, EXIT_OK
from ocp.cli.draw_cmds import add_draw_command
from ocp.cli.output import emit, field, markup, print_plain, progress, table
from ocp.committee import CommitteeForm
from ocp.errors import UserError
from ocp.fileio import check_output, same_file, write_atomic
from ocp.game.bond import BOND_MARGIN, default_bond
from ocp.graph import params_id
from ocp.graphfile import graph_psbt, graph_to_json, load_graph, save_graph
from ocp.ids import Role, TxKind, TxName, tx_by_label
from ocp.keyfile import RoleKey, load_key, save_key
from ocp.ots import ValueSigner
from ocp.otsfile import (
    check_own_ots,
    collect_ots,
    load_ots_keys,
    operator_index,
    operator_signer,
    save_ots_keys,
)
from ocp.params import DEFAULT_NETWORK, Params, Windows, load_params, save_params
from ocp.program import U32Program
from ocp.signing import CEREMONY_ROLES, GapKind, outstanding_signatures, presign
from taptrees.address import HRP
from taptrees.errors import InputError
from taptrees.hexstr import parse_hex
from taptrees.keys import check_xonly

JSON_HELP = "machine-readable output (JSON on stdout; errors as JSON on stderr)"
#: Version 2 (``params init --program``): each game's move window.
MOVE_WINDOW = 36
FORCE_HELP = "replace an existing output file (never an input or a key file)"
PROGRAM_HELP = (
    "a zkVM graph's program (ELF), when it is not where the params name it nor next to the "
    "params or graph file (the params keep their name for it; its digest must match)"
)


def add_program_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--program", metavar="ELF", help=PROGRAM_HELP)


def add_commands(sub: argparse._SubParsersAction) -> None:
    params = sub.add_parser("params", help="protocol parameters")
    psub = params.add_subparsers(dest="params_command", metavar="ACTION")
    psub.required = True
    init = psub.add_parser(
        "init",
        help="write a params file (and, unless public keys are given, fresh role key files)",
        description="Write a params file.  With --committee-pubkey/--operator-pubkey/"
        "--depositor-pubkey (each party made its key with `ocp key new`) no secret is "
        "written; without them, fresh key files for every role go to --keys-dir "
        "(a demo: one folder then holds every party's secret).",
    )
    init.add_argument("-o", "--output", default="params.toml", help="params file to write (.toml or .json)")
    init.add_argument("--force", action="store_true", help=FORCE_HELP)
    init.add_argument("--keys-dir", default="keys", help="folder for generated key files (0600), made if missing")
    init.add_argument("--committee", type=int, help="committee size n (n-of-n) when generating keys (default 3)")
    init.add_argument(
        "--committee-pubkey",
        action="append",
        default=[],
        metavar="HEX",
        help="a committee member's x-only public key (repeat for each member)",
    )
    init.add_argument("--operator-pubkey", metavar="HEX", help="the operator's x-only public key")
    init.add_argument("--depositor-pubkey", metavar="HEX", help="the depositor's x-only public key")
    init.add_argument(
        "--committee-form",
        choices=[f.value for f in CommitteeForm],
        default=CommitteeForm.CHAIN.value,
        help="chain: a CHECKSIGVERIFY chain of every member's key (each presigns alone); "
        "musig2: one BIP327 aggregate key (members sign together: ocp ceremony)",
    )
    init.add_argument("--steps", type=int, default=8, help="steps of the sample program")
    v2 = init.add_argument_group(
        "graph version 2 (a Go program compiled to MIPS, disputed by games; docs/protocol-v2.md)"
    )
    v2.add_argument("--program", metavar="ELF", help="the guest's ELF: writes a version-2 params file")
    v2.add_argument(
        "--max-steps", type=int, default=1 << 24, help="micro-steps the search covers, a power of two (default 2**24)"
    )
    v2.add_argument("--nary", type=int, default=8, help="parts per search round, a power of two in 2..256 (default 8)")
    v2.add_argument("--input-words", type=int, default=16, help="input words a claim may sign (default 16)")
    v2.add_argument("--challengers", type=int, help="registered challengers when generating keys (default 1)")
    v2.add_argument(
        "--challenger-pubkey",
        action="append",
        default=[],
        metavar="HEX",
        help="a registered challenger's x-only public key (repeat for each)",
    )
    v2.add_argument(
        "--bond",
        type=int,
        metavar="SAT",
        help="each challenger's bond (default: the minimum the rules accept at amounts.dispute_fee_rate, "
        f"plus {round((BOND_MARGIN - 1) * 100)}%%)",
    )
    init.add_argument("--network", default=DEFAULT_NETWORK, choices=sorted(HRP), help="network of the graph")
    init.add_argument(
        "--allow-network", action="store_true", help="allow a network other than regtest (written into the params file)"
    )
    init.add_argument("--json", action="store_true", help=JSON_HELP)
    init.set_defaults(func=cmd_params_init)

    addresses = psub.add_parser("addresses", help="the address, descriptor and minimum amount each role must fund")
    addresses.add_argument("params", help="params file (.toml or .json)")
    add_program_arg(addresses)
    addresses.add_argument("--json", action="store_true", help=JSON_HELP)
    addresses.set_defaults(func=cmd_params_addresses)

    graph = sub.add_parser("graph", help="the pre-signed transaction graph")
    gsub = graph.add_subparsers(dest="graph_command", metavar="ACTION")
    gsub.required = True
    build = gsub.add_parser(
        "build",
        help="build every transaction from params",
        description='Build the graph of a params file.  Params with [computation] kind = "zkvm" '
        "build a version-2 graph: a Go program's claim (--program: its ELF, unless it is where the "
        "params name it) disputed by one game per registered challenger; every operator's and "
        "every challenger's one-time public keys are needed (their key files, or the files they "
        "published with ocp graph ots-keys).",
    )
    build.add_argument("params", help="params file (.toml or .json) with its [funding] coins")
    build.add_argument(
        "--operator-key",
        action="append",
        default=[],
        help="an operator's key file (derives its one-time keys); repeat per operator",
    )
    build.add_argument(
        "--challenger-key",
        action="append",
        default=[],
        help="a zkVM graph's registered challenger's key file (derives its one-time keys); repeat per challenger",
    )
    build.add_argument(
        "--ots-keys",
        action="append",
        default=[],
        help="an operator's (or a zkVM graph's challenger's) published one-time public keys "
        "(ocp graph ots-keys); repeat",
    )
    add_program_arg(build)
    build.add_argument("-o", "--output", default="graph.json", help="graph file to write")
    build.add_argument("--force", action="store_true", help=FORCE_HELP)
    build.add_argument("--json", action="store_true", help=JSON_HELP)
    build.set_defaults(func=cmd_build)

    desc = gsub.add_parser(
        "descriptors",
        help="an output descriptor per protocol output, for a Bitcoin Core wallet to watch the graph",
    )
    desc.add_argument("graph", help="graph.json")
    add_program_arg(desc)
    desc.add_argument("--json", action="store_true", help=JSON_HELP + "; includes a ready importdescriptors list")
    desc.set_defaults(func=cmd_descriptors)

    gid = gsub.add_parser("id", help="the graph id every party compares out of band before signing")
    gid.add_argument("graph", help="graph.json")
    add_program_arg(gid)
    gid.add_argument("--json", action="store_true", help=JSON_HELP)
    gid.set_defaults(func=cmd_id)

    ots = gsub.add_parser(
        "ots-keys",
        help="export an operator's (or a zkVM graph's challenger's) one-time public keys (no secrets)",
        description="Derive one party's one-time public keys for the graph of a params file from its "
        "key file and write them (no secrets) for whoever builds the graph (ocp graph build --ots-keys).  "
        "Version 1: the operator's.  Version 2 (a zkVM program): each operator's (its claim, and one set "
        "per challenger) and each registered challenger's (its choices, one set per operator).",
    )
    ots.add_argument("params", help="params file (.toml or .json)")
    who = ots.add_mutually_exclusive_group(required=True)
    who.add_argument("--operator-key", help="operator key file")
    who.add_argument("--challenger-key", help="a zkVM graph's registered challenger's key file")
    add_program_arg(ots)
    ots.add_argument("-o", "--output", default="ots-keys.json", help="file to write")
    ots.add_argument("--force", action="store_true", help=FORCE_HELP)
    ots.add_argument("--json", action="store_true", help=JSON_HELP)
    ots.set_defaults(func=cmd_ots_keys)

    sign = gsub.add_parser("presign", help="add one signer's signatures to a graph file")
    sign.add_argument("graph", help="graph.json (updated in place, atomically)")
    sign.add_argument("--key", required=True, help="the signer's key file")
    add_program_arg(sign)
    sign.add_argument("--json", action="store_true", help=JSON_HELP)
    sign.set_defaults(func=cmd_presign)

    verify = gsub.add_parser(
        "verify", help="rebuild the graph from its params and check every signature (exit 1 if incomplete)"
    )
    verify.add_argument("graph", help="graph.json")
    add_program_arg(verify)
    verify.add_argument("--json", action="store_true", help=JSON_HELP)
    verify.set_defaults(func=cmd_verify)

    audit = gsub.add_parser("audit", help="check keys, leaves, exclusivity, windows, weights, stack")
    audit.add_argument("graph", help="graph.json")
    audit.add_argument(
        "--operator-key",
        action="append",
        default=[],
        help="also run that operator's leaves on its honest trace (repeat per operator); "
        "version 2: check that the graph's one-time keys of that operator are its own",
    )
    add_program_arg(audit)
    audit.add_argument("--json", action="store_true", help=JSON_HELP)
    audit.set_defaults(func=cmd_audit)

    tx = gsub.add_parser("tx", help="a graph transaction, fully witnessed and checked by Bitcoin Core's interpreter")
    tx.add_argument("graph", help="graph.json")
    tx.add_argument("name", help="e.g. Deposit, Confirm, Prepare, Kickoff, Assert_0, Take1, Take2, Refund")
    tx.add_argument(
        "--key",
        action="append",
        default=[],
        help="key file of a role that signs now (operator for Kickoff/Assert, depositor "
        "for Refund); repeat for several",
    )
    add_program_arg(tx)
    tx.add_argument("--json", action="store_true", help=JSON_HELP)
    tx.set_defaults(func=cmd_tx)

    show = gsub.add_parser("show", help="tables per transaction and leaf")
    show.add_argument("graph", help="graph.json")
    show.add_argument(
        "--tx",
        help="show one transaction in detail (with leaf ASM; a zkVM graph's "
        "data outputs: their leaves counted by kind)",
    )
    add_program_arg(show)
    show.add_argument("--json", action="store_true", help=JSON_HELP)
    show.set_defaults(func=cmd_show)

    psbt = gsub.add_parser(
        "psbt", help="one transaction as a PSBT (BIP174/371, base64) with the signatures collected so far"
    )
    psbt.add_argument("graph", help="graph.json")
    psbt.add_argument("name", help="transaction name, e.g. Take1")
    add_program_arg(psbt)
    psbt.add_argument("-o", "--output", help="write the base64 PSBT to this file instead of stdout")
    psbt.add_argument("--force", action="store_true", help=FORCE_HELP)
    psbt.add_argument("--json", action="store_true", help=JSON_HELP)
    psbt.set_defaults(func=cmd_psbt)

    add_draw_command(gsub)


# --- params ------------------------------------------------------------------------------


def _pubkey(text: str, what: str) -> bytes:
    try:
        return check_xonly(parse_hex(text, what), what)
    except InputError as exc:
        raise UserError(str(exc)) from None


FUNDING_COMMENT = (
    "# [funding]: one coin per role, 'txid:vout:amount_sats', paying the role's own key\n"
    "# (its BIP86 address).  ocp does not look coins up on a chain: see\n"
    "#   ocp params addresses params.toml    (addresses, descriptors, minimum amounts)\n"
    "#   ocp regtest fund params.toml ...    (funds them on the embedded regtest chain)\n"
    "# [funding]\n"
    '# depositor = "txid:vout:amount"\n'
    '# operator = "txid:vout:amount"\n'
)


def cmd_params_init(args: argparse.Namespace) -> int:
    if not 1 <= args.steps <= 4096:
        raise UserError("--steps must be between 1 and 4096")
    if args.network != DEFAULT_NETWORK and not args.allow_network:
        raise UserError(
            f"--network {args.network} refused: ocp is experimental; give --allow-network "
            "as well to write a params file for it"
        )
    out = check_output(args.output, force=args.force)
    given = bool(args.committee_pubkey or args.operator_pubkey or args.depositor_pubkey or args.challenger_pubkey)
    keys: list[tuple[RoleKey, Path]] = []
    if given:
        if not (args.committee_pubkey and args.operator_pubkey and args.depositor_pubkey):
            raise UserError(
                "with public keys, give all of --committee-pubkey (one per member), "
                "--operator-pubkey and --depositor-pubkey"
            )
        if args.committee is not None and args.committee != len(args.committee_pubkey):
            raise UserError(f"--committee {args.committee} but {len(args.committee_pubkey)} --committee-pubkey given")
        committee = tuple(_pubkey(k, f"--committee-pubkey #{i + 1}") for i, k in enumerate(args.committee_pubkey))
        operator = _pubkey(args.operator_pubkey, "--operator-pubkey")
        depositor = _pubkey(args.depositor_pubkey, "--depositor-pubkey")
    else:
        n = 3 if args.committee is None else args.committee
        if not 1 <= n <= 100:
            raise UserError("--committee must be between 1 and 100")
        keys_dir = Path(args.keys_dir)
        if keys_dir.exists() and not keys_dir.is_dir():
            raise UserError(f"--keys-dir {keys_dir} is not a folder")
        roles = [(Role.COMMITTEE, f"signer-{i + 1}") for i in range(n)]
        roles += [(Role.OPERATOR, "operator"), (Role.DEPOSITOR, "depositor")]
        if args.program:
            m = 1 if args.challengers is None else args.challengers
            if not 1 <= m <= 100:
                raise UserError("--challengers must be between 1 and 100")
            roles += [(Role.CHALLENGER, f"challenger-{k + 1}") for k in range(m)]
        for role, name in roles:
            path = keys_dir / f"{name}.key"
            if path.exists() or path.is_symlink():
                raise UserError(f"{path} exists; refusing to overwrite a key file")
            if same_file(path, out):
                raise UserError(f"-o {out} is where the key file {path} goes; choose another output")
            keys.append((RoleKey.generate(role, name), path))
        committee = tuple(k.pubkey for k, _ in keys if k.role is Role.COMMITTEE)
        operator = next(k.pubkey for k, _ in keys if k.role is Role.OPERATOR)
        depositor = next(k.pubkey for k, _ in keys if k.role is Role.DEPOSITOR)
        challengers = tuple(k.pubkey for k, _ in keys if k.role is Role.CHALLENGER)
    if len(set(committee)) != len(committee):
        raise UserError("a committee public key is given twice")
    if args.program:
        if given:
            if not args.challenger_pubkey:
                raise UserError("with public keys and --program, give --challenger-pubkey (one per challenger)")
            challengers = tuple(
                _pubkey(k, f"--challenger-pubkey #{i + 1}") for i, k in enumerate(args.challenger_pubkey)
            )
        params = _params_v2(args, committee, operator, depositor, challengers)
        _write_params_and_keys(params, out, keys)
        todo = (
            "fund the depositor, the operator and each challenger's bond coin (funding.challengers: "
            "the bond, the first data outputs and the Open's fee)"
        )
        info = {"params": str(out), "keys": [str(p) for _, p in keys], "bond": params.bond, "next": todo}
        where = f" and {len(keys)} key files in {args.keys_dir}/ (mode 0600)" if keys else ""
        emit(
            args,
            info,
            lambda c: c.print(
                f"wrote {markup(out)}{markup(where)} (graph version 2, bond {params.bond} sat).  Next: {todo}",
                highlight=False,
            ),
        )
        return EXIT_OK
    if args.challenger_pubkey or args.challengers is not None or args.bond is not None:
        raise UserError("--challengers, --challenger-pubkey and --bond are for version-2 params: give --program")
    params = Params(
        network=args.network,
        committee=committee,
        operators=(operator,),
        depositor=depositor,
        deposit_amount=100_000_000,
        operator_stake=20_000_000,
        challenge_fee=100_000,
        fee_rate=2.0,
        dispute_fee_rate=20.0,
        windows=Windows(challenge=144, response=432, disprove=144, refund=1008),
        computation=U32Program.sample(args.steps),
        allow_network=args.network if args.network != DEFAULT_NETWORK else None,
        committee_form=CommitteeForm(args.committee_form),
    )
    # the challenge fee covers the honest response (ocp.rules); its cost depends only
    # on the sizes of the one-time keys, so any key of the right shape measures it
    probe = ValueSigner(b"\x01" * 32, params_id(params), params.computation.n_steps).public()
    params = replace(params, challenge_fee=max(params.challenge_fee, minimum_challenge_fee(params, [probe])))
    _write_params_and_keys(params, out, keys)
    info = {"params": str(out), "keys": [str(p) for _, p in keys], "next": f"ocp params addresses {out}"}
    where = f" and {len(keys)} key files in {args.keys_dir}/ (mode 0600)" if keys else ""
    emit(
        args,
        info,
        lambda c: c.print(
            f"wrote {markup(out)}{markup(where)}.  Next: fund the depositor and the operator; "
            f"see [bold]ocp params addresses {markup(out)}[/]",
            highlight=False,
        ),
    )
    return EXIT_OK


def _params_v2(
    args: argparse.Namespace,
    committee: tuple[bytes, ...],
    operator: bytes,
    depositor: bytes,
    challengers: tuple[bytes, ...],
) -> Params:
    """Version-2 params for ``--program``: the program's digest and search geometry,
    the registered challengers, and a bond of at least the minimum the rules accept
    (:mod:`ocp.game.bond`: the honest operator's worst game at the maximum fee rate)."""
    from ocp.builder.games import minimum_bond
    from ocp.game.computation import ZkvmComputation

    if len(set(challengers)) != len(challengers):
        raise UserError("a challenger public key is given twice")
    comp = ZkvmComputation.of(args.program, max_steps=args.max_steps, nary=args.nary, input_words=args.input_words)
    params = Params(
        network=args.network,
        committee=committee,
        operators=(operator,),
        depositor=depositor,
        deposit_amount=100_000_000,
        operator_stake=20_000_000,
        challenge_fee=0,  # version 2 has no open Challenge to pay for: registered challengers bond instead
        fee_rate=2.0,
        dispute_fee_rate=20.0,
        windows=Windows(challenge=144, response=None, disprove=None, refund=1008, move=MOVE_WINDOW),
        computation=comp,
        allow_network=args.network if args.network != DEFAULT_NETWORK else None,
        committee_form=CommitteeForm(args.committee_form),
        challengers=challengers,
        bond=0,
    )
    params.windows.check_games()
    minimum = minimum_bond(params)
    if args.bond is None:
        bond = default_bond(minimum)
    elif args.bond < minimum:
        raise UserError(
            f"--bond {args.bond} is below the minimum {minimum} sat the rules accept for this program "
            "(the honest operator's worst game at 20 sat/vB)"
        )
    else:
        bond = args.bond
    return replace(params, bond=bond)


def _write_params_and_keys(params: Params, out: Path, keys: list[tuple[RoleKey, Path]]) -> None:
    """Key files first (each refuses to replace a file), then params; on any failure
    everything this call wrote is removed again."""
    written: list[Path] = []
    made_dirs: list[Path] = []
    try:
        for key, path in keys:
            if not path.parent.is_dir():
                missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
                path.parent.mkdir(parents=True)
                made_dirs += missing
            save_key(key, path)
            written.append(path)
        comment = FUNDING_COMMENT
        if params.games:
            comment += (
                '# challengers = ["txid:vout:amount"]    (each challenger\'s bond coin, in order; with several\n'
                '#   operators a list per challenger, one coin per operator: [["txid:0:amt", "txid:1:amt"]])\n'
            )
        save_params(params, out, toml_comment=comment)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in made_dirs:
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


def cmd_params_addresses(args: argparse.Namespace) -> int:
    from ocp.funding import given_coins, role_funding

    params = load_params(args.params, args.program)
    with progress(args) as bar:
        bar.phase("computing minimum amounts (building the graph with placeholder coins)")
        roles = role_funding(params)
    given = given_coins(params)
    entries = []
    for r, coin in zip(roles, given, strict=True):
        entries.append(
            {
                "role": r.role.value,
                # a challenger's bond coin: the operator whose game it opens (several operators)
                "operator": r.number if r.role is Role.OPERATOR else r.against,
                "challenger": r.number if r.role is Role.CHALLENGER else None,
                "spent_by": str(r.spent_by),
                "address": r.address,
                "descriptor": r.descriptor,
                "pubkey": r.pubkey.hex(),
                "script_pubkey": r.script_pubkey.hex(),
                "minimum_sat": r.minimum,
                "funding": coin.to_str() if coin else None,
                "funding_enough": None if coin is None else coin.amount >= r.minimum,
            }
        )
    info = {
        "network": params.network,
        "roles": entries,
        "note": "ocp does not look funding coins up on a chain: give coins that exist and "
        "pay these addresses (check them with `ocp regtest coins` on the embedded chain, or "
        "`bitcoin-cli gettxout TXID VOUT` on a node)",
    }

    def render(console) -> None:
        for e in entries:
            console.print(f"[bold]{e['role']}[/] funds {e['spent_by']}:", highlight=False)
            for key in ("address", "descriptor", "pubkey", "minimum_sat", "funding"):
                field(console, key, e[key], indent=2)
            if e["funding_enough"] is False:
                console.print(f"  [red]the [funding] coin holds less than {e['minimum_sat']} sat[/]")
        console.print(info["note"], highlight=False)

    emit(args, info, render)
    return EXIT_OK


# --- graph build -------------------------------------------------------------------------


def cmd_ots_keys(args: argparse.Namespace) -> int:
    from ocp.cli.games_cmds import a_role, write_party_keys

    path = args.operator_key or args.challenger_key
    out = check_output(args.output, force=args.force, inputs=(args.params, path))
    params = load_params(args.params, args.program)
    key = load_key(path)
    flag, role = ("--operator-key", Role.OPERATOR) if args.operator_key else ("--challenger-key", Role.CHALLENGER)
    if key.role is not role:
        raise UserError(f"{flag} {path} is {a_role(key.role)} key, not {a_role(role)} key")
    if params.games:
        info = write_party_keys(args, params, key, path, out)
        emit(
            args,
            info,
            lambda c: c.print(
                f"{info['values']} one-time public keys of the {info['role']} ({info['sets']} sets) -> {markup(out)}"
            ),
        )
        return EXIT_OK
    if args.challenger_key:
        raise UserError(
            "--challenger-key: a version-1 graph's challengers have no one-time keys "
            '(its params\' [computation] is not kind = "zkvm")'
        )
    operator = key
    with progress(args) as bar:
        bar.phase(f"deriving {params.computation.n_steps} one-time public keys")
        keys = operator_signer(params, operator, args.operator_key).public()
    save_ots_keys(params, operator.pubkey, keys, out)
    info = {"output": str(out), "values": keys.n_values}
    emit(args, info, lambda c: c.print(f"{keys.n_values} one-time public keys -> {markup(out)}"))
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from ocp.cli.games_cmds import build_games_graph, games_summary

    given = (args.params, *args.operator_key, *args.challenger_key, *args.ots_keys, *filter(None, [args.program]))
    out = check_output(args.output, force=args.force, inputs=given)
    params = load_params(args.params, args.program)
    params.require_funding()
    if params.games:
        graph = build_games_graph(args, params, out)
        info = {**games_summary(graph), "output": str(out)}
        emit(
            args,
            info,
            lambda c: c.print(
                f"graph {info['graph_id']} (version 2: {info['challengers']} game(s) per operator): "
                f"{info['transactions']} transactions, {info['presigned_inputs']} inputs to pre-sign, "
                f"{info['leaves']:,} leaves -> {markup(out)}",
                highlight=False,
            ),
        )
        return EXIT_OK
    if args.challenger_key:
        raise UserError(
            "--challenger-key is for a zkVM graph's registered challengers; these params' "
            '[computation] is not kind = "zkvm"'
        )
    with progress(args, phases=3) as bar:
        bar.phase("deriving and reading one-time public keys")
        operators = [load_key(path) for path in args.operator_key]
        for key, path in zip(operators, args.operator_key, strict=True):
            operator_index(params, key, path)
        ots = collect_ots(params, operators, [load_ots_keys(params, path) for path in args.ots_keys])
        bar.phase("building transactions and leaves")
        graph = build_graph(params, ots)
        bar.phase(f"writing {out}")
        save_graph(graph, out)
    info = {**_summary(graph), "output": str(out)}
    emit(
        args,
        info,
        lambda c: c.print(
            f"graph {info['graph_id']}: {info['transactions']} transactions, "
            f"{info['presigned_inputs']} inputs to pre-sign -> {markup(out)}",
            highlight=False,
        ),
    )
    return EXIT_OK


def cmd_descriptors(args: argparse.Namespace) -> int:
    from ocp.graphfile import output_descriptor

    graph = load_graph(args.graph, args.program)
    entries = []
    for ref, out in graph.outputs.items():
        entries.append(
            {
                "output": out.label,
                "outpoint": f"{graph.tx(ref.tx).txid}:{ref.vout}",
                "created_by": str(ref),
                "address": out.output.address(graph.params.network),
                "miniscript": all(leaf.miniscript is not None for leaf in out.leaves),
                "descriptor": output_descriptor(out, graph.params.network),
            }
        )
    info = {
        "graph_id": graph.graph_id.hex(),
        "outputs": entries,
        # bitcoin-cli importdescriptors '<this list>' (watch only: never active)
        "importdescriptors": [
            {"desc": e["descriptor"], "active": False, "timestamp": "now", "label": f"ocp {e['output']}"}
            for e in entries
        ],
    }

    def render(console) -> None:
        for e in entries:
            kind = "tr(): every leaf is miniscript" if e["miniscript"] else "addr(): leaves in graph.json"
            console.print(f"[bold]{markup(e['output'])}[/] ({markup(e['created_by'])}, {kind})", highlight=False)
            field(console, "descriptor", e["descriptor"], indent=2)

    emit(args, info, render)
    return EXIT_OK


def cmd_id(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph, args.program)
    info = {"graph_id": graph.graph_id.hex()}
    emit(args, info, lambda c: print(info["graph_id"]), plain=lambda _: print(info["graph_id"]))
    return EXIT_OK


def _summary(graph) -> dict:
    if graph.game_keys is not None:
        from ocp.cli.games_cmds import games_summary

        return games_summary(graph)
    return {
        "graph_id": graph.graph_id.hex(),
        "operators": len(graph.params.operators),
        "transactions": len(graph.txs),
        "presigned_inputs": sum(s.presigned for g in graph.txs.values() for s in g.spends),
        "assert_chunks": graph.n_chunks,
        "steps": graph.params.computation.n_steps,
        "committee": len(graph.params.committee),
        "committee_form": graph.params.committee_form.value,
        "total_weight": sum(g.tx.weight for g in graph.txs.values()),
    }


# --- signatures ------------------------------------------------------------------------


def _to_sign(gaps) -> dict[str, dict]:
    """Per role: how many signatures it still has to add, by which keys, and where."""
    out = {}
    for role in CEREMONY_ROLES:
        mine = [g for g in gaps if g.role is role]
        out[role.value] = {
            "signatures": len(mine),
            "signers": sorted({g.pubkey.hex() for g in mine}),
            "inputs": sorted({f"{g.tx} input {g.index}" for g in mine}),
        }
    return out


def _render_to_sign(console, to_sign: dict) -> None:
    for role, entry in to_sign.items():
        if not entry["signatures"]:
            console.print(f"  {role}: [green]nothing left to sign[/]")
            continue
        inputs = entry["inputs"]
        shown = ", ".join(inputs[:6]) + (f" and {len(inputs) - 6} more inputs" if len(inputs) > 6 else "")
        console.print(
            f"  {role}: [yellow]{entry['signatures']} signature(s) to add[/] "
            f"by {len(entry['signers'])} key(s): {markup(shown)}",
            highlight=False,
        )


def _next_step(to_sign: dict, graph=None) -> str:
    for role in CEREMONY_ROLES:
        if to_sign[role.value]["signatures"]:
            if role is Role.COMMITTEE and graph is not None and graph.params.committee_form is CommitteeForm.MUSIG2:
                return "the committee signs as one MuSig2 key: ocp ceremony serve, and each member ocp ceremony join"
            who = "each committee member" if role is Role.COMMITTEE else f"the {role.value}"
            last = " (last: it signs Confirm only on a fully pre-signed graph)" if role is Role.DEPOSITOR else ""
            return f"{who} runs ocp graph presign{last}"
    return "complete: ocp graph verify, then ocp graph tx"


def cmd_presign(args: argparse.Namespace) -> int:
    if same_file(args.key, args.graph):
        raise UserError("--key and the graph are the same file")
    graph = load_graph(args.graph, args.program)
    key = load_key(args.key)
    if key.role is Role.OPERATOR and graph.game_keys is not None:
        from ocp.gamekeysfile import check_own_game_keys

        check_own_game_keys(graph, key, args.key)
    elif key.role is Role.OPERATOR:
        check_own_ots(graph, key, args.key)
    with progress(args) as bar:
        bar.phase(f"signing as {key.name}")
        graph, added = presign(graph, key, bar.tick)
    save_graph(graph, args.graph)
    gaps = outstanding_signatures(graph)
    to_sign = _to_sign(gaps)
    info = {
        "signer": key.name,
        "role": key.role.value,
        "added": added,
        "still_missing": len(gaps),
        "still_to_sign": to_sign,
        "next": _next_step(to_sign, graph),
    }

    def render(console) -> None:
        console.print(f"{markup(key.name)} ({key.role}) added {added} signatures; still to sign:")
        _render_to_sign(console, to_sign)
        console.print(f"next: {markup(info['next'])}", highlight=False)

    emit(args, info, render)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    with progress(args, phases=2) as bar:
        bar.phase("rebuilding the graph from its params")
        graph = load_graph(args.graph, args.program)  # rebuilds from params: refuses tampered transactions
        bar.phase("checking every signature")
        gaps = outstanding_signatures(graph)
    invalid = [str(g) for g in gaps if g.kind is not GapKind.MISSING]
    missing = [str(g) for g in gaps if g.kind is GapKind.MISSING]
    to_sign = _to_sign(gaps)
    confirm = TxName(TxKind.CONFIRM)
    confirm_signed = not any(g.tx == confirm and g.role is Role.DEPOSITOR for g in gaps)
    info = {
        **_summary(graph),
        "complete": not gaps,
        "invalid": invalid,
        "missing": missing,
        "still_to_sign": to_sign,
        "confirm_signed_by_depositor": confirm_signed,
        "next": _next_step(to_sign, graph) if not invalid else "remove or redo the invalid signatures",
    }

    def render(console) -> None:
        console.print(f"graph {info['graph_id']}: transactions match their params", highlight=False)
        for line in invalid:
            console.print(f"[red]invalid:[/] {markup(line)}", highlight=False)
        for line in missing[:20]:
            console.print(f"[yellow]missing:[/] {markup(line)}", highlight=False)
        if len(missing) > 20:
            console.print(f"[yellow]and {len(missing) - 20} more missing (all of them: --json, or pipe)[/]")
        console.print("still to sign:")
        _render_to_sign(console, to_sign)
        verdict = "[green]complete[/]" if info["complete"] else "[red]incomplete[/]"
        console.print(f"signatures: {verdict}; next: {markup(info['next'])}", highlight=False)

    emit(args, info, render)
    return EXIT_OK if info["complete"] else EXIT_CHECK_FAILED


# --- audit ---------------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ocp.audit import dynamic_runs, dynamic_skipped, static_findings

    with progress(args, phases=3) as bar:
        bar.phase("rebuilding the graph from its params")
        graph = load_graph(args.graph, args.program)
        bar.phase("static checks")
        findings = static_findings(graph)
        runs = []
        signers = {}
        if graph.game_keys is not None:
            findings += _own_game_keys(graph, args.operator_key)
            skipped = 0
        else:
            for path in args.operator_key:
                key = load_key(path)
                signers[operator_index(graph.params, key, path)] = check_own_ots(graph, key, path)
            skipped = dynamic_skipped(graph, signers)
            bar.phase("running every leaf it can on the honest traces")
            runs, more = dynamic_runs(graph, signers)
            findings += more
    failed = [f for f in findings if not f.ok]
    info = {
        "graph_id": graph.graph_id.hex(),
        "passed": not failed,
        "checks": len(findings),
        "skipped": skipped,
        "failed": [asdict(f) for f in failed],
        "findings": [asdict(f) for f in findings],
        "leaves": [asdict(r) for r in runs],
    }
    skipped_note = (
        f"{skipped} checks of one-time-signature leaves skipped: give --operator-key for each "
        "operator to run its leaves on its honest trace"
    )

    def render(console) -> None:
        summary: dict[str, list[int]] = {}
        for f in findings:
            summary.setdefault(f.check, [0, 0])[0 if f.ok else 1] += 1
        t = table("check", "passed", "failed")
        for check, (ok, bad) in summary.items():
            t.add_row(check, str(ok), f"[red]{bad}[/]" if bad else "0")
        console.print(t)
        for f in failed:
            console.print(f"[red]FAIL[/] {markup(f.check)}: {markup(f.subject)}: {markup(f.message)}", highlight=False)
        if runs:
            top = sorted(runs, key=lambda r: -r.peak_stack)[:5]
            leaves = table("output", "leaf", "script bytes", "witness items", "peak stack", title="deepest leaves")
            for r in top:
                leaves.add_row(r.output, r.leaf, f"{r.script_bytes:,}", str(r.witness_items), str(r.peak_stack))
            console.print(leaves)
        if skipped:
            console.print(f"[yellow]{skipped_note}[/]")
        console.print(
            f"[green]audit passed[/] ({len(findings)} checks)"
            if not failed
            else f"[red]audit failed: {len(failed)} findings[/]"
        )

    emit(args, info, render)
    return EXIT_OK if not failed else EXIT_CHECK_FAILED


def _own_game_keys(graph, paths: list[str]) -> list:
    """Version 2: each ``--operator-key``'s one-time keys in the graph are its own.
    (Its leaves are run by the games' tests and drills, ``ocp drill run zkvm-fraud``:
    a game's leaves need a claim and a trace, not only the graph.)"""
    from ocp.gamekeysfile import check_own_game_keys
    from ocp.rules import Finding

    out = []
    for path in paths:
        key = load_key(path)
        operator_index(graph.params, key, path)
        check_own_game_keys(graph, key, path)
        out.append(Finding(True, "own one-time keys", path, "derived from this operator's key"))
    return out


# --- transactions --------------------------------------------------------------------------


def cmd_tx(args: argparse.Namespace) -> int:
    from ocp.leaves import RevealLeaf
    from ocp.witness import operator_values, signed_tx
    from taptrees.verify import verify_inputs

    graph = load_graph(args.graph, args.program)
    name = tx_by_label(graph.txs, args.name)
    gtx = graph.tx(name)
    if graph.game_keys is not None and (name.game is not None or name.kind is TxKind.KICKOFF):
        raise UserError(
            f"{name} carries one-time-signed values of a game: the game's players make it from the chain "
            "(ocp drill run zkvm-fraud shows a whole game); ocp graph tx makes the version-2 graph's "
            "Deposit, Confirm, Prepare, Take and StakeBack transactions"
        )
    if gtx.template:
        raise UserError(
            f"{name} is completed by a challenger (its inputs/outputs are added then): "
            f"start from its PSBT (ocp graph psbt {args.graph} {name})"
        )
    bad = [g for g in outstanding_signatures(graph) if g.tx == name and g.kind is not GapKind.MISSING]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise UserError(f"refusing {name}: {bad[0]}{more}; ocp graph verify lists them all")
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
    refused = [v for v in verify_inputs(tx, gtx.spent) if not v.ok]
    if refused:
        v = refused[0]
        raise UserError(
            f"refusing {name}: Bitcoin Core's interpreter refuses input {v.input_index} "
            f"({v.reason or 'no reason given'})"
        )
    info = {"name": str(name), "txid": tx.txid, "weight": tx.weight, "vsize": tx.vsize, "hex": tx.hex()}
    emit(args, info, lambda c: print(tx.hex()), plain=lambda _: print(tx.hex()))
    return EXIT_OK


def cmd_psbt(args: argparse.Namespace) -> int:
    out = None
    if args.output:
        out = check_output(args.output, force=args.force, inputs=(args.graph,))
    graph = load_graph(args.graph, args.program)
    name = tx_by_label(graph.txs, args.name)
    text = graph_psbt(graph, name)
    info = {"name": str(name), "psbt": text}
    if out is not None:
        write_atomic(out, text + "\n")
        info["output"] = str(out)
        emit(args, info, lambda c: c.print(f"PSBT of {markup(args.name)} -> {markup(out)}"), plain=print_plain)
        return EXIT_OK
    emit(args, info, lambda c: print(text), plain=lambda _: print(text))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph, args.program)
    if graph.game_keys is not None:
        from ocp.cli.games_cmds import show_games

        show_games(args, graph)
        return EXIT_OK
    data = graph_to_json(graph, with_asm=bool(args.tx))
    if args.tx:
        label = str(tx_by_label(graph.txs, args.tx))
        data = next(t for t in data["transactions"] if t["name"] == label)
    emit(args, data, lambda c: _render_show(c, data, graph, bool(args.tx)))
    return EXIT_OK


ASM_PREVIEW = 200


def _render_show(console, data: dict, graph, one: bool) -> None:
    if not one:
        t = table("transaction", "role", "spends (leaf)", "outs", "vsize unsigned", "fee")
        for tx, g in zip(data["transactions"], graph.txs.values(), strict=True):
            ins = ", ".join(f"{i['spends']} ({i['leaf'] or 'key'})" for i in tx["inputs"])
            t.add_row(
                tx["name"],
                tx["role"],
                ins,
                str(len(tx["outputs"])),
                str(g.tx.vsize),
                str(tx["fee"]) if not tx["template"] else "challenger",
            )
        console.print(t)
        return
    tx = data
    console.print(f"[bold]{tx['name']}[/] ({markup(tx['purpose'])})", highlight=False)
    field(console, "txid", tx["txid"], indent=2)
    for i in tx["inputs"]:
        signers = ", ".join(sorted({s["role"] for s in i["signers"]}))
        console.print(
            f"  input {i['index']}: spends {i['spends']} via {i['leaf'] or 'key path'}, "
            f"{i['amount']} sat, signed by {signers}",
            highlight=False,
        )
        field(console, "outpoint", i["outpoint"], indent=4)
    for o in tx["outputs"]:
        console.print(f"  output {o['vout']}: {o['value']} sat {markup(o.get('label', ''))}", highlight=False)
        if o.get("address"):
            field(console, "address", o["address"], indent=4)
        if o.get("descriptor"):
            field(console, "descriptor", o["descriptor"], indent=4)
        else:
            field(console, "script_pubkey", o["script_pubkey"], indent=4)
        if o.get("leaves"):
            leaves = table("leaf", "size", "depth", "purpose", "ASM")
            for leaf in o["leaves"]:
                asm = leaf["asm"]
                if len(asm) > ASM_PREVIEW:
                    asm = asm[:ASM_PREVIEW] + f" ... ({len(leaf['asm']):,} characters; all of it: --json, or pipe)"
                leaves.add_row(
                    leaf["name"], str(leaf["size"]), str(leaf["depth"]), markup(leaf["purpose"]), markup(asm)
                )
            console.print(leaves)
