"""The committee's MuSig2 signing rounds (BIP327), as plain functions over the
typed messages of :mod:`ocp.ceremony.messages`.

One layer serves both ways of running a ceremony: the in-process path
(:func:`sign_committee`: drills and tests, every member in one process with its
own nonce store) and the network path (:mod:`ocp.ceremony.coordinator` behind an
HTTP server, :mod:`ocp.ceremony.client` in each member's process) call the same
functions with the same messages.

A round, for the inputs the committee's aggregate key still has to sign:

1. the coordinator opens it (:func:`open_round`): a fresh random round id and
   the inputs, in order;
2. each member (:func:`commit_nonces`) checks every input is one its own checked
   graph has the committee sign, computes every sighash itself, draws one fresh
   nonce per input from its nonce store (:class:`~ocp.ceremony.nonces.SignerNonces`:
   recorded on disk before it leaves; session id ``<graph id>/<round id>/<input>``,
   never seen before) and sends them signed (:class:`NonceCommit`);
3. the coordinator checks each commit (:func:`accept_commit`; blame for a bad
   nonce) and, once every member's is in, aggregates (:func:`aggregate_nonces`);
4. each member (:func:`sign_round`) checks that its own commit is the one
   aggregated and every member's is there, and signs every input with its own
   nonce (:class:`PartialSigs`); the store marks each session signed;
5. the coordinator verifies every partial signature (:func:`accept_partial_sigs`;
   blame names the member and the inputs) and aggregates the inputs whose every
   partial signature verified into BIP340 signatures of the aggregate key
   (:func:`final_signatures`), each checked again.

Inputs left unsigned go to a new round with a new id: fresh nonces from every
member.  A member that restarted cannot sign a round whose nonces it handed out
before (its store burned them) and says so (:func:`burned`); one that sees a new
round abandons the old one's unsigned sessions (:func:`abandon_round`).  Nothing
the coordinator sends goes into a nonce: it cannot choose or repeat a member's
nonces, and every input has its own nonce (nothing is derived from data shared
between inputs).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ocp.ceremony.messages import (
    Burned,
    InputRef,
    MessageError,
    NonceAggregate,
    NonceCommit,
    PartialSigs,
    RoundOpen,
)
from ocp.ceremony.nonces import NonceRequest, SessionState, SignerNonces
from ocp.committee import Committee, CommitteeForm, member_plain_pk, musig_secret
from ocp.errors import UserError
from ocp.graph import Graph
from ocp.ids import Role
from ocp.keyfile import RoleKey
from ocp.signing import check_signature, spend_sighash, with_hash_type, with_signatures
from taptrees.errors import InputError
from taptrees.keys import schnorr_verify
from taptrees.musig2 import (
    InvalidContributionError,
    SessionContext,
    nonce_agg,
    partial_sig_agg,
    partial_sig_verify_internal,
)


@dataclass(frozen=True)
class CommitteeInput:
    """An input the committee's aggregate key signs: its BIP341 sighash and hash type."""

    ref: InputRef
    msg: bytes
    hash_type: int


def committee_inputs(graph: Graph) -> dict[InputRef, CommitteeInput]:
    """Every pre-signed input whose leaf checks the committee's MuSig2 key, in graph order."""
    committee = graph.params.n_of_n
    if committee.form is not CommitteeForm.MUSIG2:
        return {}
    signer = (Role.COMMITTEE, committee.aggregate_key)
    out = {}
    for name, gtx in graph.txs.items():
        for i, spend in enumerate(gtx.spends):
            if spend.presigned and signer in spend.signers:
                ref = InputRef(name, i)
                out[ref] = CommitteeInput(ref, spend_sighash(graph, gtx, i), spend.hash_type)
    return out


def inputs_by_label(graph: Graph) -> dict[str, InputRef]:
    """Every input of the graph by its label (``Assert_3@2:0``), for reading messages."""
    return {
        str(ref): ref for name, gtx in graph.txs.items() for ref in (InputRef(name, i) for i in range(len(gtx.spends)))
    }


def unsigned_committee_inputs(graph: Graph) -> list[InputRef]:
    """The committee inputs without a valid signature of the aggregate key."""
    if graph.params.committee_form is not CommitteeForm.MUSIG2:
        return []
    agg = graph.params.n_of_n.aggregate_key
    out = []
    for ref in committee_inputs(graph):
        sig = graph.signature(ref.tx, ref.index, agg)
        if sig is None or not check_signature(graph, ref.tx, ref.index, agg, sig):
            out.append(ref)
    return out


