"""One operator's dispute: Challenge, the Assert chain with its Slashes, and the
Disproves.

* Challenge (template): C by ``challenge`` -> the challenge fee to the operator;
  the committee and the operator pre-sign SINGLE|ANYONECANPAY, the challenger
  adds its own inputs and change.
* Assert_j (pre-signed by the committee, SIGHASH_ALL): S_j by ``assert``
  (revealing chunk j) -> S_j+1, or A for the last chunk, and the operator's
  anchor.  Slash_j (template): S_j by ``slash`` after ``response_window`` -> burn
  half; the committee pre-signs SINGLE|ANYONECANPAY, the challenger adds its reward
  and, if it wants, fee inputs.
* Disprove_i (template): A by ``disprove<i>`` -> burn half, like Slash.

When the trace does not fit one input (stack items, standard weight) the stake
moves through the chain ``S0 -> S1 -> ... -> A``, each Assert revealing one
chunk (:func:`chunk_values`).  Every punishing transaction must be able to pay
its own fee at ``dispute_fee_rate`` from what it takes (:func:`check_punish_fee`).
"""

from __future__ import annotations

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.claim import ASSERT, CHALLENGE, CHALLENGE_CSV, SLASH, DisputeOutputs, disprove_name
from ocp.builder.context import BuildContext, OperatorContext, pays
from ocp.errors import UserError
from ocp.fees import fee_for, leaf_spend_weight, punish_weight, tx_weight
from ocp.graph import (
    ANCHOR_AMOUNT,
    ASSERT_WEIGHT_BUDGET,
    MAX_STACK_ITEMS,
    MAX_STANDARD_TX_WEIGHT,
    P2TR_DUST,
    SIGHASH_SINGLE_ACP,
    STACK_HEADROOM,
    GraphTx,
)
from ocp.ids import Role, TxKind
from ocp.leaves import DISPROVE_CSV, MAX_SIG_SIZE
from ocp.ots import ValueKeys, value_verifier
from taptrees.opcodes import OP_RETURN
from taptrees.script import Script
from taptrees.tx import Tx, TxOut

BURN_SCRIPT = Script([OP_RETURN, b"ocp:burn"]).raw


def chunk_values(revealed: list[int], ots: ValueKeys, n_signatures: int) -> list[list[int]]:
    """Split the revealed values into Assert chunks that respect the 1,000-item
    stack limit (``n_signatures`` signatures, the values' items and working room)
    and the Assert weight budget (script + witness per value)."""
    sizes = ots.witness_sizes()
    start_items, start_weight = n_signatures, n_signatures * (MAX_SIG_SIZE + 34) + 200
    chunks: list[list[int]] = [[]]
    items, weight = start_items, start_weight
    for i in revealed:
        v_items = len(sizes[i])
        v_weight = sum(sizes[i]) + len(sizes[i]) + len(value_verifier(ots, i).raw)
        full = items + v_items > MAX_STACK_ITEMS - STACK_HEADROOM or weight + v_weight > ASSERT_WEIGHT_BUDGET
        if full and not chunks[-1]:
            raise UserError(
                f"one trace value does not fit an Assert beside {n_signatures} signatures: "
                f"keys.committee is too large for the 1,000-item stack limit"
            )
        if full:
            chunks.append([])
            items, weight = start_items, start_weight
        chunks[-1].append(i)
        items += v_items
        weight += v_weight
    return chunks


def check_punish_fee(ctx: BuildContext, gtx: GraphTx, spend_weight: int) -> None:
    """What a punishing transaction leaves after its burn must pay its fee at the
    dispute fee rate and a standard reward output (item 4 of issue 11)."""
    weight = punish_weight(gtx, spend_weight)
    fee = fee_for(weight, ctx.params.punish_fee_rate)
    left = gtx.spent[0].value - gtx.tx.outputs[0].value
    if left < fee + P2TR_DUST:
        raise UserError(
            f"amounts.operator_stake is too small: {gtx.name} keeps {left} sat after its burn, "
            f"below its fee at the dispute fee rate ({fee} sat for {weight} WU at "
            f"{ctx.params.punish_fee_rate} sat/vB) plus a {P2TR_DUST} sat reward"
        )


