"""Pre-signing the graph (the signer ceremony's core) and checking signatures.

Who signs what (each input's :class:`~ocp.graph.InputSpend` lists every key
its leaf needs; a pre-signed input is signed by all of them in the ceremony):

* committee members sign every pre-signed input: Confirm, Kickoff, Assert_j,
  Take1, Take2, StakeBack1/2 (SIGHASH_DEFAULT), and the templates Challenge,
  Slash_j and Disprove_i (SIGHASH_SINGLE|ANYONECANPAY: the output paired with
  the input is fixed, a challenger adds inputs and outputs) -- each alone here
  with a key chain, or together with MuSig2 (``keys.committee_form = "musig2"``:
  the duty is one signature of the aggregate key, made in nonce rounds by
  :mod:`ocp.ceremony.session`, never by :func:`presign`);
* each operator signs its own Kickoff and Asserts (beside the committee), the
  Challenge connector (SINGLE|ANYONECANPAY: the challenge fee is fixed), and its
  funding (Prepare) -- and only for a graph whose one-time keys derive from its
  own secret (:func:`presign` is given the operator's check);
* the depositor signs Deposit and, last of all, Confirm -- and only when every
  committee and operator signature of the graph is present and valid, so the
  deposit can never reach the vault before the whole graph is pre-signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from ocp.committee import CommitteeForm
from ocp.errors import UserError
from ocp.graph import Graph, GraphTx, InputSpend
from ocp.ids import Role, TxName
from ocp.keyfile import RoleKey
from ocp.leaves import Signer
from taptrees.keys import schnorr_sign, schnorr_verify
from taptrees.sighash import ScriptPath, taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxOut

#: Roles that sign in the ceremony, in the order they sign (the depositor last).
CEREMONY_ROLES = (Role.COMMITTEE, Role.OPERATOR, Role.DEPOSITOR)


def spend_sighash(
    graph: Graph, gtx: GraphTx, index: int, tx: Tx | None = None, spent: tuple[TxOut, ...] | list[TxOut] | None = None
) -> bytes:
    """The BIP341/342 sighash of input ``index`` of ``gtx`` (or of ``tx``, a
    completion of it spending ``spent``) for its spend."""
    spend = gtx.spends[index]
    path = None
    if spend.leaf is not None:
        out, _ = graph.spend_leaf(spend)
        path = ScriptPath(out.tapleaf(spend.leaf).hash)
    return taproot_sighash(tx or gtx.tx, index, list(spent or gtx.spent), spend.hash_type, path)


def with_hash_type(sig: bytes, hash_type: int) -> bytes:
    return sig + (bytes([hash_type]) if hash_type else b"")


def sign_spend(
    graph: Graph,
    gtx: GraphTx,
    index: int,
    key: RoleKey,
    tx: Tx | None = None,
    spent: tuple[TxOut, ...] | list[TxOut] | None = None,
) -> bytes:
    """``key``'s signature of input ``index`` (key path: with the tweaked key)."""
    spend = gtx.spends[index]
    msg = spend_sighash(graph, gtx, index, tx, spent)
    if spend.leaf is None:
        return TaprootOutput(key.pubkey).key_path_sign(key.secret, msg, spend.hash_type)
    return with_hash_type(schnorr_sign(key.secret, msg), spend.hash_type)


@dataclass(frozen=True)
class Duty:
    """Input ``index`` of ``tx`` needs a signature of ``signer``."""

    tx: TxName
    index: int
    spend: InputSpend
    signer: Signer


def duties(graph: Graph, presigned_only: bool = True) -> Iterator[Duty]:
    """Every signature the ceremony owes (or, with ``presigned_only=False``, every
    signature any spend of the graph needs)."""
    for name, gtx in graph.txs.items():
        for i, spend in enumerate(gtx.spends):
            if spend.presigned or not presigned_only:
                for signer in spend.signers:
                    yield Duty(name, i, spend, signer)


