"""A signer of the ceremony service: what ``ocp ceremony join`` runs.

Before it signs anything, every signer

1. has the graph rebuilt from its params and one-time keys and compared field by
   field (:func:`ocp.graphfile.load_graph` on its own copy, or on the file it
   fetches from the coordinator), and checks the coordinator serves the same
   graph id -- and, given ``--graph-id``, the id compared out of band;
2. runs the audit's static rules (:func:`ocp.audit.static_findings`: no key path,
   covenant, windows, fees, exclusive outcomes, payments, stack; only the
   signature findings are left out, the ceremony is what fills them);
3. an operator: checks the graph's one-time keys are derived from its own secret
   (:func:`ocp.otsfile.check_own_ots`);
4. the depositor: waits until every committee and operator signature is in,
   fetches them and signs Confirm only if each verifies (``presign``'s rule).

Then a committee member of a MuSig2 committee takes part in rounds
(:mod:`ocp.ceremony.session`): nonces from its crash-safe store, partial
signatures only for its own nonces and only after checking its commit is the one
aggregated; a round whose nonces an earlier process of it handed out is never
signed (it says so, and the coordinator starts a new round).  Everyone else
signs its own inputs with ``presign`` and posts them in one signed message.

Requests that fail on the way (connection refused or reset, time-outs, a 5xx)
are resent -- every message is idempotent: a resend of the same nonces or
partial signatures is the same message -- until ``give_up`` seconds pass without
an answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from ocp.ceremony.messages import NonceAggregate, PartialSigs, PlainSigs, RoundOpen
from ocp.ceremony.session import (
    Member,
    Standing,
    abandon_round,
    burned,
    commit_nonces,
    inputs_by_label,
    member_store,
    own_commit,
    sign_round,
    standing,
)
from ocp.committee import CommitteeForm
from ocp.errors import UserError
from ocp.graph import Graph
from ocp.graphfile import graph_from_json, parse_signatures
from ocp.ids import Role
from ocp.keyfile import RoleKey
from ocp.signing import own_duties, presign

#: Seconds of one long poll.
POLL = 10.0


class CoordinatorGone(UserError):
    """The coordinator did not answer for ``give_up`` seconds."""


class Refused(UserError):
    """The coordinator refused a message (status 400)."""

    def __init__(self, message: str, blame: dict | None) -> None:
        super().__init__(message)
        self.blame = blame


class Stale(UserError):
    """The coordinator has moved on to another round (status 409)."""


@dataclass
class Wire:
    """Bytes this signer sent and received over HTTP (request and status lines,
    headers and bodies; TCP/TLS framing not counted)."""

    sent: int = 0
    received: int = 0
    requests: int = 0


@dataclass
class CoordinatorClient:
    """HTTP to one coordinator, with resends."""

    url: str
    give_up: float = 300.0
    timeout: float = 30.0
    verify: str | bool = True
    wire: Wire = field(default_factory=Wire)
    #: The HTTP client (made from ``url`` unless given, e.g. a test's in-process one).
    http: httpx.Client | None = None

    def __post_init__(self) -> None:
        if self.http is None:
            self.http = httpx.Client(base_url=self.url.rstrip("/"), timeout=self.timeout + POLL, verify=self.verify)

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        start = time.monotonic()
        delay = 0.1
        while True:
            try:
                request = self.http.build_request(method, path, **kwargs)
                response = self.http.send(request)
            except httpx.TransportError as exc:
                if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    raise UserError(
                        f"coordinator {self.url}: its TLS certificate is not trusted ({exc}); give its CA with --tls-ca"
                    ) from None
                if time.monotonic() - start > self.give_up:
                    raise CoordinatorGone(
                        f"coordinator {self.url} unreachable for {self.give_up:g} s ({exc})"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self._count(request, response)
            if response.status_code >= 500:
                if time.monotonic() - start > self.give_up:
                    raise CoordinatorGone(f"coordinator {self.url} kept failing ({response.status_code})")
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            return response

    def _count(self, request: httpx.Request, response: httpx.Response) -> None:
        def head(lines: list[str], headers: httpx.Headers) -> int:
            return sum(len(k) + len(v) + 4 for k, v in headers.items()) + sum(len(x) + 2 for x in lines) + 2

        self.wire.requests += 1
        self.wire.sent += head([f"{request.method} {request.url.raw_path.decode()} HTTP/1.1"], request.headers)
        self.wire.sent += len(request.content)
        self.wire.received += head([f"HTTP/1.1 {response.status_code}"], response.headers) + len(response.content)

    def _answer(self, response: httpx.Response) -> object:
        try:
            obj = response.json()
        except ValueError:
            raise UserError(f"coordinator answered {response.status_code} without JSON") from None
        if response.status_code == 409:
            raise Stale(obj.get("error", "stale round"))
        if response.status_code >= 400:
            raise Refused(f"coordinator refused: {obj.get('error', response.status_code)}", obj.get("blame"))
        return obj

    def get(self, path: str, **params) -> object:
        return self._answer(self._send("GET", path, params=params))

    def post(self, path: str, obj: dict) -> object:
        return self._answer(
            self._send("POST", path, content=json.dumps(obj).encode(), headers={"content-type": "application/json"})
        )

    def state(self, after: dict | None = None, wait: float = 0.0) -> dict:
        """The coordinator's state; with ``after`` (an earlier state), once it changed
        or ``wait`` seconds passed."""
        params = {} if after is None else {"after": after["version"], "instance": after.get("instance", "")}
        obj = self.get("/v1/state", **params, wait=wait)
        if not isinstance(obj, dict) or obj.get("format") != "ocp-ceremony-state/1":
            raise UserError(f"{self.url} is not an ocp ceremony coordinator")
        return obj


def fetch_graph(client: CoordinatorClient) -> Graph:
    """The coordinator's graph, rebuilt from its params and compared field by field."""
    response = client._send("GET", "/v1/graph")
    if response.status_code != 200:
        raise UserError(f"coordinator answered {response.status_code} for the graph")
    try:
        obj = response.json()
    except ValueError:
        raise UserError("the coordinator's graph is not JSON") from None
    return graph_from_json(obj, f"graph from {client.url}")


