"""Auditing a graph: what a committee member checks before signing.

Static checks need only ``graph.json`` (already rebuilt from its params when it
was loaded): no key path on any graph output, no ``OP_SUCCESS`` in any leaf,
outputs above dust, every pair of exclusive outcomes spending a common output,
timelocks in the order the windows promise, and the pre-signatures.

Dynamic checks (with the operator's key, for the honest trace) run every leaf in
the analysis interpreter (:mod:`taptrees.interp`) on the witness it will really
get, signatures taken as valid: the Kickoff and Assert leaves accept the honest
values, every Disprove leaf refuses them (``EVAL_FALSE``) and accepts a wrong
output, the committee leaves accept, and no leaf comes near the 1,000-item
stack limit.  Every transaction's weight with those witnesses is checked against
the standard 400,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocp.builder.claim import SLASH, TAKE1
from ocp.graph import MAX_STANDARD_TX_WEIGHT, P2TR_DUST, Graph, GraphOutput
from ocp.ids import TxKind, TxName
from ocp.leaves import DisproveLeaf, GraphLeaf, RevealLeaf
from ocp.ots import ValueSigner
from ocp.signing import invalid_signatures, missing_signatures
from taptrees.interp import run_tapscript
from taptrees.opcodes import OP_CHECKSEQUENCEVERIFY, OP_RETURN
from taptrees.script import decode_num
from taptrees.tree import NUMS_INTERNAL_KEY
from taptrees.tx import compact_size

MAX_STACK = 1_000
DUMMY_SIG = b"\x01" * 64  # well formed: the interpreter's analysis mode accepts it


@dataclass(frozen=True)
class Finding:
    ok: bool
    check: str
    subject: str
    message: str


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
    """The relative lock a leaf starts with (``<n> OP_CSV OP_DROP``), if any."""
    from taptrees.script import iter_ops

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


def _t(kind: TxKind, index: int | None = None) -> TxName:
    return TxName(kind, index)


EXCLUSIVE = [
    (_t(TxKind.TAKE1), _t(TxKind.CHALLENGE)),
    (_t(TxKind.CONFIRM), _t(TxKind.REFUND)),
]


def static_findings(graph: Graph) -> list[Finding]:
    out: list[Finding] = []
    for ref, g in graph.outputs.items():
        label = str(ref)
        key_ok = g.output.internal_key == NUMS_INTERNAL_KEY
        out.append(Finding(key_ok, "no key path", label,
                           "internal key is BIP341's unspendable H" if key_ok
                           else f"internal key {g.output.internal_key.hex()} can spend by key path"))  # fmt: skip
        tree = g.output.tree
        success = [leaf.name for leaf in tree.leaves if leaf.script.has_op_success()]
        out.append(Finding(not success, "no OP_SUCCESS", label,
                           "no leaf contains OP_SUCCESSx" if not success
                           else f"leaves {success} contain OP_SUCCESSx (anyone can spend)"))  # fmt: skip
    for name, gtx in graph.txs.items():
        for vout, o in enumerate(gtx.tx.outputs):
            if o.script_pubkey[:1] != bytes([OP_RETURN]) and o.value < P2TR_DUST:
                out.append(Finding(False, "dust", f"{name}:{vout}", f"{o.value} sat is below dust"))
    pairs = [*EXCLUSIVE, (_t(TxKind.TAKE1), _t(TxKind.ASSERT, 0)), (_t(TxKind.TAKE1), _t(TxKind.SLASH, 0))]
    pairs += [(_t(TxKind.ASSERT, j), _t(TxKind.SLASH, j)) for j in range(graph.n_chunks)]
    for i in range(graph.params.computation.n_steps):
        pairs.append((_t(TxKind.TAKE2), _t(TxKind.DISPROVE, i)))
    for a, b in pairs:
        shared = {str(i.prevout) for i in graph.tx(a).tx.inputs} & {
            str(i.prevout) for i in graph.tx(b).tx.inputs
        }
        out.append(Finding(bool(shared), "exclusive", f"{a} / {b}",
                           f"both spend {sorted(shared)[0]}" if shared else "no common input: both can happen"))  # fmt: skip
    w = graph.params.windows
    for j in range(graph.n_chunks):
        s, _ = graph.spend_leaf(graph.tx(_t(TxKind.ASSERT, j)).spends[0])
        locks = {leaf.name: _csv_of(leaf.script.raw) for leaf in s.leaves}
        ok = locks.get(SLASH) == w.response and (
            locks.get(TAKE1) == w.challenge < w.response if j == 0 else TAKE1 not in locks
        )
        out.append(Finding(ok, "windows", s.label,
                           f"Take1 after {locks.get(TAKE1)} blocks, Slash after {locks.get(SLASH)}"))  # fmt: skip
    for name, expect in ((_t(TxKind.TAKE1), w.challenge), (_t(TxKind.TAKE2), w.disprove)):
        seqs = {i.sequence for i in graph.tx(name).tx.inputs[1:]}
        out.append(Finding(seqs == {expect}, "windows", str(name), f"input sequences {sorted(seqs)} (want {expect})"))
    missing = missing_signatures(graph)
    invalid = invalid_signatures(graph)
    out.append(Finding(not invalid, "signatures", "graph",
                       "every stored signature verifies" if not invalid else f"{len(invalid)} invalid: {invalid[0]}"))  # fmt: skip
    out.append(Finding(not missing, "signatures", "graph",
                       "fully pre-signed" if not missing else f"{len(missing)} pre-signatures missing"))  # fmt: skip
    return out


def _dummy_sig(_role, _pubkey) -> bytes:
    return DUMMY_SIG


def dynamic_runs(graph: Graph, signer: ValueSigner) -> tuple[list[LeafRun], list[Finding]]:
    """Run every leaf on the witness it gets with the honest trace (and, for Disprove,
    with a wrong committed output too), signatures replaced by well-formed dummies
    (the analysis interpreter takes them as valid)."""
    program = graph.params.computation
    trace = program.trace()

    def values_for(leaf: GraphLeaf, wrong: bool = False) -> list[bytes]:
        """One-time-signature items the leaf verifies, for the honest trace (or with
        the disprove step's committed output wrong)."""
        if isinstance(leaf, RevealLeaf):
            return [x for i in leaf.indices for x in signer.sign(i, trace[i + 1])]
        if isinstance(leaf, DisproveLeaf):
            items: list[bytes] = []
            for i in leaf.value_indices:
                value = trace[i + 1] ^ (1 if wrong and i == leaf.step else 0)
                items += signer.sign(i, value)
            return items
        return []

    def run(out: GraphOutput, leaf: GraphLeaf, values: list[bytes]):
        stack = leaf.stack(_dummy_sig, values)
        r = run_tapscript(leaf.script, stack)
        return r, LeafRun(out.label, str(leaf.name), r.ok, r.error, r.peak_stack, leaf.script.size, len(stack))

    runs: list[LeafRun] = []
    findings: list[Finding] = []
    for out in graph.outputs.values():
        for leaf in out.leaves:
            r, lr = run(out, leaf, values_for(leaf))
            runs.append(lr)
            subject = f"{out.label} {leaf.name}"
            if not isinstance(leaf, DisproveLeaf):
                check = "honest leaf accepts" if isinstance(leaf, RevealLeaf) else "leaf accepts"
                findings.append(Finding(r.ok, check, subject, r.error or "ok"))
                continue
            findings.append(Finding(not r.ok and r.error == "EVAL_FALSE", "disprove refuses honest",
                                    subject, r.error or "ACCEPTED an honest step"))  # fmt: skip
            r, _ = run(out, leaf, values_for(leaf, wrong=True))
            findings.append(Finding(r.ok, "disprove accepts fraud", subject,
                                    "ok" if r.ok else f"refused a wrong output: {r.error}"))  # fmt: skip
    peak = max(r.peak_stack for r in runs)
    findings.append(Finding(peak < MAX_STACK, "stack", "all leaves", f"peak stack {peak} items (limit {MAX_STACK})"))
    for name, gtx in graph.txs.items():
        weight = len(gtx.tx.serialize(False)) * 4 + 2
        for spend in gtx.spends:
            if spend.leaf is None:
                weight += 1 + 1 + 65  # key path: one signature
                continue
            out, leaf = graph.spend_leaf(spend)
            items = out.witness(spend.leaf, leaf.stack(_dummy_sig, values_for(leaf)))
            weight += len(compact_size(len(items))) + sum(len(compact_size(len(x))) + len(x) for x in items)
        findings.append(Finding(weight <= MAX_STANDARD_TX_WEIGHT, "standard weight", str(name), f"{weight:,} WU"))
    return runs, findings


def dynamic_check_count(graph: Graph) -> int:
    """How many findings :func:`dynamic_runs` makes (what an audit without the
    operator key skips): one per leaf, two per Disprove leaf (honest refused,
    fraud accepted), the stack check, and one standard-weight check per transaction."""
    leaves = sum(
        2 if isinstance(leaf, DisproveLeaf) else 1
        for out in graph.outputs.values()
        for leaf in out.leaves
    )
    return leaves + 1 + len(graph.txs)
