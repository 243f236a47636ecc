"""The OCP transaction graph, version 1 (ARCHITECTURE.md section 4).

:func:`build_graph` turns :class:`~ocp.params.Params` and the operator's
Winternitz public keys into every transaction of the protocol, unsigned, with
the outputs each one spends.  The txids of everything the committee pre-signs
are fixed at build time: Deposit and Prepare spend key-path funding UTXOs, and
everything after them spends only graph outputs; transactions that a
challenger completes (Challenge, Slash, Disprove) are templates whose
pre-signed part is fixed by SIGHASH_SINGLE (| ANYONECANPAY).

Deviations from the architecture table, and why:

* **Prepare** (added): the operator's funding UTXO -> the claim output P, so
  that Kickoff spends P by its Winternitz-verified claim leaf and Kickoff's
  txid is fixed before pre-signing.
* **Kickoff's OP_RETURN** carries the graph id and a digest of the claim's
  Winternitz public key, not of the claim value: the value is revealed in
  Kickoff's witness, and the output must be fixed before pre-signing.
* **Split Assert**: when the trace does not fit one input (stack items,
  standard weight), Kickoff creates one stake output ``S_j`` per chunk and
  each ``Assert_j`` spends its own ``S_j``; Take1 needs every ``S_j``, each
  ``S_j`` has its own Slash, and Take2 needs every ``A_j``, so the outcomes stay
  exclusive.
* ``disprove_window`` counts from the Assert that created ``A_j``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ocp.errors import UserError
from ocp.leaves import (
    committed_values_leaf,
    committee_leaf,
    confirm_leaf,
    single_key_leaf,
)
from ocp.ots import ValueKeys, value_verifier
from ocp.params import Funding, Params
from ocp.stepscript import disprove_leaf
from taptrees.hashes import sha256, tagged_hash
from taptrees.opcodes import OP_RETURN
from taptrees.script import Script
from taptrees.sighash import SIGHASH_ANYONECANPAY, SIGHASH_DEFAULT, SIGHASH_SINGLE
from taptrees.tree import NUMS_INTERNAL_KEY, TapLeaf, TaprootOutput, TapTree
from taptrees.tx import OutPoint, Tx, TxIn, TxOut, compact_size

GRAPH_FORMAT = "ocp-graph/1"
#: Policy dust threshold of a P2TR output at Core's default dust relay fee.
P2TR_DUST = 330
CONNECTOR_AMOUNT = 1_000
#: Standardness limits the graph respects (policy.h).
MAX_STANDARD_TX_WEIGHT = 400_000
MAX_STACK_ITEMS = 1_000
#: Room left under MAX_STACK_ITEMS for what the verifiers push while they run.
STACK_HEADROOM = 100
#: Keep Assert transactions well below the standard weight.
ASSERT_WEIGHT_BUDGET = 300_000
SIGHASH_SINGLE_ACP = SIGHASH_SINGLE | SIGHASH_ANYONECANPAY


@dataclass(frozen=True)
class GraphOutput:
    """A taproot output of the graph with its named leaves."""

    label: str
    output: TaprootOutput
    leaf_names: tuple[str, ...]

    def leaf_index(self, name: str) -> int:
        try:
            return self.leaf_names.index(name)
        except ValueError:
            raise UserError(f"output {self.label} has no leaf {name!r}") from None


@dataclass(frozen=True)
class InputSpend:
    """How one input is spent: which graph output, by which leaf, signed by whom."""

    source: str  # "Tx:vout" of a graph output, or "funding:<role>"
    leaf: str | None  # None for a key-path spend
    signers: tuple[str, ...]  # roles whose signatures the witness needs
    hash_type: int = SIGHASH_DEFAULT
    presigned: bool = False  # signed in the ceremony (committee/operator), before Confirm


@dataclass(frozen=True)
class GraphTx:
    name: str
    role: str  # who broadcasts it
    purpose: str
    tx: Tx
    spends: tuple[InputSpend, ...]
    spent: tuple[TxOut, ...]
    template: bool = False  # completed by a challenger (extra inputs/outputs)

    @property
    def txid(self) -> str:
        return self.tx.txid


@dataclass(frozen=True)
class Graph:
    params: Params
    graph_id: bytes
    ots: ValueKeys
    txs: dict[str, GraphTx]
    outputs: dict[str, GraphOutput]  # by "Tx:vout"
    chunks: tuple[tuple[int, ...], ...]  # value indices revealed by each Assert_j
    signatures: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)

    def tx(self, name: str) -> GraphTx:
        try:
            return self.txs[name]
        except KeyError:
            raise UserError(f"graph has no transaction {name!r}") from None

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)


def graph_id_of(params: Params) -> bytes:
    canonical = json.dumps(params.to_json(), sort_keys=True, separators=(",", ":"))
    return tagged_hash("ocp/graph-id", canonical.encode())


def _tr(tree_leaves: Sequence[tuple[str, Script]], weights: Sequence[float] | None = None):
    leaves = [TapLeaf(script, name=name) for name, script in tree_leaves]
    tree = TapTree.huffman(leaves, weights) if weights else TapTree.balanced(leaves)
    # leaf order in the tree may differ from the input order (Huffman); name by tree order
    names = tuple(leaf.name for leaf in tree.leaves)
    return TaprootOutput(NUMS_INTERNAL_KEY, tree), names


def _fee(weight: int, fee_rate: float) -> int:
    return int(-(-weight * fee_rate // 4)) + 1


def _witness_weight(items: Sequence[int]) -> int:
    """Bytes of one input's witness with items of the given sizes (1 WU each)."""
    return len(compact_size(len(items))) + sum(len(compact_size(n)) + n for n in items)


