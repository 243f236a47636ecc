"""``ocp watch [run|claim|status]``: the operator or a challenger as a long-running
service that follows the chain and acts (docs/watch.md).

* ``run`` (the default) follows the chain through ``--rpc-url`` -- an ``ocp
  regtest serve`` chain (``--chain kernel``) or a bitcoind (``--chain bitcoind``)
  -- keeps its state in ``--state``, logs every transition in one line (a JSON
  object per line under ``--json``) and broadcasts what is due.  It runs until
  interrupted, or with ``--exit-when-done`` until its game is over: exit 0, or 1
  for an operator whose stake was taken.
* ``claim`` tells the operator's service (running or started later on the same
  ``--state``) to claim; ``--wrong-step I`` makes it claim a trace wrong from
  step I on (a cheating operator, for drills).  A version-2 graph's claim names
  the program's input (``--input F``); ``--fault KIND`` with ``--wrong-step``
  makes that operator lie once (a fault kind of :mod:`ocp.zkvm.dispute`).
* A version-2 (zkVM) graph.json is loaded through :mod:`ocp.gamefile`: its
  leaves are regenerated from the params, the one-time keys and the program's
  ELF (``--program``, else where the params say or beside the graph) and compared
  with the file; the graph's one-time keys of this party must be derived from
  ``--key`` (:func:`ocp.gamekeysfile.check_own_game_keys`).  The service is then
  :class:`ocp.watch.gameservice.GameWatchService`.
* ``status`` prints what the state folder's journal says (no chain needed).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from ocp.cli import EXIT_INTERRUPTED, EXIT_OK
from ocp.cli.output import emit, field
from ocp.errors import UserError
from ocp.graphfile import load_graph
from ocp.ids import Role
from ocp.keyfile import RoleKey, load_key
from taptrees.tx import OutPoint

#: Where each chain answers by default: ``ocp regtest serve``'s port and cookie
#: (its default --chain-dir), and a local bitcoind -regtest's.
DEFAULT_URL = {"kernel": "http://127.0.0.1:18450", "bitcoind": "http://127.0.0.1:18443"}
DEFAULT_COOKIE = {"kernel": "regtest-chain/.cookie", "bitcoind": "~/.bitcoin/regtest/.cookie"}
ACTIONS = ("run", "claim", "status")


def add_commands(sub: argparse._SubParsersAction) -> None:
    from ocp.watch.challenger import Policy
    from ocp.watch.service import WatchOptions

    d = WatchOptions()
    watch = sub.add_parser(
        "watch",
        help="run the operator or a challenger as a service that follows the chain and acts",
        description="Follow the chain, keep state in --state, log every transition, broadcast what is "
        "due (docs/watch.md).  ACTION: run (default) the service; claim: tell the operator's "
        "service to claim; status: what the state folder's journal says.",
    )
    watch.add_argument(
        "action", nargs="?", choices=ACTIONS, default="run", metavar="ACTION", help="run | claim | status"
    )
    watch.add_argument("--role", choices=("operator", "challenger"), help="who this service acts for (run, claim)")
    watch.add_argument("--graph", help="the fully signed graph.json (run, claim)")
    watch.add_argument("--key", help="the party's key file, 0600 (run, claim)")
    watch.add_argument(
        "--program", metavar="ELF", help="a zkVM graph's program, when not where its params say nor beside the graph"
    )
    watch.add_argument("--state", required=True, help="state folder: journal, claim request, lock (made if missing)")
    watch.add_argument(
        "--chain",
        choices=("kernel", "bitcoind"),
        default="kernel",
        help="kernel: the embedded chain served by `ocp regtest serve`; bitcoind: a bitcoind -regtest",
    )
    watch.add_argument(
        "--rpc-url",
        metavar="URL",
        help=f"the chain's RPC (default: {DEFAULT_URL['kernel']} for kernel, {DEFAULT_URL['bitcoind']} for bitcoind)",
    )
    watch.add_argument(
        "--rpc-cookie",
        metavar="FILE",
        help=f"its cookie file (default: {DEFAULT_COOKIE['kernel']} for kernel, "
        f"{DEFAULT_COOKIE['bitcoind']} for bitcoind)",
    )
    watch.add_argument(
        "--rpc-user",
        metavar="USER",
        help="RPC user instead of a cookie (password from $OCP_RPC_PASSWORD, never on the command line)",
    )
    watch.add_argument(
        "--policy",
        choices=[p.value for p in Policy],
        default=d.policy.value,
        help="challenger: challenge false claims, every claim (exercises the answered path), or none",
    )
    watch.add_argument(
        "--coin",
        action="append",
        default=[],
        metavar="TXID:VOUT",
        help="a coin of this party's key (BIP86 output) it may spend: the challenger's "
        "Challenge input, the operator's extra fee coin (repeatable)",
    )
    watch.add_argument(
        "--feerate",
        type=float,
        default=d.feerate,
        help="sat/vB of the challenger's completed transactions and of the operator's first CPFP bump",
    )
    watch.add_argument("--max-feerate", type=float, default=d.max_feerate, help="sat/vB cap of doubling bumps")
    watch.add_argument(
        "--bump-after",
        type=int,
        default=d.bump_after,
        help="blocks an operator's move may stay unconfirmed in the mempool before a CPFP bump",
    )
    watch.add_argument("--poll", type=float, default=d.poll_interval, help="seconds between polls of the chain")
    watch.add_argument(
        "--exit-when-done",
        action="store_true",
        help="exit when the game is over (0; 1 for an operator whose stake was taken)",
    )
    watch.add_argument(
        "--wrong-step",
        type=int,
        metavar="I",
        help="claim: claim a trace wrong from step I on (a cheating operator, for drills)",
    )
    watch.add_argument(
        "--input", metavar="FILE", help="claim (zkVM graph): the input tape the program's run is claimed on"
    )
    watch.add_argument(
        "--fault", metavar="KIND", help="claim (zkVM graph, drills): lie once near --wrong-step, with this fault kind"
    )
    watch.add_argument(
        "--json", action="store_true", help="run: one JSON object per line per record; claim, status: one JSON document"
    )
    watch.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    if args.action == "status":
        return _status(args)
    for option in ("wrong_step", "input", "fault"):
        if args.action != "claim" and getattr(args, option) is not None:
            raise UserError(f"--{option.replace('_', '-')} goes with the claim action")
    for option in ("role", "graph", "key"):
        if getattr(args, option) is None:
            raise UserError(f"--{option} is required to {args.action}")
    key = load_key(args.key)
    if key.role != Role(args.role):
        raise UserError(f"{args.key} holds a {key.role} key; --role {args.role} needs the {args.role}'s key")
    graph = load_graph(args.graph, args.program)
    if graph.layout is not None:
        from ocp.gamekeysfile import check_own_game_keys

        check_own_game_keys(graph, key, args.key)
    elif args.program is not None:
        raise UserError("--program is for a version-2 (zkVM) graph")
    state = _open_state(args, graph, key)
    if args.action == "claim":
        return _claim_v2(args, state, graph) if graph.layout is not None else _claim(args, state, graph)
    return _run(args, state, graph, key)


def _identity(graph, key: RoleKey):
    from ocp.watch.game import operator_numbers
    from ocp.watch.journal import Identity

    operator = None
    if key.role is Role.OPERATOR:
        if key.pubkey not in graph.params.operators:
            raise UserError(f"{key} is not an operator of this graph")
        operator = operator_numbers(graph)[graph.params.operators.index(key.pubkey)]
    return Identity(key.role.value, graph.graph_id.hex(), key.pubkey.hex(), operator)


def _open_state(args: argparse.Namespace, graph, key: RoleKey):
    from ocp.watch.journal import StateDir

    return StateDir.open(args.state, _identity(graph, key))


def _claim(args: argparse.Namespace, state, graph) -> int:
    if args.role != "operator":
        raise UserError("only an operator claims")
    n = graph.params.computation.n_steps
    if args.wrong_step is not None and not 0 <= args.wrong_step < n:
        raise UserError(f"--wrong-step must be a step of the program, 0..{n - 1}")
    if state.journal().claim() is not None:
        raise UserError(f"the operator in {args.state} has claimed already (its journal holds the claim)")
    state.request_claim(args.wrong_step)
    emit(args, {"state": args.state, "claim_requested": True, "wrong_step": args.wrong_step})
    return EXIT_OK


def _claim_v2(args: argparse.Namespace, state, graph) -> int:
    """A version-2 claim request: the input tape, and a drill's fault."""
    from ocp.zkvm.dispute import FAULT_KINDS

    if args.role != "operator":
        raise UserError("only an operator claims")
    if args.input is None:
        raise UserError("a zkVM graph's claim names the program's input: give --input FILE")
    comp = graph.layout.comp
    tape = _read_input(args.input)
    if len(tape) > 4 * comp.input_words:
        raise UserError(f"--input {args.input} is {len(tape)} bytes; the graph signs at most {4 * comp.input_words}")
    if args.fault is not None and args.fault not in FAULT_KINDS:
        raise UserError(f"--fault {args.fault!r} is not one of {', '.join(FAULT_KINDS)}")
    if args.wrong_step is not None:
        if args.fault is None:
            raise UserError("--wrong-step of a zkVM graph's claim goes with --fault KIND")
        if not 0 <= args.wrong_step < comp.search.max_steps:
            raise UserError(f"--wrong-step must be a step of the search, 0..{comp.search.max_steps - 1}")
    if state.journal().claim() is not None:
        raise UserError(f"the operator in {args.state} has claimed already (its journal holds the claim)")
    state.request_claim_v2(tape, args.fault, args.wrong_step)
    emit(
        args,
        {
            "state": args.state,
            "claim_requested": True,
            "input_bytes": len(tape),
            "fault": args.fault,
            "wrong_step": args.wrong_step,
        },
    )
    return EXIT_OK


