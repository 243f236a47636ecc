"""``ocp regtest fund|send|mine|coins``: the embedded regtest chain (blocks
validated by libbitcoinkernel, kept in ``--chain-dir`` between commands), for
trying a ceremony end to end without a node.

* ``fund`` mines coins to a throwaway faucet key and pays each role's BIP86
  address (``ocp params addresses``) its minimum amount plus ``--extra``, in one
  confirmed transaction, then writes the params with their ``[funding]`` coins;
* ``send`` submits a transaction (``ocp graph tx`` hex) and mines it in a block;
* ``mine`` lets blocks pass (timelocks);
* ``coins`` checks the params' ``[funding]`` coins against the chain;
* ``serve`` serves the chain to other processes (``ocp watch``, a miner, a drill
  harness) over the JSON-RPC subset a bitcoind client uses (:mod:`regtest.served`),
  until Ctrl-C, SIGTERM or the RPC ``stop``.

The embedded chain keeps no mempool between commands: ``send`` mines at once
(``serve`` keeps one while it runs).
With a bitcoind instead, docs/ceremony.md shows the ``bitcoin-cli`` equivalents.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from ocp.cli import EXIT_CHECK_FAILED, EXIT_OK
from ocp.cli.graph_cmds import add_program_arg
from ocp.cli.output import emit, field, markup, progress
from ocp.errors import UserError
from ocp.fileio import check_output, names_a_file, read_text
from ocp.params import DEFAULT_NETWORK, Funding, Params, load_params, save_params
from taptrees.errors import InputError
from taptrees.tree import NUMS_INTERNAL_KEY, TaprootOutput
from taptrees.tx import Tx

CHAIN_DIR_HELP = "folder of the embedded regtest chain (made on first use)"
#: Blocks mined by ``mine`` pay an output nobody can spend (BIP341's NUMS key, no tree).
MINE_TO = TaprootOutput(NUMS_INTERNAL_KEY).script_pubkey


def add_commands(sub: argparse._SubParsersAction) -> None:
    reg = sub.add_parser("regtest", help="the embedded regtest chain: fund roles, send transactions, mine")
    rsub = reg.add_subparsers(dest="regtest_command", metavar="ACTION")
    rsub.required = True

    fund = rsub.add_parser(
        "fund",
        help="fund the depositor, the operator (and a zkVM graph's challengers' bond "
        "coins); write params with their [funding]",
    )
    fund.add_argument("params", help="params file (.toml or .json)")
    add_program_arg(fund)
    fund.add_argument("--chain-dir", default="regtest-chain", help=CHAIN_DIR_HELP)
    fund.add_argument(
        "--extra", type=int, default=100_000, help="satoshis paid to each role above its minimum (comes back as change)"
    )
    fund.add_argument(
        "-o",
        "--output",
        help="params file to write with the [funding] coins (not the input; without -o the coins are only printed)",
    )
    fund.add_argument(
        "--force", action="store_true", help="replace an existing output file (never an input or a key file)"
    )
    fund.add_argument("--json", action="store_true", help="machine-readable output")
    fund.set_defaults(func=cmd_fund)

    send = rsub.add_parser("send", help="submit a transaction and mine it (exit 1 if the chain refuses it)")
    send.add_argument("tx", metavar="HEX|FILE|-", help="transaction hex, a file holding it, or - for stdin")
    send.add_argument("--chain-dir", default="regtest-chain", help=CHAIN_DIR_HELP)
    send.add_argument("--json", action="store_true", help="machine-readable output")
    send.set_defaults(func=cmd_send)

    mine = rsub.add_parser("mine", help="mine empty blocks (to pass a timelock)")
    mine.add_argument("blocks", type=int, help="how many blocks")
    mine.add_argument("--chain-dir", default="regtest-chain", help=CHAIN_DIR_HELP)
    mine.add_argument("--json", action="store_true", help="machine-readable output")
    mine.set_defaults(func=cmd_mine)

    coins = rsub.add_parser("coins", help="check the params' [funding] coins on the chain (exit 1 if wrong)")
    coins.add_argument("params", help="params file (.toml or .json)")
    add_program_arg(coins)
    coins.add_argument("--chain-dir", default="regtest-chain", help=CHAIN_DIR_HELP)
    coins.add_argument("--json", action="store_true", help="machine-readable output")
    coins.set_defaults(func=cmd_coins)

    serve = rsub.add_parser("serve", help="serve the chain to other processes over JSON-RPC (bitcoind's subset)")
    serve.add_argument("--chain-dir", default="regtest-chain", help=CHAIN_DIR_HELP)
    serve.add_argument("--port", type=int, default=18450, help="TCP port (0: any free one, printed)")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--mine-every",
        type=float,
        metavar="SECONDS",
        help="mine a block (the whole mempool) every SECONDS (default: only on request)",
    )
    serve.add_argument(
        "--min-relay-feerate",
        type=float,
        default=0.1,
        help="sat/vB the mempool requires (-minrelaytxfee; raise it to make a fee spike)",
    )
    serve.add_argument(
        "--json", action="store_true", help="print {url, cookie, chain_dir, height} as one JSON line once serving"
    )
    serve.set_defaults(func=cmd_serve)


def open_chain(chain_dir: str, create: bool = True):
    from regtest.kernel import KernelChain

    folder = Path(chain_dir)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--chain-dir {folder} is not a folder")
    if not folder.exists() and not create:
        raise UserError(f"--chain-dir {folder} does not exist (ocp regtest fund makes it)")
    return KernelChain(folder)


def _require_regtest(params: Params, path: str) -> None:
    if params.network != DEFAULT_NETWORK:
        raise UserError(f"{path} is for {params.network}; the embedded chain is regtest")


def cmd_fund(args: argparse.Namespace) -> int:
    from ocp.funding import role_funding, with_coins
    from regtest.faucet import Faucet

    if not 0 <= args.extra <= 10**12:
        raise UserError("--extra must be between 0 and 10^12 satoshis")
    out = None
    if args.output:
        out = check_output(args.output, force=args.force, inputs=(args.params,))
    params = load_params(args.params, args.program)
    _require_regtest(params, args.params)
    with progress(args, phases=2) as bar:
        bar.phase("computing minimum amounts")
        roles = role_funding(params)
        bar.phase(f"mining and paying on the chain in {args.chain_dir}")
        with open_chain(args.chain_dir) as chain:
            faucet = Faucet(chain, secrets.token_bytes(32))  # throwaway: only regtest coins
            amounts = [r.minimum + args.extra for r in roles]
            outpoints = faucet.fund_many([(r.script_pubkey, a) for r, a in zip(roles, amounts, strict=True)])
            height = chain.height()
    coins = {
        _coin_name(r.role, r.number, r.spent_by): Funding(op, a)
        for r, op, a in zip(roles, outpoints, amounts, strict=True)
    }
    funded = with_coins(params, list(coins.values()))
    if out is not None:
        save_params(funded, out)
    info = {
        "chain_dir": args.chain_dir,
        "height": height,
        "funding": {role: coin.to_str() for role, coin in coins.items()},
        "output": None if out is None else str(out),
    }

    def render(console) -> None:
        console.print(f"funded on the embedded chain in {markup(args.chain_dir)} (height {height}):")
        for role, coin in info["funding"].items():
            field(console, role, coin, indent=2)
        if out is not None:
            console.print(f"wrote {markup(out)} with these [funding] coins", highlight=False)
        else:
            console.print("add them to the params file's \\[funding] section (or give -o)")

    emit(args, info, render)
    return EXIT_OK


def _read_tx(arg: str) -> Tx:
    if arg == "-":
        text = sys.stdin.read()
    elif names_a_file(arg):
        text = read_text(arg, "transaction file")
    else:
        text = arg
    if not text.strip():
        raise UserError("no transaction given")
    try:
        return Tx.from_hex(text)
    except InputError as exc:
        raise UserError(str(exc)) from None


def cmd_send(args: argparse.Namespace) -> int:
    tx = _read_tx(args.tx)
    with open_chain(args.chain_dir, create=False) as chain:
        result = chain.submit(tx)
        if result.accepted:
            chain.mine(1, MINE_TO)
        height = chain.height()
    info = {
        "txid": tx.txid,
        "accepted": result.accepted,
        "reason": result.reason,
        "detail": result.detail,
        "height": height,
    }

    def render(console) -> None:
        field(console, "txid", tx.txid)
        if result.accepted:
            console.print(f"[green]accepted[/], mined at height {height}")
        else:
            console.print("[red]refused[/]")
            field(console, "reason", f"{result.reason} {result.detail}".strip(), indent=2)

    emit(args, info, render)
    return EXIT_OK if result.accepted else EXIT_CHECK_FAILED


def cmd_mine(args: argparse.Namespace) -> int:
    if not 1 <= args.blocks <= 10_000:
        raise UserError("blocks must be between 1 and 10000")
    with progress(args) as bar:
        bar.phase(f"mining {args.blocks} blocks")
        with open_chain(args.chain_dir, create=False) as chain:
            chain.mine(args.blocks, MINE_TO)
            height = chain.height()
    emit(args, {"mined": args.blocks, "height": height})
    return EXIT_OK


def _coin_name(role, number: int | None, spent_by=None) -> str:
    """``operator 2``, ``challenger 1``; a challenger's bond coin for operator o of
    several: ``challenger 1 (operator o)``."""
    name = role.value if number is None else f"{role.value} {number}"
    if role.value == "challenger" and spent_by is not None and spent_by.operator is not None:
        name += f" (operator {spent_by.operator})"
    return name


def cmd_coins(args: argparse.Namespace) -> int:
    from ocp.funding import funded_by, given_coins, key_path_output

    params = load_params(args.params, args.program)
    _require_regtest(params, args.params)
    given = given_coins(params)
    coins = {
        _coin_name(role, number, name): (coin, key)
        for (role, number, key, name), coin in zip(funded_by(params), given, strict=True)
    }
    results = {}
    with open_chain(args.chain_dir, create=False) as chain:
        for role, (coin, pubkey) in coins.items():
            if coin is None:
                results[role] = {"coin": None, "ok": False, "problem": "no [funding] coin given"}
                continue
            utxo = chain.get_output(coin.outpoint)
            want = key_path_output(pubkey).script_pubkey
            if utxo is None:
                problem = "not an unspent output on this chain"
            elif utxo.txout.value != coin.amount:
                problem = f"holds {utxo.txout.value} sat, params say {coin.amount}"
            elif utxo.txout.script_pubkey != want:
                problem = f"does not pay the {role}'s key (its BIP86 address)"
            else:
                problem = ""
            results[role] = {"coin": coin.to_str(), "ok": not problem, "problem": problem}
    ok = all(r["ok"] for r in results.values())
    emit(args, {"ok": ok, "coins": results})
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def cmd_serve(args: argparse.Namespace) -> int:
    import json
    import signal

    from regtest.kernel import KernelChain
    from regtest.policy import Policy
    from regtest.served import COOKIE_NAME, ChainServer

    if not 0 <= args.port <= 65535:
        raise UserError("--port must be between 0 and 65535")
    if args.mine_every is not None and not 0.01 <= args.mine_every <= 86_400:
        raise UserError("--mine-every must be between 0.01 and 86400 seconds")
    if not 0 <= args.min_relay_feerate <= 10_000:
        raise UserError("--min-relay-feerate must be between 0 and 10000 sat/vB")
    folder = Path(args.chain_dir)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--chain-dir {folder} is not a folder")
    policy = Policy(min_relay_feerate=round(args.min_relay_feerate * 1000))
    with KernelChain(folder, policy=policy) as chain:
        server = ChainServer(chain, folder / COOKIE_NAME, args.bind, args.port)
        previous = signal.signal(signal.SIGTERM, lambda *_: server.stop())
        info = {
            "url": server.url,
            "cookie": str(server.cookie_path),
            "chain_dir": str(folder),
            "height": chain.height(),
        }
        if args.json:
            print(json.dumps(info), flush=True)
        else:
            print(
                f"serving the embedded chain in {folder} (height {chain.height()}) at {server.url}, "
                f"cookie {server.cookie_path}; Ctrl-C to stop",
                flush=True,
            )
        if args.mine_every:
            server.mine_every(args.mine_every, MINE_TO)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    return EXIT_OK