def build_graph(params: Params, ots: ValueKeys) -> Graph:
    """Every transaction of the protocol, unsigned, from params and the operator's
    Winternitz public keys (one per trace value; the last is the claim)."""
    dep_funding, op_funding = params.require_funding()
    program = params.computation
    n = program.n_steps
    if ots.n_values != n:
        raise UserError(f"operator one-time keys cover {ots.n_values} values, program has {n} steps")
    committee, operator, depositor = params.committee, params.operator, params.depositor
    w = params.windows
    gid = graph_id_of(params)
    outputs: dict[str, GraphOutput] = {}
    txs: dict[str, GraphTx] = {}
    n_sig = 65  # upper bound of a BIP340 signature with hash type

    def add_output(label: str, leaves, weights=None) -> GraphOutput:
        out, names = _tr(leaves, weights)
        return GraphOutput(label, out, names)

    def control_size(g: GraphOutput, leaf: str) -> int:
        return len(g.output.control_block(g.leaf_index(leaf)))

    def leaf_script(g: GraphOutput, leaf: str) -> bytes:
        return g.output.leaf(g.leaf_index(leaf)).script.raw

    def spend_weight(g: GraphOutput, leaf: str, stack_sizes: Sequence[int]) -> int:
        return _witness_weight(
            [*stack_sizes, len(leaf_script(g, leaf)), control_size(g, leaf)]
        )

    def register(gtx: GraphTx) -> None:
        txs[gtx.name] = gtx
        for vout, _ in enumerate(gtx.tx.outputs):
            label = f"{gtx.name}:{vout}"
            if label in pending:
                g = pending.pop(label)
                outputs[label] = g

    pending: dict[str, GraphOutput] = {}

    # ---- Deposit: depositor funding -> D (confirm | refund) [+ change] ----------------
    d_out = add_output(
        "D",
        [
            ("confirm", confirm_leaf(committee, depositor)),
            ("refund", single_key_leaf(depositor, w.refund)),
        ],
    )
    depositor_spk = TaprootOutput(depositor).script_pubkey
    operator_spk = TaprootOutput(operator).script_pubkey
    pending["Deposit:0"] = d_out
    deposit = _funded_tx(
        "Deposit", "depositor", "moves the deposit under the committee, with a refund path",
        dep_funding, depositor_spk, TxOut(params.deposit_amount, d_out.output.script_pubkey),
        params.fee_rate, "amounts.deposit",
    )  # fmt: skip
    register(deposit)

    # ---- Confirm: D -> V (vault, n-of-n only) ----------------------------------------------
    v_out = add_output("V", [("payout", committee_leaf(committee))])
    confirm_ww = spend_weight(d_out, "confirm", [n_sig] * (len(committee) + 1))
    base = Tx(2, (TxIn(deposit.tx.outpoint(0)),), (TxOut(0, v_out.output.script_pubkey),))
    fee = _fee(len(base.serialize(False)) * 4 + 2 + confirm_ww, params.fee_rate)
    vault_amount = params.deposit_amount - fee
    pending["Confirm:0"] = v_out
    confirm = GraphTx(
        "Confirm", "committee", "locks the deposit in the refund-free vault",
        Tx(2, (TxIn(deposit.tx.outpoint(0)),), (TxOut(vault_amount, v_out.output.script_pubkey),)),
        (InputSpend("Deposit:0", "confirm", ("committee", "depositor"), presigned=True),),
        (deposit.tx.outputs[0],),
    )  # fmt: skip
    register(confirm)

    # ---- trace values: Kickoff reveals the claim (last value), Assert_j the rest ----------
    claim_index = n - 1  # value i is x[i+1]; value n-1 is the claim x[n]
    verifier_sizes = ots.witness_sizes()
    chunks = _chunk(list(range(n - 1)), ots, n_sig)
    k = len(chunks)

    # ---- outputs created by Kickoff --------------------------------------------------------
    c_out = add_output(
        "C",
        [
            ("challenge", single_key_leaf(operator)),
            ("take1", committee_leaf(committee, w.challenge)),
        ],
    )
    s_outs = []
    for j, chunk in enumerate(chunks):
        s_outs.append(
            add_output(
                f"S{j}",
                [
                    ("assert", committed_values_leaf([value_verifier(ots, i) for i in chunk], operator)),
                    ("take1", committee_leaf(committee, w.challenge)),
                    ("slash", committee_leaf(committee, w.response)),
                ],
            )
        )
    claim_digest = sha256(ots.public_json_bytes(claim_index))
    op_return = Script([OP_RETURN, gid + claim_digest]).raw

    # Kickoff fee first, then Prepare creates P large enough to pay it.
    p_out = add_output(
        "P", [("kickoff", committed_values_leaf([value_verifier(ots, claim_index)], operator))]
    )
    stake_parts = _split(params.operator_stake, k)
    kickoff_outs = [TxOut(CONNECTOR_AMOUNT, c_out.output.script_pubkey)]
    kickoff_outs += [TxOut(v, g.output.script_pubkey) for v, g in zip(stake_parts, s_outs, strict=True)]
    kickoff_outs.append(TxOut(0, op_return))
    kickoff_draft = Tx(2, (TxIn(OutPoint("00" * 32, 0)),), tuple(kickoff_outs))
    kickoff_ww = spend_weight(p_out, "kickoff", [n_sig, *verifier_sizes[claim_index]])
    kickoff_fee = _fee(len(kickoff_draft.serialize(False)) * 4 + 2 + kickoff_ww, params.fee_rate)
    p_amount = CONNECTOR_AMOUNT + params.operator_stake + kickoff_fee

    # ---- Prepare: operator funding -> P [+ change] -----------------------------------------
    pending["Prepare:0"] = p_out
    prepare = _funded_tx(
        "Prepare", "operator", "funds the claim output P with the stake",
        op_funding, operator_spk, TxOut(p_amount, p_out.output.script_pubkey),
        params.fee_rate, "the stake, connector and Kickoff fee",
    )  # fmt: skip
    register(prepare)

    # ---- Kickoff: P -> C, S_j..., OP_RETURN ---------------------------------------------------
    pending["Kickoff:0"] = c_out
    for j, g in enumerate(s_outs):
        pending[f"Kickoff:{j + 1}"] = g
    kickoff = GraphTx(
        "Kickoff", "operator", "claims the result (Winternitz-signed) and posts the stake",
        Tx(2, (TxIn(prepare.tx.outpoint(0)),), tuple(kickoff_outs)),
        (InputSpend("Prepare:0", "kickoff", ("operator",)),),
        (prepare.tx.outputs[0],),
    )  # fmt: skip
    register(kickoff)

    # ---- Challenge template: C (operator SINGLE|ACP) -> fee to operator -------------------
    challenge = GraphTx(
        "Challenge", "challenger", "disputes the claim; the challenger adds inputs and change",
        Tx(2, (TxIn(kickoff.tx.outpoint(0)),), (TxOut(params.challenge_fee, operator_spk),)),
        (InputSpend("Kickoff:0", "challenge", ("operator",), SIGHASH_SINGLE_ACP, presigned=True),),
        (kickoff.tx.outputs[0],),
        template=True,
    )  # fmt: skip
    register(challenge)

    # ---- Assert_j: S_j -> A_j ------------------------------------------------------------------
    a_outs = []
    for j, chunk in enumerate(chunks):
        steps = _steps_of_chunk(j, chunks)
        leaves = [("take2", committee_leaf(committee, w.disprove))]
        leaves += [(f"disprove{i}", disprove_leaf(committee, ots, program, i)) for i in steps]
        # Take2 is the expected spend; disproves are rare
        weights = [len(leaves)] + [1] * (len(leaves) - 1)
        a_outs.append(add_output(f"A{j}", leaves, weights))
        s_prev = kickoff.tx.outpoint(j + 1)
        sizes = [n_sig] + [s for i in chunk for s in verifier_sizes[i]]
        ww = spend_weight(s_outs[j], "assert", sizes)
        draft = Tx(2, (TxIn(s_prev),), (TxOut(0, a_outs[j].output.script_pubkey),))
        weight = len(draft.serialize(False)) * 4 + 2 + ww
        if weight > MAX_STANDARD_TX_WEIGHT:
            raise UserError(f"Assert_{j} would weigh {weight} WU, above the standard 400000")
        fee = _fee(weight, params.fee_rate)
        a_amount = stake_parts[j] - fee
        if a_amount < 2 * P2TR_DUST:
            raise UserError(
                f"amounts.operator_stake is too small: Assert_{j} fee {fee} leaves {a_amount} sat"
            )
        pending[f"Assert_{j}:0"] = a_outs[j]
        register(
            GraphTx(
                f"Assert_{j}", "operator",
                f"reveals trace values {', '.join(f'x{i + 1}' for i in chunk) or '(none)'}",
                Tx(2, (TxIn(s_prev),), (TxOut(a_amount, a_outs[j].output.script_pubkey),)),
                (InputSpend(f"Kickoff:{j + 1}", "assert", ("operator",)),),
                (kickoff.tx.outputs[j + 1],),
            )
        )  # fmt: skip

    # ---- Take1: V + C + S_* after challenge_window ---------------------------------------------
    committee_sigs = [n_sig] * len(committee)
    t1_inputs = [TxIn(confirm.tx.outpoint(0)), TxIn(kickoff.tx.outpoint(0), sequence=w.challenge)]
    t1_inputs += [TxIn(kickoff.tx.outpoint(j + 1), sequence=w.challenge) for j in range(k)]
    t1_spent = [confirm.tx.outputs[0], kickoff.tx.outputs[0]]
    t1_spent += [kickoff.tx.outputs[j + 1] for j in range(k)]
    ww = spend_weight(v_out, "payout", committee_sigs) + spend_weight(c_out, "take1", committee_sigs)
    ww += sum(spend_weight(s_outs[j], "take1", committee_sigs) for j in range(k))
    total = sum(o.value for o in t1_spent)
    draft = Tx(2, tuple(t1_inputs), (TxOut(total, operator_spk),))
    fee = _fee(len(draft.serialize(False)) * 4 + 2 + ww, params.fee_rate)
    spends = [InputSpend("Confirm:0", "payout", ("committee",), presigned=True),
              InputSpend("Kickoff:0", "take1", ("committee",), presigned=True)]  # fmt: skip
    spends += [InputSpend(f"Kickoff:{j + 1}", "take1", ("committee",), presigned=True) for j in range(k)]
    register(
        GraphTx(
            "Take1", "operator", "pays the unchallenged operator: deposit and stake back",
            Tx(2, tuple(t1_inputs), (TxOut(total - fee, operator_spk),)),
            tuple(spends), tuple(t1_spent),
        )
    )  # fmt: skip

    # ---- Take2: V + A_* after disprove_window ------------------------------------------------
    asserts = [txs[f"Assert_{j}"] for j in range(k)]
    t2_inputs = [TxIn(confirm.tx.outpoint(0))]
    t2_inputs += [TxIn(a.tx.outpoint(0), sequence=w.disprove) for a in asserts]
    t2_spent = [confirm.tx.outputs[0]] + [a.tx.outputs[0] for a in asserts]
    ww = spend_weight(v_out, "payout", committee_sigs)
    ww += sum(spend_weight(a_outs[j], "take2", committee_sigs) for j in range(k))
    total = sum(o.value for o in t2_spent)
    draft = Tx(2, tuple(t2_inputs), (TxOut(total, operator_spk),))
    fee = _fee(len(draft.serialize(False)) * 4 + 2 + ww, params.fee_rate)
    spends = [InputSpend("Confirm:0", "payout", ("committee",), presigned=True)]
    spends += [InputSpend(f"Assert_{j}:0", "take2", ("committee",), presigned=True) for j in range(k)]
    register(
        GraphTx(
            "Take2", "operator", "pays the operator whose Assert stood through the disprove window",
            Tx(2, tuple(t2_inputs), (TxOut(total - fee, operator_spk),)),
            tuple(spends), tuple(t2_spent),
        )
    )  # fmt: skip

    # ---- Slash_j: S_j after response_window -> burn (+ challenger reward) -----------------
    burn_spk = Script([OP_RETURN, b"ocp:burn"]).raw
    for j in range(k):
        s = kickoff.tx.outputs[j + 1]
        register(
            GraphTx(
                f"Slash_{j}", "challenger", "punishes a silent operator: burn, and the rest to the challenger",
                Tx(2, (TxIn(kickoff.tx.outpoint(j + 1), sequence=w.response),), (TxOut(s.value // 2, burn_spk),)),
                (InputSpend(f"Kickoff:{j + 1}", "slash", ("committee",), SIGHASH_SINGLE, presigned=True),),
                (s,), template=True,
            )
        )  # fmt: skip

    # ---- Disprove_i: A_j via leaf i -> burn (+ challenger reward) ---------------------------
    for i in range(n):
        j = _chunk_of_step(i, chunks)
        a = asserts[j]
        register(
            GraphTx(
                f"Disprove_{i}", "challenger", f"proves step {i} wrong: x{i + 1} != step{i}(x{i})",
                Tx(2, (TxIn(a.tx.outpoint(0)),), (TxOut(a.tx.outputs[0].value // 2, burn_spk),)),
                (InputSpend(f"Assert_{j}:0", f"disprove{i}", ("committee",), SIGHASH_SINGLE, presigned=True),),
                (a.tx.outputs[0],), template=True,
            )
        )  # fmt: skip

    # ---- Refund: D after refund_timeout -------------------------------------------------------
    d_value = deposit.tx.outputs[0].value
    draft = Tx(2, (TxIn(deposit.tx.outpoint(0), sequence=w.refund),), (TxOut(d_value, depositor_spk),))
    fee = _fee(len(draft.serialize(False)) * 4 + 2 + spend_weight(d_out, "refund", [n_sig]), params.fee_rate)
    register(
        GraphTx(
            "Refund", "depositor", "returns the deposit if the committee never confirmed it",
            Tx(2, (TxIn(deposit.tx.outpoint(0), sequence=w.refund),), (TxOut(d_value - fee, depositor_spk),)),
            (InputSpend("Deposit:0", "refund", ("depositor",)),),
            (deposit.tx.outputs[0],),
        )
    )  # fmt: skip
    if pending:
        raise AssertionError(f"outputs never attached: {sorted(pending)}")
    _check_outputs(txs)
    return Graph(params, gid, ots, txs, outputs, tuple(tuple(c) for c in chunks))


def _funded_tx(
    name: str, role: str, purpose: str, funding: Funding, owner_spk: bytes, pay: TxOut,
    fee_rate: float, what: str,
) -> GraphTx:  # fmt: skip
    """A role's key-path coin -> ``pay`` plus change back to the role (if above dust)."""
    txin = TxIn(funding.outpoint)
    draft = Tx(2, (txin,), (pay, TxOut(0, owner_spk)))
    fee = _fee(len(draft.serialize(False)) * 4 + 2 + _witness_weight([64]), fee_rate)
    change = funding.amount - pay.value - fee
    if change < 0:
        raise UserError(
            f"funding.{role} ({funding.amount} sat) does not cover {what} "
            f"({pay.value} sat) plus the {name} fee ({fee} sat)"
        )
    outs = (pay, TxOut(change, owner_spk)) if change >= P2TR_DUST else (pay,)
    return GraphTx(
        name, role, purpose, Tx(2, (txin,), outs),
        (InputSpend(f"funding:{role}", None, (role,)),),
        (TxOut(funding.amount, owner_spk),),
    )  # fmt: skip


def _split(total: int, parts: int) -> list[int]:
    base = total // parts
    return [base + (1 if i < total % parts else 0) for i in range(parts)]


def _chunk(revealed: list[int], ots: ValueKeys, n_sig: int) -> list[list[int]]:
    """Split the revealed values into Assert chunks that respect the 1,000-item
    stack limit and the Assert weight budget (script + witness per value)."""
    sizes = ots.witness_sizes()
    chunks: list[list[int]] = [[]]
    items, weight = 1, n_sig + 200
    for i in revealed:
        v_items = len(sizes[i])
        v_weight = sum(sizes[i]) + len(sizes[i]) + len(value_verifier(ots, i).raw)
        if chunks[-1] and (items + v_items > MAX_STACK_ITEMS - STACK_HEADROOM or weight + v_weight > ASSERT_WEIGHT_BUDGET):
            chunks.append([])
            items, weight = 1, n_sig + 200
        chunks[-1].append(i)
        items += v_items
        weight += v_weight
    return chunks


def _chunk_of_step(step: int, chunks: Sequence[Sequence[int]]) -> int:
    """Disprove leaf of step i lives on the A output of the chunk revealing x[i+1]
    (value index i); the claim's step (i = n-1) goes with the last chunk."""
    for j, chunk in enumerate(chunks):
        if step in chunk:
            return j
    return len(chunks) - 1


def _steps_of_chunk(j: int, chunks: Sequence[Sequence[int]]) -> list[int]:
    n = sum(len(c) for c in chunks) + 1  # every value but the claim is in a chunk
    return [i for i in range(n) if _chunk_of_step(i, chunks) == j]


def _check_outputs(txs: dict[str, GraphTx]) -> None:
    for g in txs.values():
        for vout, out in enumerate(g.tx.outputs):
            if out.script_pubkey[:1] != bytes([OP_RETURN]) and out.value < P2TR_DUST:
                raise UserError(f"{g.name} output {vout} ({out.value} sat) is below dust")
        if not g.template and sum(o.value for o in g.spent) < sum(o.value for o in g.tx.outputs):
            raise UserError(f"{g.name} spends less than it pays")