def _read_input(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"--input {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"--input {path} is a directory") from None


def parse_coin(text: str) -> OutPoint:
    txid, sep, vout = text.partition(":")
    if not sep or len(txid) != 64 or not vout.isdigit():
        raise UserError(f"--coin {text!r} is not TXID:VOUT")
    try:
        bytes.fromhex(txid)
    except ValueError:
        raise UserError(f"--coin {text!r}: the txid is not hex") from None
    return OutPoint(txid.lower(), int(vout))


def open_watch_chain(args: argparse.Namespace):
    """The chain the service follows: an ``ocp regtest serve`` chain (``kernel``,
    refused if the URL answers as another node) or a bitcoind."""
    url = args.rpc_url or DEFAULT_URL[args.chain]
    if args.rpc_user:
        if args.rpc_cookie:
            raise UserError("give --rpc-cookie or --rpc-user, not both")
        password = os.environ.get("OCP_RPC_PASSWORD")
        if not password:
            raise UserError("--rpc-user needs the password in $OCP_RPC_PASSWORD")
        credentials: dict = {"user": args.rpc_user, "password": password}
    else:
        cookie = Path(os.path.expanduser(args.rpc_cookie or DEFAULT_COOKIE[args.chain]))
        if not cookie.is_file():
            hint = "ocp regtest serve" if args.chain == "kernel" else "the node"
            raise UserError(f"no RPC cookie file at {cookie} (is {hint} running? name it with --rpc-cookie)")
        credentials = {"cookie_path": cookie}
    if args.chain == "kernel":
        from regtest.served import ServedChain

        if "user" in credentials:
            raise UserError("`ocp regtest serve` authenticates by its cookie file: give --rpc-cookie")
        return ServedChain(url, **credentials)
    from regtest.bitcoind import BitcoindChain

    return BitcoindChain(url, **credentials)


def _run(args: argparse.Namespace, state, graph, key: RoleKey) -> int:
    from ocp.watch.challenger import Policy
    from ocp.watch.gameservice import GameWatchService
    from ocp.watch.service import WatchOptions, WatchService

    if args.poll <= 0 or args.poll > 3600:
        raise UserError("--poll must be between 0 and 3600 seconds")
    if not 0 < args.feerate <= args.max_feerate:
        raise UserError("--feerate must be positive and at most --max-feerate")
    if args.bump_after < 1:
        raise UserError("--bump-after must be at least 1 block")
    options = WatchOptions(
        policy=Policy(args.policy),
        poll_interval=args.poll,
        feerate=args.feerate,
        max_feerate=args.max_feerate,
        bump_after=args.bump_after,
        coins=tuple(parse_coin(c) for c in args.coin),
        exit_when_done=args.exit_when_done,
    )
    state.lock()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with open_watch_chain(args) as chain:
            kind = GameWatchService if graph.layout is not None else WatchService
            service = kind(graph, key, chain, state, options, as_json=args.json)
            try:
                return service.run(stop)
            except KeyboardInterrupt:
                return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        state.unlock()


def _claim_status(claim: dict | None) -> dict | None:
    """What the journal says was claimed: a version-1 trace's last value, or a
    version-2 claim's N and h_N (and a drill's fault)."""
    if claim is None:
        return None
    if "trace" in claim:
        return {"claimed": claim["trace"][-1], "wrong_step": claim.get("wrong_step")}
    return {
        "steps": claim.get("claim_n"),
        "final_hash": claim.get("claim_h"),
        "fault": claim.get("fault"),
        "wrong_step": claim.get("wrong_step"),
    }


def _status(args: argparse.Namespace) -> int:
    from ocp.watch.journal import StateDir

    state = StateDir(args.state)
    if not (state.path / "watch.json").is_file():
        raise UserError(f"--state {args.state} holds no watcher state")
    journal = state.journal()
    games: dict[str, dict] = {}
    for entry in journal.entries:  # a rollback (reorganisation) takes a transition back
        if entry["kind"] in ("transition", "rollback"):
            phase = entry["to"] if entry["kind"] == "transition" else entry["from"]
            who = str(entry.get("operator")) + (f"/c{entry['game']}" if entry.get("game") else "")
            games[who] = {"phase": phase, "height": entry.get("height")}  # v2: the claim, and each game
    broadcast = [{"tx": e["tx"], "txid": e["txid"], "height": e["height"]} for e in journal.of_kind("broadcast")]
    done = journal.last("done")
    info = {
        "state": args.state,
        **{k: v for k, v in state.identity().items() if k != "format"},
        "games": games,
        "claim": _claim_status(journal.claim()),
        "broadcast": broadcast,
        "done": None if done is None else done.get("outcome"),
        "journal_entries": len(journal.entries),
    }

    def render(console) -> None:
        for key in ("state", "role", "graph_id", "pubkey", "operator"):
            field(console, key, info[key])
        for who, game in games.items():
            field(console, f"game {who}", f"{game['phase']} (height {game['height']})")
        for item in broadcast:
            field(console, f"broadcast {item['tx']}", f"{item['txid']} at height {item['height']}")
        field(console, "done", info["done"])

    emit(args, info, render)
    return EXIT_OK