def check_signature(graph: Graph, tx: TxName, index: int, pubkey: bytes, sig: bytes) -> bool:
    gtx = graph.tx(tx)
    spend = gtx.spends[index]
    expected_len = 64 if spend.hash_type == 0 else 65
    if len(sig) != expected_len or (spend.hash_type and sig[64] != spend.hash_type):
        return False
    msg = spend_sighash(graph, gtx, index)
    if spend.leaf is None:  # key path: the funding output is the role's plain taproot key
        pubkey = TaprootOutput(pubkey).output_key
    return schnorr_verify(pubkey, msg, sig[:64])


class GapKind(StrEnum):
    MISSING = "missing"
    INVALID = "invalid"
    UNKNOWN_KEY = "unknown key"


@dataclass(frozen=True)
class SignatureGap:
    """A signature that is absent, invalid, or made by a key the graph does not know."""

    kind: GapKind
    tx: TxName
    index: int
    role: Role | None
    pubkey: bytes

    def __str__(self) -> str:
        who = f"{self.role} {self.pubkey.hex()}" if self.role else f"key {self.pubkey.hex()}"
        what = {
            GapKind.MISSING: "no signature from",
            GapKind.INVALID: "INVALID signature from",
            GapKind.UNKNOWN_KEY: "signature from unknown",
        }[self.kind]
        return f"{self.tx} input {self.index}: {what} {who}"


def missing_signatures(graph: Graph, roles=(Role.COMMITTEE, Role.OPERATOR)) -> list[SignatureGap]:
    """Every pre-signature of ``roles`` that is absent or invalid (by default the
    committee's and the operators': the depositor signs last, on a complete graph)."""
    gaps = []
    for duty in duties(graph):
        role, pk = duty.signer
        if role not in roles:
            continue
        sig = graph.signature(duty.tx, duty.index, pk)
        if sig is None:
            gaps.append(SignatureGap(GapKind.MISSING, duty.tx, duty.index, role, pk))
        elif not check_signature(graph, duty.tx, duty.index, pk, sig):
            gaps.append(SignatureGap(GapKind.INVALID, duty.tx, duty.index, role, pk))
    return gaps


def signing_keys(graph: Graph) -> dict[bytes, Role]:
    """Every key whose signature a graph may hold, with its role: the committee's
    leaf keys (its members', or its MuSig2 aggregate key), operators, depositor."""
    keys = {pk: r for r in CEREMONY_ROLES for pk in graph.params.keys_of(r)}
    if graph.params.committee_form is CommitteeForm.MUSIG2:
        for pk in graph.params.committee:  # members sign only as the aggregate
            keys.pop(pk, None)
    keys.update({pk: Role.COMMITTEE for pk in graph.params.n_of_n.keys})
    return keys


def invalid_signatures(graph: Graph) -> list[SignatureGap]:
    """Every stored signature that does not verify or comes from an unknown key."""
    role_of_key = signing_keys(graph)
    gaps = []
    for tx, per_input in graph.signatures.items():
        for index, sigs in per_input.items():
            for pk, sig in sigs.items():
                role = role_of_key.get(pk)
                if role is None:
                    gaps.append(SignatureGap(GapKind.UNKNOWN_KEY, tx, index, None, pk))
                elif not check_signature(graph, tx, index, pk, sig):
                    gaps.append(SignatureGap(GapKind.INVALID, tx, index, role, pk))
    return gaps


def ceremony_duty(duty: Duty) -> bool:
    """Whether the ceremony owes this signature: every pre-signed input, and the
    key-path funding spends of the ceremony's roles (Deposit, Prepare).  A challenger's
    bond coin (a version-2 Open) is signed by the challenger when it opens its game."""
    return duty.spend.presigned or (duty.spend.leaf is None and duty.signer[0] in CEREMONY_ROLES)


