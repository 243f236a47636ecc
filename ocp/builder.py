"""Building the OCP transaction graph, version 1 (ARCHITECTURE.md section 4).

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
* **Assert chain**: when the trace does not fit one input (stack items,
  standard weight), the stake moves through a chain ``S0 -> Assert_0 -> S1 ->
  ... -> Assert_{k-1} -> A``, each Assert revealing one chunk of values.  Every
  ``S_j`` can be slashed after ``response_window`` (counted from its creation),
  Take1 needs ``S0``, Take2 and every Disprove need ``A``, which carries the
  whole remaining stake, so the outcomes stay exclusive.
* ``disprove_window`` counts from the last Assert, which created ``A``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocp.errors import UserError
from ocp.graph import (
    ASSERT_WEIGHT_BUDGET,
    CONNECTOR_AMOUNT,
    MAX_STACK_ITEMS,
    MAX_STANDARD_TX_WEIGHT,
    P2TR_DUST,
    SIGHASH_SINGLE_ACP,
    STACK_HEADROOM,
    Graph,
    GraphOutput,
    GraphTx,
    InputSpend,
    graph_id_of,
)
from ocp.leaves import (
    committed_values_leaf,
    committee_leaf,
    confirm_leaf,
    single_key_leaf,
)
from ocp.ots import ValueKeys, value_verifier
from ocp.params import Funding, Params
from ocp.stepscript import disprove_leaf
from taptrees.hashes import sha256
from taptrees.opcodes import OP_RETURN
from taptrees.script import Script
from taptrees.sighash import SIGHASH_SINGLE
from taptrees.tree import NUMS_INTERNAL_KEY, TapLeaf, TaprootOutput, TapTree
from taptrees.tx import OutPoint, Tx, TxIn, TxOut, compact_size


def _tr(tree_leaves: Sequence[tuple[str, Script]], weights: Sequence[float] | None = None):
    leaves = [TapLeaf(script, name=name) for name, script in tree_leaves]
    tree = TapTree.huffman(leaves, weights) if weights else TapTree.balanced(leaves)
    # leaf order in the tree may differ from the input order (Huffman); name by tree order
    names = tuple(leaf.name for leaf in tree.leaves)
    return TaprootOutput(NUMS_INTERNAL_KEY, tree), names


def _fee(weight: int, fee_rate: float) -> int:
    return int(-(-weight * fee_rate // 4)) + 1


def _weight(draft: Tx, witness_weight: int) -> int:
    """BIP141 weight of ``draft`` once its inputs carry ``witness_weight`` bytes of
    witness (plus the 2-byte segwit marker and flag)."""
    return len(draft.serialize(False)) * 4 + 2 + witness_weight


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
    fee = _fee(_weight(base, confirm_ww), params.fee_rate)
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

    # ---- outputs: C, the stake chain S0 -> S1 -> ... -> A -----------------------------------
    c_out = add_output(
        "C",
        [
            ("challenge", single_key_leaf(operator)),
            ("take1", committee_leaf(committee, w.challenge)),
        ],
    )
    s_outs = []
    for j, chunk in enumerate(chunks):
        leaves = [("assert", committed_values_leaf([value_verifier(ots, i) for i in chunk], operator))]
        if j == 0:
            leaves.append(("take1", committee_leaf(committee, w.challenge)))
        leaves.append(("slash", committee_leaf(committee, w.response)))
        s_outs.append(add_output(f"S{j}", leaves))
    a_leaves = [("take2", committee_leaf(committee, w.disprove))]
    a_leaves += [(f"disprove{i}", disprove_leaf(committee, ots, program, i)) for i in range(n)]
    # Take2 is the expected spend, each disprove rare: Huffman keeps Take2 shallow
    a_out = add_output("A", a_leaves, [n] + [1] * n)
    claim_digest = sha256(ots.public_json_bytes(claim_index))
    op_return = Script([OP_RETURN, gid + claim_digest]).raw

    # Kickoff fee first, then Prepare creates P large enough to pay it.
    p_out = add_output(
        "P", [("kickoff", committed_values_leaf([value_verifier(ots, claim_index)], operator))]
    )
    kickoff_outs = (
        TxOut(CONNECTOR_AMOUNT, c_out.output.script_pubkey),
        TxOut(params.operator_stake, s_outs[0].output.script_pubkey),
        TxOut(0, op_return),
    )
    kickoff_draft = Tx(2, (TxIn(OutPoint("00" * 32, 0)),), kickoff_outs)
    kickoff_ww = spend_weight(p_out, "kickoff", [n_sig, *verifier_sizes[claim_index]])
    kickoff_fee = _fee(_weight(kickoff_draft, kickoff_ww), params.fee_rate)
    p_amount = CONNECTOR_AMOUNT + params.operator_stake + kickoff_fee

    # ---- Prepare: operator funding -> P [+ change] -----------------------------------------
    pending["Prepare:0"] = p_out
    prepare = _funded_tx(
        "Prepare", "operator", "funds the claim output P with the stake",
        op_funding, operator_spk, TxOut(p_amount, p_out.output.script_pubkey),
        params.fee_rate, "the stake, connector and Kickoff fee",
    )  # fmt: skip
    register(prepare)

    # ---- Kickoff: P -> C, S0, OP_RETURN -------------------------------------------------------
    pending["Kickoff:0"] = c_out
    pending["Kickoff:1"] = s_outs[0]
    kickoff = GraphTx(
        "Kickoff", "operator", "claims the result (Winternitz-signed) and posts the stake",
        Tx(2, (TxIn(prepare.tx.outpoint(0)),), kickoff_outs),
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

    # ---- Assert_j: S_j -> S_j+1 (or A); Slash_j: S_j after response_window -------------------
    burn_spk = Script([OP_RETURN, b"ocp:burn"]).raw
    source, stake = "Kickoff:1", kickoff.tx.outputs[1]
    prev = kickoff.tx.outpoint(1)
    for j, chunk in enumerate(chunks):
        nxt = s_outs[j + 1] if j + 1 < k else a_out
        sizes = [n_sig] + [size for i in chunk for size in verifier_sizes[i]]
        draft = Tx(2, (TxIn(prev),), (TxOut(0, nxt.output.script_pubkey),))
        weight = _weight(draft, spend_weight(s_outs[j], "assert", sizes))
        if weight > MAX_STANDARD_TX_WEIGHT:
            raise UserError(f"Assert_{j} would weigh {weight} WU, above the standard 400000")
        fee = _fee(weight, params.fee_rate)
        if stake.value - fee < 2 * P2TR_DUST:
            raise UserError(
                f"amounts.operator_stake is too small: Assert_{j} fee {fee} leaves {stake.value - fee} sat"
            )
        revealed = ", ".join(f"x{i + 1}" for i in chunk) or "(none)"
        pending[f"Assert_{j}:0"] = nxt
        assert_tx = GraphTx(
            f"Assert_{j}", "operator", f"reveals trace values {revealed}",
            Tx(2, (TxIn(prev),), (TxOut(stake.value - fee, nxt.output.script_pubkey),)),
            (InputSpend(source, "assert", ("operator",)),),
            (stake,),
        )  # fmt: skip
        register(assert_tx)
        register(
            GraphTx(
                f"Slash_{j}", "challenger", "punishes a silent operator: burn, and the rest to the challenger",
                Tx(2, (TxIn(prev, sequence=w.response),), (TxOut(stake.value // 2, burn_spk),)),
                (InputSpend(source, "slash", ("committee",), SIGHASH_SINGLE, presigned=True),),
                (stake,), template=True,
            )
        )  # fmt: skip
        source, stake, prev = f"Assert_{j}:0", assert_tx.tx.outputs[0], assert_tx.tx.outpoint(0)
    a_source, a_stake, a_prev = source, stake, prev

    # ---- Take1: V + C + S0 after challenge_window ---------------------------------------------
    committee_sigs = [n_sig] * len(committee)
    t1_inputs = (
        TxIn(confirm.tx.outpoint(0)),
        TxIn(kickoff.tx.outpoint(0), sequence=w.challenge),
        TxIn(kickoff.tx.outpoint(1), sequence=w.challenge),
    )
    t1_spent = (confirm.tx.outputs[0], kickoff.tx.outputs[0], kickoff.tx.outputs[1])
    ww = spend_weight(v_out, "payout", committee_sigs) + spend_weight(c_out, "take1", committee_sigs)
    ww += spend_weight(s_outs[0], "take1", committee_sigs)
    register(
        GraphTx(
            "Take1", "operator", "pays the unchallenged operator: deposit and stake back",
            _sweep(t1_inputs, t1_spent, operator_spk, ww, params.fee_rate),
            (InputSpend("Confirm:0", "payout", ("committee",), presigned=True),
             InputSpend("Kickoff:0", "take1", ("committee",), presigned=True),
             InputSpend("Kickoff:1", "take1", ("committee",), presigned=True)),
            t1_spent,
        )
    )  # fmt: skip

    # ---- Take2: V + A after disprove_window ---------------------------------------------------
    t2_inputs = (TxIn(confirm.tx.outpoint(0)), TxIn(a_prev, sequence=w.disprove))
    t2_spent = (confirm.tx.outputs[0], a_stake)
    ww = spend_weight(v_out, "payout", committee_sigs) + spend_weight(a_out, "take2", committee_sigs)
    register(
        GraphTx(
            "Take2", "operator", "pays the operator whose Assert stood through the disprove window",
            _sweep(t2_inputs, t2_spent, operator_spk, ww, params.fee_rate),
            (InputSpend("Confirm:0", "payout", ("committee",), presigned=True),
             InputSpend(a_source, "take2", ("committee",), presigned=True)),
            t2_spent,
        )
    )  # fmt: skip

    # ---- Disprove_i: A via leaf i -> burn (+ challenger reward) ---------------------------
    for i in range(n):
        register(
            GraphTx(
                f"Disprove_{i}", "challenger", f"proves step {i} wrong: x{i + 1} != step{i}(x{i})",
                Tx(2, (TxIn(a_prev),), (TxOut(a_stake.value // 2, burn_spk),)),
                (InputSpend(a_source, f"disprove{i}", ("committee",), SIGHASH_SINGLE, presigned=True),),
                (a_stake,), template=True,
            )
        )  # fmt: skip

    # ---- Refund: D after refund_timeout -------------------------------------------------------
    d_value = deposit.tx.outputs[0].value
    draft = Tx(2, (TxIn(deposit.tx.outpoint(0), sequence=w.refund),), (TxOut(d_value, depositor_spk),))
    fee = _fee(_weight(draft, spend_weight(d_out, "refund", [n_sig])), params.fee_rate)
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


def _sweep(
    inputs: tuple[TxIn, ...], spent: Sequence[TxOut], to: bytes, witness_weight: int, fee_rate: float
) -> Tx:
    """All of ``spent`` to one output, less the fee for the transaction's weight."""
    total = sum(o.value for o in spent)
    fee = _fee(_weight(Tx(2, inputs, (TxOut(total, to),)), witness_weight), fee_rate)
    return Tx(2, inputs, (TxOut(total - fee, to),))


def _funded_tx(
    name: str, role: str, purpose: str, funding: Funding, owner_spk: bytes, pay: TxOut,
    fee_rate: float, what: str,
) -> GraphTx:  # fmt: skip
    """A role's key-path coin -> ``pay`` plus change back to the role (if above dust)."""
    txin = TxIn(funding.outpoint)
    draft = Tx(2, (txin,), (pay, TxOut(0, owner_spk)))
    fee = _fee(_weight(draft, _witness_weight([64])), fee_rate)
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


def _check_outputs(txs: dict[str, GraphTx]) -> None:
    for g in txs.values():
        for vout, out in enumerate(g.tx.outputs):
            if out.script_pubkey[:1] != bytes([OP_RETURN]) and out.value < P2TR_DUST:
                raise UserError(f"{g.name} output {vout} ({out.value} sat) is below dust")
        if not g.template and sum(o.value for o in g.spent) < sum(o.value for o in g.tx.outputs):
            raise UserError(f"{g.name} spends less than it pays")