def build_challenge(ctx: BuildContext, asm: GraphAssembler, op: OperatorContext, c: Created) -> None:
    txin, spend = leaf_input(c, CHALLENGE, sequence=CHALLENGE_CSV, hash_type=SIGHASH_SINGLE_ACP, presigned=True)
    asm.add(
        GraphTx(
            op.name(TxKind.CHALLENGE),
            Role.CHALLENGER,
            "disputes the claim; the challenger adds inputs and change",
            Tx(2, (txin,), (TxOut(ctx.params.challenge_fee, pays(op.key)),)),
            (spend,),
            (c.txout,),
            template=True,
        )
    )


def build_assert_chain(
    ctx: BuildContext,
    asm: GraphAssembler,
    op: OperatorContext,
    s0: Created,
    outs: DisputeOutputs,
    chunks: list[list[int]],
) -> Created:
    """Assert_j and Slash_j for every chunk; returns A."""
    w = ctx.params.windows
    anchor = TxOut(ANCHOR_AMOUNT, pays(op.key))
    stake = s0
    for j, chunk in enumerate(chunks):
        nxt = outs.s[j + 1] if j + 1 < len(chunks) else outs.a
        txin, spend = leaf_input(stake, ASSERT, presigned=True)
        draft = Tx(2, (txin,), (TxOut(0, nxt.output.script_pubkey), anchor))
        weight = tx_weight(draft, leaf_spend_weight(stake.output, ASSERT))
        name = op.name(TxKind.ASSERT, j)
        if weight > MAX_STANDARD_TX_WEIGHT:
            raise UserError(f"{name} would weigh {weight} WU, above the standard 400000")
        fee = fee_for(weight, ctx.params.fee_rate)
        value = stake.txout.value
        if value - fee - ANCHOR_AMOUNT < 2 * P2TR_DUST:
            raise UserError(f"amounts.operator_stake is too small: {name} fee {fee} leaves {value - fee} sat")
        revealed = ", ".join(f"x{i + 1}" for i in chunk) or "(none)"
        assert_tx = GraphTx(
            name,
            Role.OPERATOR,
            f"reveals trace values {revealed}",
            Tx(2, (txin,), (TxOut(value - fee - ANCHOR_AMOUNT, nxt.output.script_pubkey), anchor)),
            (spend,),
            (stake.txout,),
        )
        created = asm.add(assert_tx, {0: nxt})[0]
        s_in, s_spend = leaf_input(stake, SLASH, sequence=w.response, hash_type=SIGHASH_SINGLE_ACP, presigned=True)
        slash = GraphTx(
            op.name(TxKind.SLASH, j),
            Role.CHALLENGER,
            "punishes a silent operator: burn, and the rest to the challenger",
            Tx(2, (s_in,), (TxOut(value // 2, BURN_SCRIPT),)),
            (s_spend,),
            (stake.txout,),
            template=True,
        )
        check_punish_fee(ctx, slash, leaf_spend_weight(stake.output, SLASH))
        asm.add(slash)
        stake = created
    return stake


def build_disproves(ctx: BuildContext, asm: GraphAssembler, op: OperatorContext, a: Created) -> None:
    for i in range(ctx.computation.n_steps):
        leaf = disprove_name(i)
        txin, spend = leaf_input(a, leaf, sequence=DISPROVE_CSV, hash_type=SIGHASH_SINGLE_ACP, presigned=True)
        disprove = GraphTx(
            op.name(TxKind.DISPROVE, i),
            Role.CHALLENGER,
            f"proves step {i} wrong: x{i + 1} != step{i}(x{i})",
            Tx(2, (txin,), (TxOut(a.txout.value // 2, BURN_SCRIPT),)),
            (spend,),
            (a.txout,),
            template=True,
        )
        check_punish_fee(ctx, disprove, leaf_spend_weight(a.output, leaf))
        asm.add(disprove)