def own_duties(graph: Graph, key: RoleKey) -> list[Duty]:
    """What ``key`` signs in the ceremony: every pre-signed input that needs it, and
    its own funding spend (key path)."""
    mine = (key.role, key.pubkey)
    return [
        d
        for d in duties(graph, presigned_only=False)
        if d.signer == mine and (d.spend.presigned or d.spend.leaf is None)
    ]


def with_signatures(graph: Graph, sigs: Iterable[tuple[TxName, int, bytes, bytes]]) -> Graph:
    """``graph`` with ``(tx, input, x-only key, signature)`` added (a new graph; the
    old one and its signature maps are left as they were)."""
    merged = {tx: {i: dict(s) for i, s in per.items()} for tx, per in graph.signatures.items()}
    for tx, index, pubkey, sig in sigs:
        merged.setdefault(tx, {}).setdefault(index, {})[pubkey] = sig
    return replace(graph, signatures=merged)


def presign(graph: Graph, key: RoleKey, on_progress: Callable[[int, int], None] | None = None) -> tuple[Graph, int]:
    """Add ``key``'s signatures to every input it must sign in the ceremony.

    Returns the new graph and the number of signatures added.  The depositor's
    Confirm signature is refused until the committee and operators have signed
    everything (the graph is then complete and the vault is safe).  An operator
    must check first that the graph's one-time keys are its own
    (:func:`ocp.otsfile.check_own_ots`): the CLI does.
    """
    role = key.role
    if key.pubkey not in graph.params.keys_of(role):
        raise UserError(f"{key} is not the graph's {role} key")
    if role is Role.CHALLENGER:
        raise UserError(
            "a challenger signs nothing in the ceremony: it signs its bond coin when it opens its game "
            "(a signature made now would let anyone open the game with its bond)"
        )
    if role is Role.COMMITTEE and graph.params.committee_form is CommitteeForm.MUSIG2:
        raise UserError(
            "this committee signs as one MuSig2 key: its members sign together in nonce "
            "rounds (ocp ceremony serve / ocp ceremony join), not one at a time with presign"
        )
    if role is Role.DEPOSITOR:
        gaps = missing_signatures(graph)
        if gaps:
            raise UserError(
                f"refusing to sign Confirm: the graph is not fully pre-signed ({len(gaps)} "
                f"signatures missing or invalid, first: {gaps[0]})"
            )
    todo = own_duties(graph, key)
    sigs = {tx: {i: dict(s) for i, s in per.items()} for tx, per in graph.signatures.items()}
    added = 0
    for done, duty in enumerate(todo):
        if on_progress:
            on_progress(done, len(todo))
        sig = sign_spend(graph, graph.tx(duty.tx), duty.index, key)
        slot = sigs.setdefault(duty.tx, {}).setdefault(duty.index, {})
        if slot.get(key.pubkey) != sig:
            added += 1
        slot[key.pubkey] = sig
    return replace(graph, signatures=sigs), added


def outstanding_signatures(graph: Graph) -> list[SignatureGap]:
    """Everything that keeps the graph from being complete: every ceremony
    signature (:func:`own_duties` of every key) that is absent or invalid -- the
    depositor's Deposit and Confirm and each operator's Prepare included -- and
    every other stored signature that does not verify or comes from an unknown
    key.  Empty means complete."""
    gaps = []
    for duty in duties(graph, presigned_only=False):
        if not ceremony_duty(duty):
            continue  # signed when broadcast (Refund, a game's moves, a challenger's Open)
        role, pk = duty.signer
        sig = graph.signature(duty.tx, duty.index, pk)
        if sig is None:
            gaps.append(SignatureGap(GapKind.MISSING, duty.tx, duty.index, role, pk))
        elif not check_signature(graph, duty.tx, duty.index, pk, sig):
            gaps.append(SignatureGap(GapKind.INVALID, duty.tx, duty.index, role, pk))
    seen = {(g.tx, g.index, g.pubkey) for g in gaps}
    gaps += [g for g in invalid_signatures(graph) if (g.tx, g.index, g.pubkey) not in seen]
    return gaps