def new_round_id() -> str:
    """A fresh round id: 128 bits from the OS, so no two rounds (even after a
    coordinator restart) share one."""
    return secrets.token_hex(16)


def session_id(opened: RoundOpen, ref: InputRef) -> str:
    """The nonce store's id of one input's session in one round."""
    return f"{opened.graph_id.hex()}/{opened.round_id}/{ref}"


# --- blame --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blame:
    """A signer's provably faulty contribution (its message verified under its key),
    or a member that kept a round waiting past its timeout."""

    signer: bytes
    round_id: str  # "-" outside the committee's rounds
    what: str
    inputs: tuple[str, ...] = ()
    role: Role = Role.COMMITTEE

    def __str__(self) -> str:
        where = ""
        if self.inputs:
            shown = ", ".join(self.inputs[:3]) + (f" and {len(self.inputs) - 3} more" if len(self.inputs) > 3 else "")
            where = f" ({shown})"
        who = "committee member" if self.role is Role.COMMITTEE else str(self.role)
        when = f" in round {self.round_id}" if self.round_id != "-" else ""
        return f"{who} {self.signer.hex()}: {self.what}{where}{when}"

    def to_json(self) -> dict:
        return {
            "signer": self.signer.hex(),
            "role": self.role.value,
            "round": self.round_id,
            "what": self.what,
            "inputs": list(self.inputs),
        }


class BlameError(MessageError):
    """A contribution refused with blame on its sender."""

    def __init__(self, blame: Blame) -> None:
        self.blame = blame
        super().__init__(str(blame))


# --- a member's side ----------------------------------------------------------------------


class Standing(StrEnum):
    """Where a member stands in a round, from its nonce store."""

    FRESH = "fresh"  # no nonce handed out for it yet
    ISSUED = "issued"  # nonces handed out by this process: it can sign
    SIGNED = "signed"  # signed already (its partial signatures may be resent)
    BURNED = "burned"  # nonces handed out before a restart (or used): it never signs this round


@dataclass
class Member:
    """One committee member: its checked graph, its key and its nonce store (opened
    with :func:`member_store`)."""

    graph: Graph
    key: RoleKey
    store: SignerNonces
    inputs: dict[InputRef, CommitteeInput] = field(init=False)
    #: Partial signatures made by this process, by round id, to resend unchanged.
    made: dict[str, PartialSigs] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        committee = self.graph.params.n_of_n
        if committee.form is not CommitteeForm.MUSIG2:
            raise UserError("this graph's committee is a key chain: each member signs with presign")
        if self.key.role is not Role.COMMITTEE:
            raise UserError(f"{self.key} is not a committee key")
        committee.member_index(self.key.pubkey)
        if self.store.pk != member_plain_pk(self.key.pubkey):
            raise UserError(f"nonce store {self.store.path} belongs to another key")
        self.inputs = committee_inputs(self.graph)

    @property
    def committee(self) -> Committee:
        return self.graph.params.n_of_n


def member_store(key: RoleKey, path: str | Path) -> SignerNonces:
    """The nonce store of committee member ``key`` (its MuSig2 secret: see
    :func:`ocp.committee.musig_secret`)."""
    return SignerNonces(path, musig_secret(key.secret))


def _check_round(member: Member, opened: RoundOpen) -> None:
    if opened.graph_id != member.graph.graph_id:
        raise MessageError(
            f"round {opened.round_id} is for graph {opened.graph_id.hex()}, not this one "
            f"({member.graph.graph_id.hex()})"
        )
    for ref in opened.inputs:
        if ref not in member.inputs:
            raise MessageError(f"round {opened.round_id}: {ref} is not an input the committee's key signs")


def standing(member: Member, opened: RoundOpen) -> Standing:
    """Whether ``member`` can still commit to, or sign, ``opened``."""
    states = set()
    for ref in opened.inputs:
        record = member.store.record(session_id(opened, ref))
        states.add(None if record is None else record.state)
    if states == {None}:
        return Standing.FRESH
    if states == {SessionState.ISSUED}:
        return Standing.ISSUED
    if states == {SessionState.SIGNED} and opened.round_id in member.made:
        return Standing.SIGNED
    return Standing.BURNED


