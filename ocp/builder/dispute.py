"""The dispute: Challenge, the Assert chain with its Slashes, and the Disproves.

* Challenge (template): C by ``challenge`` -> the challenge fee to the operator;
  the challenger adds its own inputs and change (the operator's signature is
  SINGLE|ANYONECANPAY).
* Assert_j: S_j by ``assert`` (revealing chunk j) -> S_j+1, or A for the last
  chunk; Slash_j (template): S_j by ``slash`` after ``response_window`` -> burn
  half, the challenger adds its reward (committee SIGHASH_SINGLE).
* Disprove_i (template): A by ``disprove<i>`` -> burn half, the challenger adds
  its reward (committee SIGHASH_SINGLE).

When the trace does not fit one input (stack items, standard weight) the stake
moves through the chain ``S0 -> S1 -> ... -> A``, each Assert revealing one
chunk (:func:`chunk_values`).
"""

from __future__ import annotations

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.claim import ASSERT, CHALLENGE, SLASH, DisputeOutputs, disprove_name
from ocp.builder.context import BuildContext
from ocp.errors import UserError
from ocp.fees import fee_for, leaf_spend_weight, tx_weight
from ocp.graph import (
    ASSERT_WEIGHT_BUDGET,
    MAX_STACK_ITEMS,
    MAX_STANDARD_TX_WEIGHT,
    P2TR_DUST,
    SIGHASH_SINGLE_ACP,
    STACK_HEADROOM,
    GraphTx,
)
from ocp.ids import Role, TxKind, TxName
from ocp.leaves import MAX_SIG_SIZE
from ocp.ots import ValueKeys, value_verifier
from taptrees.opcodes import OP_RETURN
from taptrees.script import Script
from taptrees.sighash import SIGHASH_SINGLE
from taptrees.tx import Tx, TxOut

BURN_SCRIPT = Script([OP_RETURN, b"ocp:burn"]).raw


def chunk_values(revealed: list[int], ots: ValueKeys) -> list[list[int]]:
    """Split the revealed values into Assert chunks that respect the 1,000-item
    stack limit and the Assert weight budget (script + witness per value)."""
    sizes = ots.witness_sizes()
    chunks: list[list[int]] = [[]]
    items, weight = 1, MAX_SIG_SIZE + 200
    for i in revealed:
        v_items = len(sizes[i])
        v_weight = sum(sizes[i]) + len(sizes[i]) + len(value_verifier(ots, i).raw)
        full = items + v_items > MAX_STACK_ITEMS - STACK_HEADROOM or weight + v_weight > ASSERT_WEIGHT_BUDGET
        if chunks[-1] and full:
            chunks.append([])
            items, weight = 1, MAX_SIG_SIZE + 200
        chunks[-1].append(i)
        items += v_items
        weight += v_weight
    return chunks


def build_challenge(ctx: BuildContext, asm: GraphAssembler, c: Created) -> None:
    txin, spend = leaf_input(c, CHALLENGE, hash_type=SIGHASH_SINGLE_ACP, presigned=True)
    asm.add(GraphTx(
        TxName(TxKind.CHALLENGE), Role.CHALLENGER, "disputes the claim; the challenger adds inputs and change",
        Tx(2, (txin,), (TxOut(ctx.params.challenge_fee, ctx.pays(Role.OPERATOR)),)),
        (spend,), (c.txout,), template=True,
    ))  # fmt: skip


def build_assert_chain(
    ctx: BuildContext, asm: GraphAssembler, s0: Created, outs: DisputeOutputs, chunks: list[list[int]]
) -> Created:
    """Assert_j and Slash_j for every chunk; returns A."""
    w = ctx.params.windows
    stake = s0
    for j, chunk in enumerate(chunks):
        nxt = outs.s[j + 1] if j + 1 < len(chunks) else outs.a
        txin, spend = leaf_input(stake, ASSERT)
        draft = Tx(2, (txin,), (TxOut(0, nxt.output.script_pubkey),))
        weight = tx_weight(draft, leaf_spend_weight(stake.output, ASSERT))
        if weight > MAX_STANDARD_TX_WEIGHT:
            raise UserError(f"Assert_{j} would weigh {weight} WU, above the standard 400000")
        fee = fee_for(weight, ctx.params.fee_rate)
        value = stake.txout.value
        if value - fee < 2 * P2TR_DUST:
            raise UserError(f"amounts.operator_stake is too small: Assert_{j} fee {fee} leaves {value - fee} sat")
        revealed = ", ".join(f"x{i + 1}" for i in chunk) or "(none)"
        assert_tx = GraphTx(
            TxName(TxKind.ASSERT, j), Role.OPERATOR, f"reveals trace values {revealed}",
            Tx(2, (txin,), (TxOut(value - fee, nxt.output.script_pubkey),)), (spend,), (stake.txout,),
        )  # fmt: skip
        created = asm.add(assert_tx, {0: nxt})[0]
        s_in, s_spend = leaf_input(stake, SLASH, sequence=w.response, hash_type=SIGHASH_SINGLE, presigned=True)
        asm.add(GraphTx(
            TxName(TxKind.SLASH, j), Role.CHALLENGER, "punishes a silent operator: burn, and the rest to the challenger",
            Tx(2, (s_in,), (TxOut(value // 2, BURN_SCRIPT),)), (s_spend,), (stake.txout,), template=True,
        ))  # fmt: skip
        stake = created
    return stake


def build_disproves(ctx: BuildContext, asm: GraphAssembler, a: Created) -> None:
    for i in range(ctx.computation.n_steps):
        txin, spend = leaf_input(a, disprove_name(i), hash_type=SIGHASH_SINGLE, presigned=True)
        asm.add(GraphTx(
            TxName(TxKind.DISPROVE, i), Role.CHALLENGER, f"proves step {i} wrong: x{i + 1} != step{i}(x{i})",
            Tx(2, (txin,), (TxOut(a.txout.value // 2, BURN_SCRIPT),)), (spend,), (a.txout,), template=True,
        ))  # fmt: skip
