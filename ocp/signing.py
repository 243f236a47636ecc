"""Pre-signing the graph (the signer ceremony's core) and checking signatures.

Who signs what (``InputSpend.signers``):

* committee members sign every pre-signed committee input: Confirm, Take1, Take2
  (SIGHASH_DEFAULT), Slash_j and Disprove_i (SIGHASH_SINGLE: the burn output is
  fixed, the challenger adds its reward output);
* the operator pre-signs the Challenge connector with SIGHASH_SINGLE|ANYONECANPAY
  (the challenge fee is fixed, anyone may add inputs and change), and signs
  Prepare (its funding);
* the depositor signs Deposit and, last of all, Confirm -- and only when every
  committee signature of the graph is present and valid, so the deposit can
  never reach the vault before the whole graph is pre-signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from ocp.errors import UserError
from ocp.graph import Graph, GraphTx, InputSpend
from ocp.keyfile import RoleKey
from taptrees.keys import schnorr_sign, schnorr_verify
from taptrees.sighash import ScriptPath, taproot_sighash
from taptrees.tree import TaprootOutput


def signer_keys(graph: Graph, role: str) -> tuple[bytes, ...]:
    p = graph.params
    return {
        "committee": p.committee,
        "operator": (p.operator,),
        "depositor": (p.depositor,),
    }.get(role, ())


def spend_sighash(graph: Graph, gtx: GraphTx, index: int) -> bytes:
    """The BIP341/342 sighash of input ``index`` of ``gtx`` for its spend."""
    spend = gtx.spends[index]
    path = None
    if spend.leaf is not None:
        out = graph.outputs[spend.source]
        path = ScriptPath(out.output.leaf(out.leaf_index(spend.leaf)).hash)
    return taproot_sighash(gtx.tx, index, gtx.spent, spend.hash_type, path)


def _with_type(sig: bytes, hash_type: int) -> bytes:
    return sig + (bytes([hash_type]) if hash_type else b"")


@dataclass(frozen=True)
class Duty:
    tx: str
    index: int
    spend: InputSpend


def duties(graph: Graph, role: str, presigned_only: bool = True) -> Iterator[Duty]:
    for name, gtx in graph.txs.items():
        for i, spend in enumerate(gtx.spends):
            if role in spend.signers and (spend.presigned or not presigned_only):
                yield Duty(name, i, spend)


def signature_of(graph: Graph, tx: str, index: int, pubkey: bytes) -> bytes | None:
    hexsig = graph.signatures.get(tx, {}).get(index, {}).get(pubkey.hex())
    return bytes.fromhex(hexsig) if hexsig else None


def check_signature(graph: Graph, tx: str, index: int, pubkey: bytes, sig: bytes) -> bool:
    gtx = graph.txs[tx]
    spend = gtx.spends[index]
    expected_len = 64 if spend.hash_type == 0 else 65
    if len(sig) != expected_len or (spend.hash_type and sig[64] != spend.hash_type):
        return False
    msg = spend_sighash(graph, gtx, index)
    if spend.leaf is None:  # key-path: the funding output is the role's plain taproot key
        pubkey = TaprootOutput(pubkey).output_key
    return schnorr_verify(pubkey, msg, sig[:64])


def missing_signatures(graph: Graph) -> list[str]:
    """Every committee and operator pre-signature that is absent or invalid, as
    readable lines (the depositor signs last, on a complete graph)."""
    problems = []
    for r in ("committee", "operator"):
        for duty in duties(graph, r):
            for pk in signer_keys(graph, r):
                sig = signature_of(graph, duty.tx, duty.index, pk)
                if sig is None:
                    problems.append(f"{duty.tx} input {duty.index}: no signature from {r} {pk.hex()[:16]}")
                elif not check_signature(graph, duty.tx, duty.index, pk, sig):
                    problems.append(f"{duty.tx} input {duty.index}: INVALID signature from {r} {pk.hex()[:16]}")
    return problems


def invalid_signatures(graph: Graph) -> list[str]:
    """Every stored signature that does not verify (whoever made it)."""
    known = {pk.hex() for r in ("committee", "operator", "depositor") for pk in signer_keys(graph, r)}
    problems = []
    for tx, per_input in graph.signatures.items():
        if tx not in graph.txs:
            problems.append(f"signature for unknown transaction {tx}")
            continue
        for index, sigs in per_input.items():
            if not 0 <= index < len(graph.txs[tx].spends):
                problems.append(f"{tx}: signature for input {index}, which does not exist")
                continue
            for pk_hex, sig_hex in sigs.items():
                if pk_hex not in known:
                    problems.append(f"{tx} input {index}: signature from unknown key {pk_hex[:16]}")
                elif not check_signature(graph, tx, index, bytes.fromhex(pk_hex), bytes.fromhex(sig_hex)):
                    problems.append(f"{tx} input {index}: INVALID signature from {pk_hex[:16]}")
    return problems


def presign(
    graph: Graph, key: RoleKey, on_progress: Callable[[int, int], None] | None = None
) -> tuple[Graph, int]:
    """Add ``key``'s signatures to every input it must sign in the ceremony.

    Returns the new graph and the number of signatures added.  The depositor's
    Confirm signature is refused until the committee and operator have signed
    everything (the graph is then complete and the vault is safe).
    """
    role = key.role
    if key.pubkey not in signer_keys(graph, role):
        raise UserError(f"{key} is not the graph's {role} key")
    if role == "depositor":
        gaps = missing_signatures(graph)
        if gaps:
            raise UserError(
                f"refusing to sign Confirm: the graph is not fully pre-signed ({len(gaps)} "
                f"signatures missing or invalid, first: {gaps[0]})"
            )
    todo = ceremony_duties(graph, role)
    sigs = {tx: {i: dict(s) for i, s in per.items()} for tx, per in graph.signatures.items()}
    added = 0
    for done, duty in enumerate(todo):
        if on_progress:
            on_progress(done, len(todo))
        gtx = graph.txs[duty.tx]
        msg = spend_sighash(graph, gtx, duty.index)
        secret = key.secret
        if duty.spend.leaf is None:
            sig = TaprootOutput(key.pubkey).key_path_sign(secret, msg, duty.spend.hash_type)
        else:
            sig = _with_type(schnorr_sign(secret, msg), duty.spend.hash_type)
        slot = sigs.setdefault(duty.tx, {}).setdefault(duty.index, {})
        if slot.get(key.pubkey.hex()) != sig.hex():
            added += 1
        slot[key.pubkey.hex()] = sig.hex()
    return replace(graph, signatures=sigs), added


def ceremony_duties(graph: Graph, role: str) -> list[Duty]:
    """What ``role`` signs in the ceremony (:func:`presign`): its pre-signed inputs
    and, for the depositor and the operator, the key-path spend of its own coin
    (Deposit, Prepare)."""
    todo = list(duties(graph, role))
    if role in ("depositor", "operator"):  # own funding spends
        todo += [d for d in duties(graph, role, presigned_only=False) if d.spend.leaf is None]
    return todo


@dataclass(frozen=True)
class SignatureIssue:
    """A signature the ceremony still needs (``missing``) or a stored one that does
    not verify or that no signer of that input could have made (``invalid``)."""

    tx: str
    index: int
    role: str  # "" for a key that is none of the graph's
    pubkey: str  # x-only hex, whole
    problem: str

    def __str__(self) -> str:
        who = f"{self.role} {self.pubkey}" if self.role else f"unknown key {self.pubkey}"
        return f"{self.tx} input {self.index}: {self.problem} signature of {who}"


def signature_issues(graph: Graph) -> list[SignatureIssue]:
    """Every signature the graph lacks before it is complete -- the committee's and
    operator's pre-signatures, the operator's Prepare and the depositor's Deposit
    and Confirm (:func:`ceremony_duties`) -- and every stored signature that does
    not verify (a valid signature made outside the ceremony, e.g. for Kickoff, is
    no issue)."""
    issues = []
    wanted = set()
    for role in ("committee", "operator", "depositor"):
        for duty in ceremony_duties(graph, role):
            for pk in signer_keys(graph, role):
                wanted.add((duty.tx, duty.index, pk.hex()))
                sig = signature_of(graph, duty.tx, duty.index, pk)
                if sig is None:
                    issues.append(SignatureIssue(duty.tx, duty.index, role, pk.hex(), "missing"))
                elif not check_signature(graph, duty.tx, duty.index, pk, sig):
                    issues.append(SignatureIssue(duty.tx, duty.index, role, pk.hex(), "invalid"))
    roles = {pk.hex(): r for r in ("committee", "operator", "depositor") for pk in signer_keys(graph, r)}
    for tx, per_input in graph.signatures.items():
        for index, sigs in per_input.items():
            for pk_hex, sig_hex in sigs.items():
                if (tx, index, pk_hex) in wanted:
                    continue
                role = roles.get(pk_hex, "")
                ok = (
                    tx in graph.txs
                    and 0 <= index < len(graph.txs[tx].spends)
                    and role in graph.txs[tx].spends[index].signers
                    and check_signature(graph, tx, index, bytes.fromhex(pk_hex), bytes.fromhex(sig_hex))
                )
                if not ok:
                    issues.append(SignatureIssue(tx, index, role, pk_hex, "invalid"))
    return issues