def commit_nonces(member: Member, opened: RoundOpen) -> NonceCommit:
    """Round 1: a fresh nonce for every input of ``opened``, recorded before they
    leave, in a signed :class:`NonceCommit`."""
    _check_round(member, opened)
    requests = [
        NonceRequest(session_id(opened, ref), member.committee.aggregate, member.inputs[ref].msg)
        for ref in opened.inputs
    ]
    pubnonces = member.store.issue(requests)
    return _commit(member, opened, pubnonces)


def _commit(member: Member, opened: RoundOpen, pubnonces: Sequence[bytes]) -> NonceCommit:
    commit = NonceCommit(
        member.key.pubkey, b"", opened.graph_id, opened.round_id, opened.digest, tuple(bytes(p) for p in pubnonces)
    )
    return commit.signed_by(member.key)


def own_commit(member: Member, opened: RoundOpen) -> NonceCommit:
    """The commit this member made for ``opened`` (rebuilt from its store's records:
    BIP340 signing with zero auxiliary randomness is deterministic)."""
    pubnonces = []
    for ref in opened.inputs:
        record = member.store.record(session_id(opened, ref))
        if record is None:
            raise UserError(f"round {opened.round_id}: no nonce was handed out for {ref}")
        pubnonces.append(record.pubnonce)
    return _commit(member, opened, pubnonces)


def sign_round(member: Member, opened: RoundOpen, aggregate: NonceAggregate) -> PartialSigs:
    """Round 2: check the coordinator's aggregate (for this round, every member's
    commit aggregated, this member's own commit unchanged) and sign every input
    with its own nonce.  Resending is safe: a round signed already returns the
    same partial signatures, never a second signature."""
    _check_round(member, opened)
    if opened.round_id in member.made:
        return member.made[opened.round_id]
    if (aggregate.graph_id, aggregate.round_id, aggregate.round_digest) != (
        opened.graph_id,
        opened.round_id,
        opened.digest,
    ):
        raise MessageError(f"the aggregate nonces are not for round {opened.round_id}")
    if len(aggregate.aggnonces) != len(opened.inputs):
        raise MessageError(
            f"round {opened.round_id}: {len(aggregate.aggnonces)} aggregate nonces for {len(opened.inputs)} inputs"
        )
    members = set(member.committee.members)
    if set(aggregate.commits) != members:
        raise MessageError(f"round {opened.round_id}: the aggregate is not made of every member's nonces")
    if aggregate.commits[member.key.pubkey] != own_commit(member, opened).digest:
        raise MessageError(
            f"round {opened.round_id}: the coordinator aggregated other nonces than this member sent; refusing to sign"
        )
    sessions = {}
    for j, (ref, aggnonce) in enumerate(zip(opened.inputs, aggregate.aggnonces, strict=True)):
        try:
            sessions[session_id(opened, ref)] = SessionContext(
                aggnonce, member.committee.aggregate, member.inputs[ref].msg
            )
        except InvalidContributionError:
            raise MessageError(f"round {opened.round_id}: aggregate nonce {j} ({ref}) is invalid") from None
    psigs = member.store.sign(sessions)
    message = PartialSigs(
        member.key.pubkey,
        b"",
        opened.graph_id,
        opened.round_id,
        opened.digest,
        tuple(psigs[session_id(opened, ref)] for ref in opened.inputs),
    )
    member.made[opened.round_id] = message.signed_by(member.key)
    return member.made[opened.round_id]


def burned(member: Member, opened: RoundOpen) -> Burned:
    """The signed notice that this member cannot sign ``opened`` (see :class:`Standing`)."""
    message = Burned(member.key.pubkey, b"", opened.graph_id, opened.round_id, opened.digest)
    return message.signed_by(member.key)


def abandon_round(member: Member, opened: RoundOpen) -> None:
    """Burn this member's unsigned sessions of a round that is over."""
    ids = [session_id(opened, ref) for ref in opened.inputs]
    member.store.abandon([sid for sid in ids if member.store.record(sid) is not None])
    member.made.pop(opened.round_id, None)


# --- the coordinator's side ---------------------------------------------------------------


