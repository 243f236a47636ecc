"""Building the OCP transaction graph, version 1 (ARCHITECTURE.md section 4).

:func:`build_graph` turns :class:`~ocp.params.Params` and the operator's
Winternitz public keys into every transaction of the protocol, unsigned, with
the outputs each one spends.  The txids of everything the committee pre-signs
are fixed at build time: Deposit and Prepare spend key-path funding coins, and
everything after them spends only graph outputs; transactions that a
challenger completes (Challenge, Slash, Disprove) are templates whose
pre-signed part is fixed by SIGHASH_SINGLE (| ANYONECANPAY).

One module per transaction family, each taking the outputs it spends:

=================================  ==============================================
module                             transactions
=================================  ==============================================
:mod:`ocp.builder.deposit`         Deposit, Confirm, Refund
:mod:`ocp.builder.claim`           Prepare, Kickoff (and the dispute's outputs)
:mod:`ocp.builder.dispute`         Challenge, Assert_j, Slash_j, Disprove_i
:mod:`ocp.builder.payouts`         Take1, Take2
:mod:`ocp.builder.assembler`       collecting transactions and created outputs
:mod:`ocp.builder.context`         params, keys, funding transactions
=================================  ==============================================

Deviations from the architecture table are listed in docs/protocol.md.
"""

from __future__ import annotations

from ocp.builder.assembler import GraphAssembler
from ocp.builder.claim import build_claim, dispute_outputs
from ocp.builder.context import BuildContext
from ocp.builder.deposit import build_confirm, build_deposit, build_refund
from ocp.builder.dispute import build_assert_chain, build_challenge, build_disproves, chunk_values
from ocp.builder.payouts import build_payouts
from ocp.errors import UserError
from ocp.graph import P2TR_DUST, Graph, GraphTx, graph_id_of
from ocp.ots import ValueKeys
from ocp.params import Params
from taptrees.opcodes import OP_RETURN


def build_graph(params: Params, ots: ValueKeys) -> Graph:
    """Every transaction of the protocol, unsigned, from params and the operator's
    Winternitz public keys (one per trace value; the last is the claim)."""
    params.require_funding()
    n = params.computation.n_steps
    if ots.n_values != n:
        raise UserError(f"operator one-time keys cover {ots.n_values} values, program has {n} steps")
    ctx = BuildContext(params, ots)
    asm = GraphAssembler()
    d = build_deposit(ctx, asm)
    v = build_confirm(ctx, asm, d)
    chunks = chunk_values(list(range(n - 1)), ots)  # value n-1 (the claim) is revealed by Kickoff
    outs = dispute_outputs(ctx, chunks)
    c, s0 = build_claim(ctx, asm, outs)
    build_challenge(ctx, asm, c)
    a = build_assert_chain(ctx, asm, s0, outs, chunks)
    build_payouts(ctx, asm, v, c, s0, a)
    build_disproves(ctx, asm, a)
    build_refund(ctx, asm, d)
    _check_amounts(asm.txs.values())
    return Graph(params, graph_id_of(params), ots, dict(asm.txs), dict(asm.outputs), tuple(map(tuple, chunks)))


def _check_amounts(txs) -> None:
    for g in txs:
        g: GraphTx
        for vout, out in enumerate(g.tx.outputs):
            if out.script_pubkey[:1] != bytes([OP_RETURN]) and out.value < P2TR_DUST:
                raise UserError(f"{g.name} output {vout} ({out.value} sat) is below dust")
        if not g.template and sum(o.value for o in g.spent) < sum(o.value for o in g.tx.outputs):
            raise UserError(f"{g.name} spends less than it pays")