def check_graph(graph: Graph, key: RoleKey, state: dict, expected_id: bytes | None) -> None:
    """What every signer checks before it signs anything (see the module)."""
    from ocp.audit import static_findings
    from ocp.otsfile import check_own_ots

    if state["graph_id"] != graph.graph_id.hex():
        raise UserError(f"the coordinator serves graph {state['graph_id']}, not this graph ({graph.graph_id.hex()})")
    if expected_id is not None and graph.graph_id != expected_id:
        raise UserError(
            f"graph id {graph.graph_id.hex()} is not the one compared out of band ({expected_id.hex()}): do not sign"
        )
    if key.pubkey not in graph.params.keys_of(key.role):
        raise UserError(f"{key} is not one of this graph's {key.role} keys")
    failed = [f for f in static_findings(graph) if not f.ok and f.check != "signatures"]
    if failed:
        f = failed[0]
        raise UserError(f"the graph fails its audit ({f.check}: {f.subject}: {f.message}); do not sign")
    if key.role is Role.OPERATOR:
        check_own_ots(graph, key)


@dataclass
class Outcome:
    """What a signer did, for its report."""

    role: Role
    signed: int = 0
    rounds: list[str] = field(default_factory=list)
    burned: list[str] = field(default_factory=list)
    blamed: list[str] = field(default_factory=list)


#: Changes a signer's signatures before they are sent (the drill's faulty signer;
#: None for every real signer).
Tamper = Callable[[PartialSigs | PlainSigs, RoleKey], PartialSigs | PlainSigs]


def run_member(client: CoordinatorClient, member: Member, tamper: Tamper | None = None) -> Outcome:
    """A MuSig2 committee member's part: every round until the committee's inputs
    are all signed (see the module)."""
    me = member.key.pubkey.hex()
    labels = inputs_by_label(member.graph)
    outcome = Outcome(Role.COMMITTEE)
    opened: RoundOpen | None = None
    state = client.state()
    while True:
        if state.get("failed"):
            raise UserError(f"the coordinator gave up: {state['failed']}")
        if state["committee_done"]:
            return outcome
        current = state.get("round")
        if current is not None and (opened is None or opened.round_id != current["id"]):
            if opened is not None:
                abandon_round(member, opened)
            try:
                opened = RoundOpen.from_json(client.get(f"/v1/round/{current['id']}"), labels)
            except Stale:
                state = client.state()
                continue
            outcome.rounds.append(opened.round_id)
        if current is not None and opened is not None:
            try:
                _act(client, member, opened, current, me, outcome, tamper)
            except Stale:
                pass
            except Refused as exc:
                outcome.blamed.append(str(exc))
                raise
        state = client.state(after=state, wait=POLL)


