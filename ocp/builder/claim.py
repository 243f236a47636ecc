"""The operator's claim: Prepare and Kickoff, and the outputs the dispute runs on.

* C, the challenge connector: ``challenge`` (operator, pre-signed
  SINGLE|ANYONECANPAY) or ``take1`` (n-of-n after ``challenge_window``).
* S_j, the stake at Assert chunk j: ``assert`` (reveal chunk j), ``take1`` (S0
  only) and ``slash`` (n-of-n after ``response_window``).
* A, the disprove connector with the whole remaining stake: ``take2`` (n-of-n
  after ``disprove_window``) and one ``disprove<i>`` per step.
* Prepare: the operator's funding coin -> P (``kickoff``: Winternitz-verify the
  claim + operator), large enough for the stake, the connector and Kickoff's fee,
  so that Kickoff's txid is fixed before the committee signs.
* Kickoff: P -> C, S0, OP_RETURN(graph id || SHA-256 of the claim key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.context import BuildContext
from ocp.fees import fee_for, leaf_spend_weight, tx_weight
from ocp.graph import CONNECTOR_AMOUNT, GraphOutput, GraphTx, graph_id_of
from ocp.ids import Role, TxKind, TxName
from ocp.leaves import CommitteeLeaf, DisproveLeaf, KeyLeaf, LeafKind, LeafName, RevealLeaf
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


def disprove_name(step: int) -> LeafName:
    return LeafName(LeafKind.DISPROVE, step)


@dataclass(frozen=True)
class DisputeOutputs:
    """The scripts of C, every S_j and A (built before the transactions that pay them)."""

    c: GraphOutput
    s: tuple[GraphOutput, ...]
    a: GraphOutput


def dispute_outputs(ctx: BuildContext, chunks: Sequence[Sequence[int]]) -> DisputeOutputs:
    p, w = ctx.params, ctx.params.windows
    c = GraphOutput.build("C", [
        KeyLeaf(CHALLENGE, Role.OPERATOR, p.operator, None, "Challenge, pre-signed SINGLE|ANYONECANPAY"),
        CommitteeLeaf(TAKE1, p.committee, w.challenge, "Take1"),
    ])  # fmt: skip
    s = []
    for j, chunk in enumerate(chunks):
        revealed = ", ".join(f"x{i + 1}" for i in chunk) or "(none)"
        leaves = [RevealLeaf(ASSERT, ctx.ots, tuple(chunk), p.operator, f"trace values {revealed} (Assert_{j})")]
        if j == 0:
            leaves.append(CommitteeLeaf(TAKE1, p.committee, w.challenge, "Take1"))
        leaves.append(CommitteeLeaf(SLASH, p.committee, w.response, f"Slash_{j}"))
        s.append(GraphOutput.build(f"S{j}", leaves))
    n = ctx.computation.n_steps
    a_leaves = [CommitteeLeaf(TAKE2, p.committee, w.disprove, "Take2")]
    a_leaves += [DisproveLeaf(disprove_name(i), p.committee, ctx.ots, ctx.computation, i) for i in range(n)]
    # Take2 is the expected spend, each disprove rare: Huffman keeps Take2 shallow
    a = GraphOutput.build("A", a_leaves, [n] + [1] * n)
    return DisputeOutputs(c, tuple(s), a)


def build_claim(ctx: BuildContext, asm: GraphAssembler, outs: DisputeOutputs) -> tuple[Created, Created]:
    """Prepare (operator coin -> P) and Kickoff (P -> C, S0, OP_RETURN); returns C, S0."""
    p = ctx.params
    claim_index = ctx.computation.n_steps - 1  # value i is x[i+1]; value n-1 is the claim x[n]
    p_out = GraphOutput.build("P", [
        RevealLeaf(KICKOFF, ctx.ots, (claim_index,), p.operator, "the claim (Kickoff)"),
    ])  # fmt: skip
    claim_digest = sha256(ctx.ots.public_json_bytes(claim_index))
    kickoff_outs = (
        TxOut(CONNECTOR_AMOUNT, outs.c.output.script_pubkey),
        TxOut(p.operator_stake, outs.s[0].output.script_pubkey),
        TxOut(0, Script([OP_RETURN, graph_id_of(p) + claim_digest]).raw),
    )
    # Kickoff's fee first, then Prepare creates P large enough to pay it
    draft = Tx(2, (TxIn(OutPoint("00" * 32, 0)),), kickoff_outs)
    kickoff_fee = fee_for(tx_weight(draft, leaf_spend_weight(p_out, KICKOFF)), p.fee_rate)
    p_amount = CONNECTOR_AMOUNT + p.operator_stake + kickoff_fee
    _, funding = p.require_funding()
    prepare = ctx.funding_tx(
        TxName(TxKind.PREPARE), Role.OPERATOR, "funds the claim output P with the stake",
        funding, TxOut(p_amount, p_out.output.script_pubkey), "the stake, connector and Kickoff fee",
    )  # fmt: skip
    p_created = asm.add(prepare, {0: p_out})[0]
    txin, spend = leaf_input(p_created, KICKOFF)
    kickoff = GraphTx(
        TxName(TxKind.KICKOFF), Role.OPERATOR, "claims the result (Winternitz-signed) and posts the stake",
        Tx(2, (txin,), kickoff_outs), (spend,), (p_created.txout,),
    )  # fmt: skip
    c, s0, _ = asm.add(kickoff, {0: outs.c, 1: outs.s[0]})
    return c, s0
