"""How an honest operator is paid, or gets its stake back.

* Take1 (unchallenged): V + C + S0 after ``challenge_window``.
* Take2 (answered): V + A after ``disprove_window``.
* StakeBack1 / StakeBack2: the same without V, for an honest operator whose
  deposit another operator already took (several operators share one vault and
  the first valid Take wins; ARCHITECTURE.md section 4).

Each pays the operator's own key, which is also what it bumps the fee with.
"""

from __future__ import annotations

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.claim import TAKE1, TAKE2
from ocp.builder.context import BuildContext, OperatorContext, pays
from ocp.builder.deposit import PAYOUT
from ocp.fees import leaf_spend_weight, sweep
from ocp.graph import GraphTx
from ocp.ids import Role, TxKind


def build_payouts(
    ctx: BuildContext,
    asm: GraphAssembler,
    op: OperatorContext,
    v: Created,
    c: Created,
    s0: Created,
    a: Created,
) -> None:
    w = ctx.params.windows
    vault = ((v, PAYOUT, None),)
    unchallenged = ((c, TAKE1, w.challenge), (s0, TAKE1, w.challenge))
    answered = ((a, TAKE2, w.disprove),)
    for kind, purpose, spends in (
        (TxKind.TAKE1, "pays the unchallenged operator: deposit and stake back", vault + unchallenged),
        (TxKind.TAKE2, "pays the operator whose Assert stood through the disprove window", vault + answered),
        (TxKind.STAKEBACK1, "returns the stake of an unchallenged operator the vault no longer pays", unchallenged),
        (TxKind.STAKEBACK2, "returns the stake of an answered operator the vault no longer pays", answered),
    ):
        ins, how, spent, weight = [], [], [], 0
        for src, leaf, csv in spends:
            seq = {} if csv is None else {"sequence": csv}
            txin, spend = leaf_input(src, leaf, presigned=True, **seq)
            ins.append(txin)
            how.append(spend)
            spent.append(src.txout)
            weight += leaf_spend_weight(src.output, leaf)
        tx = sweep(ins, spent, pays(op.key), weight, ctx.params.fee_rate)
        asm.add(GraphTx(op.name(kind), Role.OPERATOR, purpose, tx, tuple(how), tuple(spent)))