def _act(client, member: Member, opened: RoundOpen, current: dict, me: str, outcome: Outcome, tamper) -> None:
    where = f"/v1/round/{opened.round_id}"
    stand = standing(member, opened)
    if current["phase"] == "nonces":
        if me in current["committed"]:
            if stand is not Standing.ISSUED:  # handed out by an earlier process of this member
                outcome.burned.append(opened.round_id)
                client.post(f"{where}/burned", burned(member, opened).to_json())
            return  # else: waiting for the others
        if stand is Standing.FRESH:
            client.post(f"{where}/nonces", commit_nonces(member, opened).to_json())
        elif stand is Standing.ISSUED:
            client.post(f"{where}/nonces", own_commit(member, opened).to_json())  # a resend
        else:
            outcome.burned.append(opened.round_id)
            client.post(f"{where}/burned", burned(member, opened).to_json())
        return
    if me in current["signed"]:
        return
    if stand not in (Standing.ISSUED, Standing.SIGNED):
        outcome.burned.append(opened.round_id)
        client.post(f"{where}/burned", burned(member, opened).to_json())
        return
    aggregate = NonceAggregate.from_json(client.get(f"{where}/aggregate"))
    message = sign_round(member, opened, aggregate)
    if tamper is not None:
        message = tamper(message, member.key)
    client.post(f"{where}/psigs", message.to_json())
    outcome.signed = len(message.psigs)


def run_plain(client: CoordinatorClient, graph: Graph, key: RoleKey, tamper: Tamper | None = None) -> Outcome:
    """An operator's, the depositor's or a chain committee member's part: sign its
    own inputs with ``presign`` (the depositor once everything else is in) and post
    them in one signed message."""
    outcome = Outcome(key.role)
    if key.role is Role.DEPOSITOR:
        state = client.state()
        while not state["depositor_ready"]:
            if state.get("failed"):
                raise UserError(f"the coordinator gave up: {state['failed']}")
            state = client.state(after=state, wait=POLL)
        obj = client.get("/v1/signatures")
        if not isinstance(obj, dict) or obj.get("graph_id") != graph.graph_id.hex():
            raise UserError("the coordinator's signatures are for another graph")
        graph = replace(graph, signatures=parse_signatures(graph, obj.get("signatures"), "coordinator's signatures"))
    signed, _ = presign(graph, key)  # the depositor's refuses Confirm unless every other signature verifies
    sigs = {}
    for duty in own_duties(signed, key):
        sig = signed.signature(duty.tx, duty.index, key.pubkey)
        sigs[f"{duty.tx}:{duty.index}"] = sig
    message = PlainSigs(key.pubkey, b"", graph.graph_id, key.role, sigs).signed_by(key)
    if tamper is not None:
        message = tamper(message, key)
    client.post("/v1/signatures", message.to_json())
    outcome.signed = len(sigs)
    return outcome


def join(
    client: CoordinatorClient,
    key: RoleKey,
    *,
    graph: Graph | None = None,
    graph_id: bytes | None = None,
    nonces: str | Path | None = None,
    tamper: Tamper | None = None,
    on_graph: Callable[[Graph], None] | None = None,
) -> Outcome:
    """Everything ``ocp ceremony join`` does for ``key``."""
    state = client.state()
    if graph is None:
        graph = fetch_graph(client)
    check_graph(graph, key, state, graph_id)
    if on_graph:
        on_graph(graph)
    musig = key.role is Role.COMMITTEE and graph.params.committee_form is CommitteeForm.MUSIG2
    if not musig:
        return run_plain(client, graph, key, tamper)
    if nonces is None:
        raise UserError("a MuSig2 committee member needs its nonce store (--nonces FILE)")
    store = member_store(key, nonces)
    try:
        return run_member(client, Member(graph, key, store), tamper)
    finally:
        store.close()
