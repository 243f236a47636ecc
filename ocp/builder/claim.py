"""One operator's claim: Prepare and Kickoff, and the outputs its dispute runs on.

Every output here carries value, so every leaf of it carries the committee's
n-of-n and moves the value only by a transaction the committee pre-signed (the
covenant rule, ARCHITECTURE.md section 4):

* P, the claim output: ``kickoff`` (Winternitz-verify the claim + n-of-n +
  operator; Kickoff pre-signed).
* C, the challenge connector: ``challenge`` (after 1 block: n-of-n + operator,
  both pre-signed SINGLE|ANYONECANPAY, so a challenger completes the Challenge
  with its own inputs) or ``take1`` (n-of-n after ``challenge_window``).
* S_j, the stake at Assert chunk j: ``assert`` (reveal chunk j + n-of-n +
  operator; Assert_j pre-signed), ``take1`` (S0 only) and ``slash`` (n-of-n
  after ``response_window``).
* A, the disprove connector with the whole remaining stake: ``take2`` (n-of-n
  after ``disprove_window``) and one ``disprove<i>`` per step.

Prepare: the operator's funding coin -> P + change, P large enough for the stake,
the connector, the anchor and Kickoff's fee, so that Kickoff's txid is fixed
before the committee signs.  Kickoff: P -> C, S0, OP_RETURN(params id || SHA-256
of the claim key), the operator's anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.context import BuildContext, OperatorContext, pays
from ocp.fees import fee_for, leaf_spend_weight, tx_weight
from ocp.graph import ANCHOR_AMOUNT, CONNECTOR_AMOUNT, GraphOutput, GraphTx, params_id
from ocp.ids import Role, TxKind
from ocp.leaves import DisproveLeaf, KeysLeaf, LeafKind, LeafName, RevealLeaf
from taptrees.hashes import sha256
from taptrees.opcodes import OP_RETURN
from taptrees.script import Script
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

KICKOFF = LeafName(LeafKind.KICKOFF)
CHALLENGE = LeafName(LeafKind.CHALLENGE)
TAKE1 = LeafName(LeafKind.TAKE1)
ASSERT = LeafName(LeafKind.ASSERT)
SLASH = LeafName(LeafKind.SLASH)
TAKE2 = LeafName(LeafKind.TAKE2)
#: Blocks after the Kickoff before a Challenge may be mined (no child of an
#: unconfirmed Kickoff but the operator's anchor).
CHALLENGE_CSV = 1


def disprove_name(step: int) -> LeafName:
    return LeafName(LeafKind.DISPROVE, step)


@dataclass(frozen=True)
class DisputeOutputs:
    """The scripts of one operator's C, every S_j and A (built before the
    transactions that pay them)."""

    c: GraphOutput
    s: tuple[GraphOutput, ...]
    a: GraphOutput


def dispute_outputs(ctx: BuildContext, op: OperatorContext, chunks: Sequence[Sequence[int]]) -> DisputeOutputs:
    p, w = ctx.params, ctx.params.windows
    committee = p.n_of_n.signers
    operator = ((Role.OPERATOR, op.key),)
    c = GraphOutput.build(
        f"C{op.label}",
        [
            KeysLeaf(CHALLENGE, (*committee, *operator), CHALLENGE_CSV, "Challenge, pre-signed SINGLE|ANYONECANPAY"),
            KeysLeaf(TAKE1, committee, w.challenge, "Take1 or StakeBack1"),
        ],
    )
    s = []
    for j, chunk in enumerate(chunks):
        revealed = ", ".join(f"x{i + 1}" for i in chunk) or "(none)"
        leaves = [RevealLeaf(ASSERT, op.ots, tuple(chunk), p.n_of_n.keys, op.key, f"trace values {revealed}")]
        if j == 0:
            leaves.append(KeysLeaf(TAKE1, committee, w.challenge, "Take1 or StakeBack1"))
        leaves.append(KeysLeaf(SLASH, committee, w.response, f"Slash_{j}"))
        s.append(GraphOutput.build(f"S{j}{op.label}", leaves))
    n = ctx.computation.n_steps
    a_leaves = [KeysLeaf(TAKE2, committee, w.disprove, "Take2 or StakeBack2")]
    a_leaves += [DisproveLeaf(disprove_name(i), p.n_of_n.keys, op.ots, ctx.computation, i) for i in range(n)]
    # Take2 is the expected spend, each disprove rare: Huffman keeps Take2 shallow
    a = GraphOutput.build(f"A{op.label}", a_leaves, [n] + [1] * n)
    return DisputeOutputs(c, tuple(s), a)


def build_claim(
    ctx: BuildContext, asm: GraphAssembler, op: OperatorContext, outs: DisputeOutputs
) -> tuple[Created, Created]:
    """Prepare (operator coin -> P) and Kickoff (P -> C, S0, OP_RETURN, anchor);
    returns C and S0."""
    p = ctx.params
    claim_index = ctx.computation.n_steps - 1  # value i is x[i+1]; value n-1 is the claim x[n]
    p_out = GraphOutput.build(
        f"P{op.label}",
        [
            RevealLeaf(KICKOFF, op.ots, (claim_index,), p.n_of_n.keys, op.key, "the claim"),
        ],
    )
    claim_digest = sha256(op.ots.public_json_bytes(claim_index))
    kickoff_outs = (
        TxOut(CONNECTOR_AMOUNT, outs.c.output.script_pubkey),
        TxOut(p.operator_stake, outs.s[0].output.script_pubkey),
        TxOut(0, Script([OP_RETURN, params_id(p) + claim_digest]).raw),
        TxOut(ANCHOR_AMOUNT, pays(op.key)),
    )
    # Kickoff's fee first, then Prepare creates P large enough to pay it
    draft = Tx(2, (TxIn(OutPoint("00" * 32, 0)),), kickoff_outs)
    kickoff_fee = fee_for(tx_weight(draft, leaf_spend_weight(p_out, KICKOFF)), p.fee_rate)
    p_amount = sum(o.value for o in kickoff_outs) + kickoff_fee
    prepare = ctx.funding_tx(
        op.name(TxKind.PREPARE),
        Role.OPERATOR,
        op.key,
        op.funding_ref,
        "funds the claim output P with the stake",
        op.funding,
        TxOut(p_amount, p_out.output.script_pubkey),
        "the stake, connector, anchor and Kickoff fee",
    )
    p_created = asm.add(prepare, {0: p_out})[0]
    txin, spend = leaf_input(p_created, KICKOFF, presigned=True)
    kickoff = GraphTx(
        op.name(TxKind.KICKOFF),
        Role.OPERATOR,
        "claims the result (Winternitz-signed) and posts the stake",
        Tx(2, (txin,), kickoff_outs),
        (spend,),
        (p_created.txout,),
    )
    c, s0, _, _ = asm.add(kickoff, {0: outs.c, 1: outs.s[0]})
    return c, s0
