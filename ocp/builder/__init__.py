"""Building the OCP transaction graph (ARCHITECTURE.md section 4).

:func:`build_graph` turns :class:`~ocp.params.Params` and each operator's
Winternitz public keys into every transaction of the protocol, unsigned, with
the outputs each one spends.  The txids of everything the committee pre-signs
are fixed at build time: Deposit and Prepare spend key-path funding coins, and
everything after them spends only graph outputs; transactions that a
challenger completes (Challenge, Slash, Disprove) are templates whose
pre-signed part is fixed by SIGHASH_SINGLE|ANYONECANPAY.

One deposit and vault; for each operator a claim, a dispute and payouts over
the same vault (the first valid Take wins).  One module per transaction family,
each taking the outputs it spends:

=================================  ==============================================
module                             transactions
=================================  ==============================================
:mod:`ocp.builder.deposit`         Deposit, Confirm, Refund
:mod:`ocp.builder.claim`           Prepare, Kickoff (and the dispute's outputs)
:mod:`ocp.builder.dispute`         Challenge, Assert_j, Slash_j, Disprove_i
:mod:`ocp.builder.payouts`         Take1, Take2, StakeBack1, StakeBack2
:mod:`ocp.builder.assembler`       collecting transactions and created outputs
:mod:`ocp.builder.context`         params, operators, funding transactions
=================================  ==============================================

The soundness rules (:mod:`ocp.rules`) are enforced on the result.  Deviations
from the architecture table are listed in docs/protocol.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocp.builder.assembler import GraphAssembler
from ocp.builder.claim import build_claim, dispute_outputs
from ocp.builder.context import BuildContext, OperatorContext
from ocp.builder.deposit import build_confirm, build_deposit, build_refund
from ocp.builder.dispute import build_assert_chain, build_challenge, build_disproves, chunk_values
from ocp.builder.payouts import build_payouts
from ocp.errors import UserError
from ocp.graph import Graph, graph_id
from ocp.ots import ValueKeys
from ocp.params import Params
from ocp.rules import enforce, graph_rules


def build_graph(params: Params, ots: Sequence[ValueKeys]) -> Graph:
    """Every transaction of the protocol, unsigned, from params and each operator's
    Winternitz public keys (one per trace value; the last is the claim)."""
    _, funding = params.require_funding()
    n = params.computation.n_steps
    ots = tuple(ots)
    if len(ots) != len(params.operators):
        raise UserError(f"{len(ots)} sets of one-time keys for {len(params.operators)} operators")
    for k, keys in enumerate(ots):
        if keys.n_values != n:
            raise UserError(f"operator {k + 1}'s one-time keys cover {keys.n_values} values, the program has {n} steps")
    ctx = BuildContext(params)
    asm = GraphAssembler()
    d = build_deposit(ctx, asm)
    v = build_confirm(ctx, asm, d)
    n_sigs = len(params.n_of_n.keys) + 1  # the committee's signatures and the operator's
    chunks = chunk_values(list(range(n - 1)), ots[0], n_sigs)  # value n-1 (the claim) is revealed by Kickoff
    several = len(params.operators) > 1
    for k, (key, keys, coin) in enumerate(zip(params.operators, ots, funding, strict=True)):
        op = OperatorContext(k, key, keys, coin, k + 1 if several else None)
        outs = dispute_outputs(ctx, op, chunks)
        c, s0 = build_claim(ctx, asm, op, outs)
        build_challenge(ctx, asm, op, c)
        a = build_assert_chain(ctx, asm, op, s0, outs, chunks)
        build_payouts(ctx, asm, op, v, c, s0, a)
        build_disproves(ctx, asm, op, a)
    build_refund(ctx, asm, d)
    txs, outputs = dict(asm.txs), dict(asm.outputs)
    params.windows.check_response_gap(len(chunks))
    enforce(graph_rules(params, txs, outputs, len(chunks)))
    return Graph(params, graph_id(params, ots, txs), ots, txs, outputs, tuple(map(tuple, chunks)))


def minimum_challenge_fee(params: Params, ots: Sequence[ValueKeys]) -> int:
    """The smallest challenge fee :mod:`ocp.rules` accepts for these params (the
    honest operator's response cost, twice over), found by building the graph with
    the largest fee and, if the params have no funding yet, placeholder coins."""
    from dataclasses import replace

    from ocp.params import MAX_MONEY, Funding
    from ocp.rules import CHALLENGE_FEE_FACTOR, response_cost
    from taptrees.tx import OutPoint

    probe = replace(params, challenge_fee=MAX_MONEY // 1000)
    if probe.depositor_funding is None or not probe.operator_funding:
        coin = MAX_MONEY // 1000
        probe = replace(
            probe,
            depositor_funding=Funding(OutPoint("00" * 31 + "01", 0), coin),
            operator_funding=tuple(Funding(OutPoint("00" * 31 + "02", k), coin) for k in range(len(params.operators))),
        )
    graph = build_graph(probe, ots)
    operator = None if len(params.operators) == 1 else 1
    return CHALLENGE_FEE_FACTOR * response_cost(graph.txs, operator)