@dataclass
class Round:
    """The coordinator's state of one round."""

    opened: RoundOpen
    committee: Committee
    work: tuple[CommitteeInput, ...]
    commits: dict[bytes, NonceCommit] = field(default_factory=dict)
    aggregate: NonceAggregate | None = None
    sessions: tuple[SessionContext, ...] = ()
    psigs: dict[bytes, PartialSigs] = field(default_factory=dict)
    #: member -> positions of the inputs whose partial signature verified
    valid: dict[bytes, frozenset[int]] = field(default_factory=dict)

    @property
    def round_id(self) -> str:
        return self.opened.round_id

    @property
    def waiting_for_nonces(self) -> list[bytes]:
        return [m for m in self.committee.members if m not in self.commits]

    @property
    def waiting_for_psigs(self) -> list[bytes]:
        return [m for m in self.committee.members if m not in self.psigs]


def open_round(graph: Graph, inputs: Iterable[InputRef] | None = None, round_id: str | None = None) -> Round:
    """A new round for ``inputs`` (by default every committee input still unsigned)."""
    work = committee_inputs(graph)
    refs = list(unsigned_committee_inputs(graph) if inputs is None else inputs)
    if not refs:
        raise UserError("nothing left for the committee to sign")
    opened = RoundOpen(graph.graph_id, round_id or new_round_id(), tuple(refs))
    return Round(opened, graph.params.n_of_n, tuple(work[ref] for ref in refs))


def check_round_message(rnd: Round, message: NonceCommit | PartialSigs | Burned) -> None:
    """A member's message of ``rnd``: signed by a member, for this very round."""
    message.verify()
    if message.signer not in rnd.committee.members:
        raise MessageError(f"{message.KIND} message from {message.signer.hex()}, not a committee member")
    if (message.graph_id, message.round_id, message.round_digest) != (
        rnd.opened.graph_id,
        rnd.opened.round_id,
        rnd.opened.digest,
    ):
        raise MessageError(f"{message.KIND} message is not for round {rnd.round_id} of this graph")


def accept_commit(rnd: Round, commit: NonceCommit) -> bool:
    """Take a member's nonces (True if new; False for a resend of the same commit)."""
    check_round_message(rnd, commit)
    member = commit.signer
    if member in rnd.commits:
        if rnd.commits[member] == commit:
            return False
        raise BlameError(Blame(member, rnd.round_id, "sent two different nonce commits for one round"))
    if rnd.aggregate is not None:
        raise MessageError(f"round {rnd.round_id} has its nonces already")
    labels = [str(ref) for ref in rnd.opened.inputs]
    if len(commit.pubnonces) != len(labels):
        what = f"sent {len(commit.pubnonces)} public nonces for {len(labels)} inputs"
        raise BlameError(Blame(member, rnd.round_id, what))
    seen = {p for c in rnd.commits.values() for p in c.pubnonces}
    for j, pubnonce in enumerate(commit.pubnonces):
        try:
            nonce_agg([pubnonce])
        except InvalidContributionError:
            raise BlameError(Blame(member, rnd.round_id, "invalid public nonce", (labels[j],))) from None
        if pubnonce in seen:
            raise BlameError(Blame(member, rnd.round_id, "repeated a public nonce", (labels[j],)))
        seen.add(pubnonce)
    rnd.commits[member] = commit
    return True


def aggregate_nonces(rnd: Round) -> NonceAggregate:
    """BIP327 NonceAgg of every member's nonce, per input (once every commit is in)."""
    if rnd.aggregate is not None:
        return rnd.aggregate
    if rnd.waiting_for_nonces:
        raise UserError(f"round {rnd.round_id} still waits for {len(rnd.waiting_for_nonces)} members' nonces")
    members = rnd.committee.members
    aggnonces = tuple(nonce_agg([rnd.commits[m].pubnonces[j] for m in members]) for j in range(len(rnd.work)))
    rnd.sessions = tuple(
        SessionContext(aggnonce, rnd.committee.aggregate, item.msg)
        for aggnonce, item in zip(aggnonces, rnd.work, strict=True)
    )
    rnd.aggregate = NonceAggregate(
        rnd.opened.graph_id,
        rnd.round_id,
        rnd.opened.digest,
        aggnonces,
        {m: rnd.commits[m].digest for m in members},
    )
    return rnd.aggregate


