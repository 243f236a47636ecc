"""``ocp ceremony serve|join|status``: the signing ceremony as a service (issue 17).

``serve`` runs the coordinator over a graph file (an HTTP/JSON server; it exits 0
once the graph is complete, 1 if it gave up); ``join`` runs one signer (a
committee member, an operator or the depositor) against it and exits once its
own part is done.  docs/ceremony.md says what each party runs and checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ocp.cli import EXIT_CHECK_FAILED, EXIT_OK
from ocp.cli.output import emit, markup
from ocp.errors import UserError
from taptrees.hexstr import parse_hex

JSON_HELP = "machine-readable output (JSON on stdout; errors as JSON on stderr)"


def add_commands(sub: argparse._SubParsersAction) -> None:
    cer = sub.add_parser("ceremony", help="the signing ceremony as a service: a coordinator and signers")
    csub = cer.add_subparsers(dest="ceremony_command", metavar="ACTION")
    csub.required = True

    serve = csub.add_parser(
        "serve",
        help="coordinate the ceremony of a graph file (exit 0 once it is complete)",
        description="Serve the ceremony of GRAPH over HTTP: committee rounds (MuSig2), every "
        "party's signatures, blame for bad contributions.  Signatures taken are journaled "
        "(GRAPH.journal) before they are acknowledged and written into GRAPH atomically.",
    )
    serve.add_argument("graph", help="graph.json (signatures are added to it)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port, printed)")
    serve.add_argument("--url-file", help="also write the URL signers join to this file")
    serve.add_argument(
        "--round-timeout",
        type=float,
        default=120.0,
        help="seconds a committee round waits for every member before it is abandoned",
    )
    serve.add_argument("--max-rounds", type=int, default=20, help="give up after this many committee rounds")
    serve.add_argument("--transcript", help="append every message received, round and blame to this file (JSON lines)")
    serve.add_argument(
        "--save-interval",
        type=float,
        default=5.0,
        help="seconds between rewrites of the graph file (every signature is journaled at once)",
    )
    serve.add_argument("--linger", type=float, default=2.0, help="seconds to keep answering once complete")
    serve.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", help="... and this private key (PEM)")
    serve.add_argument("--json", action="store_true", help=JSON_HELP)
    serve.set_defaults(func=cmd_serve)

    join = csub.add_parser(
        "join",
        help="sign as one party through a coordinator (exit 0 once this party's part is done)",
        description="Check the graph (rebuild and compare, graph id, audit rules, an operator's "
        "own one-time keys), then sign this key's part: MuSig2 rounds for a committee member "
        "(nonces from a crash-safe store), presign for everyone else (the depositor last).",
    )
    join.add_argument("url", help="the coordinator, e.g. http://127.0.0.1:8717")
    join.add_argument("--key", required=True, help="this party's key file")
    join.add_argument("--graph", help="this party's own copy of graph.json (default: fetch the coordinator's)")
    join.add_argument("--graph-id", help="the graph id compared out of band; refuse any other graph")
    join.add_argument("--nonces", help="a MuSig2 member's nonce store (default: KEY with .nonces.json)")
    join.add_argument(
        "--give-up", type=float, default=300.0, help="seconds without an answer from the coordinator before giving up"
    )
    join.add_argument("--tls-ca", help="trust this CA certificate (PEM) for an https:// coordinator")
    join.add_argument("--json", action="store_true", help=JSON_HELP)
    join.set_defaults(func=cmd_join)

    status = csub.add_parser("status", help="a coordinator's state: rounds, blame, what is still owed")
    status.add_argument("url", help="the coordinator")
    status.add_argument("--tls-ca", help="trust this CA certificate (PEM)")
    status.add_argument("--json", action="store_true", help=JSON_HELP)
    status.set_defaults(func=cmd_status)


def cmd_serve(args: argparse.Namespace) -> int:
    from ocp.ceremony.coordinator import Coordinator, write_url_file
    from ocp.ceremony.server import TLS, bind, serve, url_of

    if not 0 <= args.port <= 65535:
        raise UserError("--port must be between 0 and 65535")
    if args.round_timeout <= 0 or args.max_rounds < 1:
        raise UserError("--round-timeout must be positive and --max-rounds at least 1")
    tls = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise UserError("give --tls-cert and --tls-key together")
        tls = TLS(Path(args.tls_cert), Path(args.tls_key))
        for path in (tls.certfile, tls.keyfile):
            if not path.is_file():
                raise UserError(f"{path}: no such file")
    coordinator = Coordinator(
        args.graph,
        round_timeout=args.round_timeout,
        max_rounds=args.max_rounds,
        save_interval=args.save_interval,
        transcript=args.transcript,
    )
    sock = bind(args.host, args.port)
    url = url_of(sock, tls)
    if args.url_file:
        write_url_file(args.url_file, url)
    if not args.json:
        print(f"serving graph {coordinator.graph_id.hex()} at {url}", flush=True)
    try:
        serve(coordinator, sock, tls=tls, linger=args.linger)
    finally:
        sock.close()
    state = coordinator.state()
    info = {
        "graph": args.graph,
        "url": url,
        "graph_id": state["graph_id"],
        "complete": state["complete"],
        "failed": state["failed"],
        "owed": state["owed"],
        "rounds": state["rounds"],
        "blame": [b["text"] for b in state["blame"]],
        "notes": state["notes"],
    }

    def render(console) -> None:
        for r in state["rounds"]:
            console.print(f"round {r['round_id']}: {r['inputs']} inputs, {markup(r['outcome'])}", highlight=False)
        for b in info["blame"]:
            console.print(f"[red]blame:[/] {markup(b)}", highlight=False)
        verdict = "[green]complete[/]" if info["complete"] else f"[red]incomplete[/] ({markup(str(info['failed']))})"
        console.print(f"graph {info['graph_id']}: {verdict}; written to {markup(args.graph)}", highlight=False)

    emit(args, info, render)
    return EXIT_OK if state["complete"] else EXIT_CHECK_FAILED


def _client(url: str, give_up: float, ca: str | None):
    from ocp.ceremony.client import CoordinatorClient

    if not url.startswith(("http://", "https://")):
        raise UserError(f"coordinator URL {url!r} must start with http:// or https://")
    if ca and not Path(ca).is_file():
        raise UserError(f"--tls-ca {ca}: no such file")
    return CoordinatorClient(url, give_up=give_up, verify=ca or True)


def parse_graph_id(text: str, what: str) -> bytes:
    raw = parse_hex(text, what)
    if len(raw) != 32:
        raise UserError(f"{what} must be 32 bytes (64 hex digits), got {len(raw)}")
    return raw


def cmd_join(args: argparse.Namespace) -> int:
    from ocp.ceremony.client import join
    from ocp.graphfile import load_graph
    from ocp.keyfile import load_key

    key = load_key(args.key)
    expected = parse_graph_id(args.graph_id, "--graph-id") if args.graph_id else None
    graph = load_graph(args.graph) if args.graph else None
    nonces = args.nonces or str(Path(args.key).with_suffix(".nonces.json"))
    client = _client(args.url, args.give_up, args.tls_ca)
    shown = []

    def on_graph(g) -> None:
        if not args.json:
            print(f"{key.name} ({key.role}) joined the ceremony of graph {g.graph_id.hex()}", flush=True)
        shown.append(g.graph_id.hex())

    try:
        outcome = join(client, key, graph=graph, graph_id=expected, nonces=nonces, on_graph=on_graph)
    finally:
        client.close()
    info = {
        "signer": key.name,
        "role": key.role.value,
        "pubkey": key.pubkey.hex(),
        "graph_id": shown[0] if shown else None,
        "signed": outcome.signed,
        "rounds": outcome.rounds,
        "burned_rounds": outcome.burned,
        "bytes_sent": client.wire.sent,
        "bytes_received": client.wire.received,
        "requests": client.wire.requests,
    }
    emit(
        args,
        info,
        lambda c: c.print(
            f"{markup(key.name)} signed {outcome.signed} inputs"
            + (f" in {len(outcome.rounds)} round(s)" if outcome.rounds else "")
            + f"; {client.wire.sent:,} bytes sent, {client.wire.received:,} received",
            highlight=False,
        ),
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    client = _client(args.url, 10.0, args.tls_ca)
    try:
        state = client.state()
    finally:
        client.close()
    emit(args, state, lambda c: _render_status(c, state))
    return EXIT_OK


def _render_status(console, state: dict) -> None:
    console.print(f"graph {state['graph_id']} ({state['committee_form']} committee)", highlight=False)
    rnd = state["round"]
    if rnd:
        console.print(
            f"round {rnd['id']}: {rnd['phase']}, {rnd['inputs']} inputs, "
            f"{len(rnd['committed'])} nonce commits, {len(rnd['signed'])} partial signature sets"
        )
    for role, n in state["owed"].items():
        console.print(f"  {role}: {n} signatures owed")
    for b in state["blame"]:
        console.print(f"[red]blame:[/] {markup(b['text'])}", highlight=False)
    console.print("[green]complete[/]" if state["complete"] else "not complete yet")
