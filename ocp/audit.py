"""Auditing a graph: what a committee member checks before signing.

Static checks need only ``graph.json`` (already rebuilt from its params when it
was loaded): no key path on any protocol output, no ``OP_SUCCESS`` in any leaf,
the soundness rules of :mod:`ocp.rules` (covenant, windows, punishing fees,
challenge fee, stack, amounts), every pair of exclusive outcomes spending a
common output, timelocks in the order the windows promise, outputs that pay
only protocol outputs, burns or the roles' own keys, and the pre-signatures.

Dynamic checks (with an operator's key, for its honest trace) run every leaf of
that operator's outputs in the analysis interpreter (:mod:`taptrees.interp`) on
the witness it will really get, signatures taken as valid: the Kickoff and
Assert leaves accept the honest values, every Disprove leaf refuses them
(``EVAL_FALSE``) and accepts a wrong output, the key leaves accept, and no leaf
comes near the 1,000-item stack limit.  Every transaction's weight with those
witnesses is checked against the standard 400,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.builder.claim import SLASH, TAKE1
from ocp.graph import MAX_STANDARD_TX_WEIGHT, Graph, GraphOutput
from ocp.ids import OutputRef, TxKind, TxName
from ocp.leaves import DisproveLeaf, GraphLeaf, RevealLeaf
from ocp.ots import ValueSigner
from ocp.rules import Finding, graph_rules
from ocp.signing import invalid_signatures, missing_signatures
from taptrees.interp import run_tapscript
from taptrees.opcodes import OP_CHECKSEQUENCEVERIFY, OP_RETURN
from taptrees.script import decode_num, iter_ops
from taptrees.tree import NUMS_INTERNAL_KEY, TaprootOutput
from taptrees.tx import compact_size

__all__ = ["Finding", "LeafRun", "dynamic_runs", "static_findings"]

MAX_STACK = 1_000
DUMMY_SIG = b"\x01" * 64  # well formed: the interpreter's analysis mode accepts it


@dataclass(frozen=True)
class LeafRun:
    output: str
    leaf: str
    ok: bool
    error: str | None
    peak_stack: int
    script_bytes: int
    witness_items: int


def _csv_of(script_raw: bytes) -> int | None:
    """The relative lock a leaf starts with (``<n> OP_CSV ...``), if any."""
    ops = []
    for op in iter_ops(script_raw):
        ops.append(op)
        if len(ops) == 2:
            break
    if len(ops) == 2 and ops[1].opcode == OP_CHECKSEQUENCEVERIFY:
        first = ops[0]
        if first.data is not None:
            return decode_num(first.data, 5)
        if 0x51 <= first.opcode <= 0x60:
            return first.opcode - 0x50
    return None


def _exclusive_pairs(graph: Graph) -> list[tuple[TxName, TxName]]:
    pairs = [(TxName(TxKind.CONFIRM), TxName(TxKind.REFUND))]
    takes = [n for n in graph.txs if n.kind in (TxKind.TAKE1, TxKind.TAKE2)]
    pairs += [(a, b) for i, a in enumerate(takes) for b in takes[i + 1 :]]  # one vault, one Take
    for op in sorted({n.operator for n in graph.txs if n.kind is TxKind.KICKOFF}, key=lambda o: o or 0):

        def t(kind: TxKind, index: int | None = None, op=op) -> TxName:
            return TxName(kind, index, op)

        pairs += [
            (t(TxKind.TAKE1), t(TxKind.CHALLENGE)),
            (t(TxKind.TAKE1), t(TxKind.ASSERT, 0)),
            (t(TxKind.TAKE1), t(TxKind.SLASH, 0)),
            (t(TxKind.TAKE1), t(TxKind.STAKEBACK1)),
            (t(TxKind.TAKE2), t(TxKind.STAKEBACK2)),
        ]
        pairs += [(t(TxKind.ASSERT, j), t(TxKind.SLASH, j)) for j in range(graph.n_chunks)]
        pairs += [(t(TxKind.TAKE2), t(TxKind.DISPROVE, i)) for i in range(graph.params.computation.n_steps)]
    return pairs


def static_findings(graph: Graph) -> list[Finding]:
    """Every check that needs only the graph (a version-2 graph's exclusive outcomes
    and windows: :mod:`ocp.gameaudit`)."""
    from ocp.gameaudit import game_exclusive_pairs, game_window_findings

    games = graph.game_keys is not None
    out: list[Finding] = []
    for ref, g in graph.outputs.items():
        label = f"{g.label} ({ref})"
        key_ok = g.output.internal_key == NUMS_INTERNAL_KEY
        out.append(
            Finding(
                key_ok,
                "no key path",
                label,
                "internal key is BIP341's unspendable H"
                if key_ok
                else f"internal key {g.output.internal_key.hex()} can spend by key path",
            )
        )
        success = [str(leaf.name) for leaf in g.leaves if g.tapleaf(leaf.name).script.has_op_success()]
        out.append(
            Finding(
                not success,
                "no OP_SUCCESS",
                label,
                "no leaf contains OP_SUCCESSx"
                if not success
                else f"leaves {success} contain OP_SUCCESSx (anyone can spend)",
            )
        )
    out += graph_rules(graph.params, graph.txs, graph.outputs, graph.n_chunks)
    out += _payment_findings(graph)
    for a, b in game_exclusive_pairs(graph) if games else _exclusive_pairs(graph):
        absent = [str(n) for n in (a, b) if n not in graph.txs]
        if absent:
            out.append(Finding(False, "exclusive", f"{a} / {b}", f"the graph has no {absent[0]}"))
            continue
        shared = {i.prevout for i in graph.tx(a).tx.inputs} & {i.prevout for i in graph.tx(b).tx.inputs}
        out.append(
            Finding(
                bool(shared),
                "exclusive",
                f"{a} / {b}",
                f"both spend {min(map(str, shared))}" if shared else "no common input: both can happen",
            )
        )
    out += game_window_findings(graph) if games else _window_findings(graph)
    missing = missing_signatures(graph)
    invalid = invalid_signatures(graph)
    out.append(
        Finding(
            not invalid,
            "signatures",
            "graph",
            "every stored signature verifies" if not invalid else f"{len(invalid)} invalid: {invalid[0]}",
        )
    )
    out.append(
        Finding(
            not missing,
            "signatures",
            "graph",
            "fully pre-signed" if not missing else f"{len(missing)} pre-signatures missing",
        )
    )
    return out


def _payment_findings(graph: Graph) -> list[Finding]:
    """Every output of a pre-signed transaction is a protocol output, a burn or a
    payment to one of the roles' own keys (a registered challenger's included)."""
    p = graph.params
    own = {TaprootOutput(k).script_pubkey for k in (*p.operators, p.depositor, *p.challengers)}
    out = []
    for name, gtx in graph.txs.items():
        for vout, o in enumerate(gtx.tx.outputs):
            if OutputRef(name, vout) in graph.outputs or o.script_pubkey[:1] == bytes([OP_RETURN]):
                continue
            if o.script_pubkey not in own:
                out.append(
                    Finding(False, "payments", f"{name}:{vout}", f"{o.value} sat to a script that is no role's key")
                )
    return out


def _window_findings(graph: Graph) -> list[Finding]:
    w = graph.params.windows
    out = []
    for name, gtx in graph.txs.items():
        if name.kind is not TxKind.ASSERT:
            continue
        s, _ = graph.spend_leaf(gtx.spends[0])
        locks = {leaf.name: _csv_of(s.tapleaf(leaf.name).script.raw) for leaf in s.leaves}
        ok = locks.get(SLASH) == w.response and (
            locks.get(TAKE1) == w.challenge < w.response if name.index == 0 else TAKE1 not in locks
        )
        out.append(
            Finding(ok, "windows", s.label, f"Take1 after {locks.get(TAKE1)} blocks, Slash after {locks.get(SLASH)}")
        )
    for name, gtx in graph.txs.items():
        expect = {TxKind.TAKE1: w.challenge, TxKind.TAKE2: w.disprove}.get(name.kind)
        if expect is None:
            continue
        seqs = {i.sequence for i in gtx.tx.inputs[1:]}
        out.append(Finding(seqs == {expect}, "windows", str(name), f"input sequences {sorted(seqs)} (want {expect})"))
    return out


def _dummy_sig(_role, _pubkey) -> bytes:
    return DUMMY_SIG


def dynamic_runs(graph: Graph, signers: Mapping[int, ValueSigner]) -> tuple[list[LeafRun], list[Finding]]:
    """Run every leaf on the witness it gets with the honest trace (and, for Disprove,
    with a wrong committed output too), signatures replaced by well-formed dummies
    (the analysis interpreter takes them as valid).  Leaves that verify one-time
    signatures run only for the operators in ``signers`` (operator index -> its
    one-time signer); :func:`dynamic_skipped` counts the checks left out."""
    trace = graph.params.computation.trace()
    by_keys = {id(graph.ots[k]): s for k, s in signers.items()}

    def signer_of(leaf: GraphLeaf) -> ValueSigner | None:
        return by_keys.get(id(leaf.keys)) if isinstance(leaf, RevealLeaf | DisproveLeaf) else None

    def values_for(leaf: GraphLeaf, signer: ValueSigner | None, wrong: bool = False) -> list[bytes]:
        """One-time-signature items the leaf verifies, for the honest trace (or with
        the disprove step's committed output wrong)."""
        if signer is None:
            return []
        if isinstance(leaf, RevealLeaf):
            return [x for i in leaf.indices for x in signer.sign(i, trace[i + 1])]
        if isinstance(leaf, DisproveLeaf):
            items: list[bytes] = []
            for i in leaf.value_indices:
                value = trace[i + 1] ^ (1 if wrong and i == leaf.step else 0)
                items += signer.sign(i, value)
            return items
        return []

    def operator_leaf(leaf: GraphLeaf) -> bool:
        return isinstance(leaf, RevealLeaf | DisproveLeaf)

    def run(out: GraphOutput, leaf: GraphLeaf, values: list[bytes]):
        stack = leaf.stack(_dummy_sig, values)
        r = run_tapscript(leaf.script, stack)
        return r, LeafRun(out.label, str(leaf.name), r.ok, r.error, r.peak_stack, leaf.script.size, len(stack))

    runs: list[LeafRun] = []
    findings: list[Finding] = []
    for out in graph.outputs.values():
        for leaf in out.leaves:
            signer = signer_of(leaf)
            if operator_leaf(leaf) and signer is None:
                continue
            r, lr = run(out, leaf, values_for(leaf, signer))
            runs.append(lr)
            subject = f"{out.label} {leaf.name}"
            if not isinstance(leaf, DisproveLeaf):
                check = "honest leaf accepts" if isinstance(leaf, RevealLeaf) else "leaf accepts"
                findings.append(Finding(r.ok, check, subject, r.error or "ok"))
                continue
            findings.append(
                Finding(
                    not r.ok and r.error == "EVAL_FALSE",
                    "disprove refuses honest",
                    subject,
                    r.error or "ACCEPTED an honest step",
                )
            )
            r, _ = run(out, leaf, values_for(leaf, signer, wrong=True))
            findings.append(
                Finding(r.ok, "disprove accepts fraud", subject, "ok" if r.ok else f"refused a wrong output: {r.error}")
            )
    if runs:
        peak = max(r.peak_stack for r in runs)
        findings.append(
            Finding(peak < MAX_STACK, "stack", "all leaves run", f"peak stack {peak} items (limit {MAX_STACK})")
        )
    for name, gtx in graph.txs.items():
        weight = len(gtx.tx.serialize(False)) * 4 + 2
        skipped = False
        for spend in gtx.spends:
            if spend.leaf is None:
                weight += 1 + 1 + 65  # key path: one signature
                continue
            out, leaf = graph.spend_leaf(spend)
            signer = signer_of(leaf)
            if operator_leaf(leaf) and signer is None:
                skipped = True
                break
            items = out.witness(spend.leaf, leaf.stack(_dummy_sig, values_for(leaf, signer)))
            weight += len(compact_size(len(items))) + sum(len(compact_size(len(x))) + len(x) for x in items)
        if not skipped:
            findings.append(Finding(weight <= MAX_STANDARD_TX_WEIGHT, "standard weight", str(name), f"{weight:,} WU"))
    return runs, findings


def dynamic_skipped(graph: Graph, signers: Mapping[int, ValueSigner]) -> int:
    """How many findings :func:`dynamic_runs` leaves out without the other operators'
    keys: one per one-time-signature leaf (two per Disprove: honest refused, fraud
    accepted) and the standard-weight check of each transaction spending one."""
    known = {id(graph.ots[k]) for k in signers}

    def unknown(leaf: GraphLeaf) -> bool:
        return isinstance(leaf, RevealLeaf | DisproveLeaf) and id(leaf.keys) not in known

    leaves = sum(
        2 if isinstance(leaf, DisproveLeaf) else 1
        for out in graph.outputs.values()
        for leaf in out.leaves
        if unknown(leaf)
    )
    txs = sum(
        1
        for gtx in graph.txs.values()
        if any(s.leaf is not None and unknown(graph.spend_leaf(s)[1]) for s in gtx.spends)
    )
    return leaves + txs
