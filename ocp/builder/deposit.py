"""Deposit, Confirm and Refund: the depositor's coin into the committee's vault.

* Deposit: the depositor's funding coin -> D (``confirm``: n-of-n + depositor;
  ``refund``: depositor after ``refund_timeout``) + change (the depositor's CPFP).
* Confirm: D -> V, the vault (``payout``: n-of-n only, no refund path), and a
  keyed anchor for the depositor.
* Refund: D -> depositor after ``refund_timeout``, if Confirm never happened.
  ``refund`` is the one leaf in the graph a single party satisfies alone: D holds
  the depositor's own coins until the committee confirms them.
"""

from __future__ import annotations

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.context import BuildContext, pays
from ocp.fees import fee_for, leaf_spend_weight, tx_weight
from ocp.graph import ANCHOR_AMOUNT, GraphOutput, GraphTx
from ocp.ids import FundingRef, Role, TxKind, TxName
from ocp.leaves import KeysLeaf, LeafKind, LeafName
from taptrees.tx import Tx, TxOut

CONFIRM = LeafName(LeafKind.CONFIRM)
REFUND = LeafName(LeafKind.REFUND)
PAYOUT = LeafName(LeafKind.PAYOUT)


def build_deposit(ctx: BuildContext, asm: GraphAssembler) -> Created:
    """Deposit -> D; returns D."""
    p = ctx.params
    depositor = ((Role.DEPOSITOR, p.depositor),)
    d_out = GraphOutput.build(
        "D",
        [
            KeysLeaf(CONFIRM, (*p.n_of_n.signers, *depositor), None, "Confirm"),
            KeysLeaf(REFUND, depositor, p.windows.refund, "Refund, only before Confirm"),
        ],
    )
    funding, _ = p.require_funding()
    deposit = ctx.funding_tx(
        TxName(TxKind.DEPOSIT),
        Role.DEPOSITOR,
        p.depositor,
        FundingRef(Role.DEPOSITOR),
        "moves the deposit under the committee, with a refund path",
        funding,
        TxOut(p.deposit_amount, d_out.output.script_pubkey),
        "amounts.deposit",
    )
    return asm.add(deposit, {0: d_out})[0]


def build_confirm(ctx: BuildContext, asm: GraphAssembler, d: Created) -> Created:
    """Confirm: D -> V (the vault) + the depositor's anchor; returns V."""
    p = ctx.params
    v_out = GraphOutput.build(
        "V",
        [
            KeysLeaf(PAYOUT, p.n_of_n.signers, None, "vault payout: Take1/Take2"),
        ],
    )
    anchor = TxOut(ANCHOR_AMOUNT, pays(p.depositor))
    txin, spend = leaf_input(d, CONFIRM, presigned=True)
    base = Tx(2, (txin,), (TxOut(0, v_out.output.script_pubkey), anchor))
    fee = fee_for(tx_weight(base, leaf_spend_weight(d.output, CONFIRM)), p.fee_rate)
    vault = TxOut(d.txout.value - fee - ANCHOR_AMOUNT, v_out.output.script_pubkey)
    confirm = GraphTx(
        TxName(TxKind.CONFIRM),
        Role.DEPOSITOR,
        "locks the deposit in the refund-free vault",
        Tx(2, (txin,), (vault, anchor)),
        (spend,),
        (d.txout,),
    )
    return asm.add(confirm, {0: v_out})[0]


def build_refund(ctx: BuildContext, asm: GraphAssembler, d: Created) -> None:
    """Refund: D -> depositor after ``refund_timeout`` (signed by the depositor when
    it broadcasts, so it chooses the fee then)."""
    p = ctx.params
    to = pays(p.depositor)
    txin, spend = leaf_input(d, REFUND, sequence=p.windows.refund)
    draft = Tx(2, (txin,), (TxOut(d.txout.value, to),))
    fee = fee_for(tx_weight(draft, leaf_spend_weight(d.output, REFUND)), p.fee_rate)
    asm.add(
        GraphTx(
            TxName(TxKind.REFUND),
            Role.DEPOSITOR,
            "returns the deposit if the committee never confirmed it",
            Tx(2, (txin,), (TxOut(d.txout.value - fee, to),)),
            (spend,),
            (d.txout,),
        )
    )
