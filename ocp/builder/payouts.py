"""Take1 and Take2: the operator is paid the deposit and gets its stake back.

* Take1 (unchallenged): V + C + S0 after ``challenge_window``.
* Take2 (answered): V + A after ``disprove_window``.
"""

from __future__ import annotations

from ocp.builder.assembler import Created, GraphAssembler, leaf_input
from ocp.builder.claim import TAKE1, TAKE2
from ocp.builder.context import BuildContext
from ocp.builder.deposit import PAYOUT
from ocp.fees import leaf_spend_weight, sweep
from ocp.graph import GraphTx
from ocp.ids import Role, TxKind, TxName


def build_payouts(
    ctx: BuildContext, asm: GraphAssembler, v: Created, c: Created, s0: Created, a: Created
) -> None:
    w = ctx.params.windows
    to = ctx.pays(Role.OPERATOR)
    for name, purpose, spends in (
        (TxName(TxKind.TAKE1), "pays the unchallenged operator: deposit and stake back",
         ((v, PAYOUT, None), (c, TAKE1, w.challenge), (s0, TAKE1, w.challenge))),
        (TxName(TxKind.TAKE2), "pays the operator whose Assert stood through the disprove window",
         ((v, PAYOUT, None), (a, TAKE2, w.disprove))),
    ):  # fmt: skip
        ins, how, spent, weight = [], [], [], 0
        for src, leaf, csv in spends:
            seq = {} if csv is None else {"sequence": csv}
            txin, spend = leaf_input(src, leaf, presigned=True, **seq)
            ins.append(txin)
            how.append(spend)
            spent.append(src.txout)
            weight += leaf_spend_weight(src.output, leaf)
        tx = sweep(ins, spent, to, weight, ctx.params.fee_rate)
        asm.add(GraphTx(name, Role.OPERATOR, purpose, tx, tuple(how), tuple(spent)))