def accept_partial_sigs(rnd: Round, message: PartialSigs) -> Blame | None:
    """Verify a member's partial signatures (BIP327 PartialSigVerify each).  The
    message is kept either way; a :class:`Blame` names the member and every input
    whose partial signature is invalid."""
    check_round_message(rnd, message)
    member = message.signer
    if rnd.aggregate is None:
        raise MessageError(f"round {rnd.round_id} has no aggregate nonces yet")
    if member in rnd.psigs:
        if rnd.psigs[member] == message:
            return None
        raise BlameError(Blame(member, rnd.round_id, "sent two different sets of partial signatures"))
    if len(message.psigs) != len(rnd.work):
        what = f"sent {len(message.psigs)} partial signatures for {len(rnd.work)} inputs"
        raise BlameError(Blame(member, rnd.round_id, what))
    pubnonces = rnd.commits[member].pubnonces
    pk = member_plain_pk(member)
    good, bad = set(), []
    for j, (psig, session) in enumerate(zip(message.psigs, rnd.sessions, strict=True)):
        try:
            ok = partial_sig_verify_internal(psig, pubnonces[j], pk, session)
        except InputError:
            ok = False
        if ok:
            good.add(j)
        else:
            bad.append(str(rnd.work[j].ref))
    rnd.psigs[member] = message
    rnd.valid[member] = frozenset(good)
    return Blame(member, rnd.round_id, "invalid partial signature", tuple(bad)) if bad else None


def final_signatures(rnd: Round) -> dict[InputRef, bytes]:
    """BIP327 PartialSigAgg of every input whose every partial signature verified:
    the aggregate key's BIP340 signature (with the input's hash type byte), each
    verified before it is returned."""
    members = rnd.committee.members
    if any(m not in rnd.valid for m in members):
        return {}
    agg = rnd.committee.aggregate_key
    out = {}
    for j, item in enumerate(rnd.work):
        if not all(j in rnd.valid[m] for m in members):
            continue
        sig = partial_sig_agg([rnd.psigs[m].psigs[j] for m in members], rnd.sessions[j])
        if not schnorr_verify(agg, item.msg, sig):  # pragma: no cover - every partial signature verified
            raise AssertionError(f"aggregate signature of {item.ref} does not verify")
        out[item.ref] = with_hash_type(sig, item.hash_type)
    return out


def add_committee_signatures(graph: Graph, sigs: Mapping[InputRef, bytes]) -> Graph:
    agg = graph.params.n_of_n.aggregate_key
    return with_signatures(graph, [(ref.tx, ref.index, agg, sig) for ref, sig in sigs.items()])


# --- the in-process path --------------------------------------------------------------------


def run_round(rnd: Round, members: Sequence[Member]) -> list[Blame]:
    """Both rounds of ``rnd`` with every member in this process."""
    for member in members:
        accept_commit(rnd, commit_nonces(member, rnd.opened))
    aggregate = aggregate_nonces(rnd)
    blame = []
    for member in members:
        found = accept_partial_sigs(rnd, sign_round(member, rnd.opened, aggregate))
        if found is not None:
            blame.append(found)
    return blame


def sign_committee(graph: Graph, members: Sequence[Member], max_rounds: int = 3) -> tuple[Graph, list[Blame]]:
    """Sign every committee input with every member in this process (drills and
    tests): rounds until nothing is left or ``max_rounds`` have run."""
    if {m.key.pubkey for m in members} != set(graph.params.committee):
        raise UserError("an in-process MuSig2 ceremony needs every committee member's key")
    blame: list[Blame] = []
    for _ in range(max_rounds):
        if not unsigned_committee_inputs(graph):
            break
        rnd = open_round(graph)
        blame += run_round(rnd, members)
        graph = add_committee_signatures(graph, final_signatures(rnd))
    return graph, blame


def sign_committee_with_keys(graph: Graph, keys: Sequence[RoleKey], folder: str | Path) -> Graph:
    """:func:`sign_committee` with a nonce store per member in ``folder``."""
    stores = [member_store(key, Path(folder) / f"{key.pubkey.hex()}.nonces.json") for key in keys]
    try:
        signed, blame = sign_committee(graph, [Member(graph, k, s) for k, s in zip(keys, stores, strict=True)])
    finally:
        for store in stores:
            store.close()
    left = unsigned_committee_inputs(signed)
    if left:
        raise UserError(f"the committee left {len(left)} inputs unsigned: {'; '.join(map(str, blame)) or 'no blame'}")
    return signed
