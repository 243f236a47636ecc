"""What every builder family reads: params, the operator's one-time keys and
the scripts that pay each role."""

from __future__ import annotations

from dataclasses import dataclass

from ocp.errors import UserError
from ocp.fees import fee_for, key_spend_weight, tx_weight
from ocp.graph import P2TR_DUST, GraphTx, InputSpend
from ocp.ids import FundingRef, Role, TxName
from ocp.ots import ValueKeys
from ocp.params import Funding, Params
from ocp.program import Computation
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxIn, TxOut


@dataclass(frozen=True)
class BuildContext:
    params: Params
    ots: ValueKeys

    @property
    def computation(self) -> Computation:
        return self.params.computation

    def pays(self, role: Role) -> bytes:
        """scriptPubKey of a role's own key (BIP86-style key-path output)."""
        return TaprootOutput(self.params.key_of(role)).script_pubkey

    def funding_tx(
        self, name: TxName, role: Role, purpose: str, funding: Funding, pay: TxOut, what: str
    ) -> GraphTx:
        """A role's key-path coin -> ``pay`` plus change back to the role (if above dust)."""
        owner = self.pays(role)
        txin = TxIn(funding.outpoint)
        draft = Tx(2, (txin,), (pay, TxOut(0, owner)))
        fee = fee_for(tx_weight(draft, key_spend_weight()), self.params.fee_rate)
        change = funding.amount - pay.value - fee
        if change < 0:
            raise UserError(
                f"funding.{role} ({funding.amount} sat) does not cover {what} "
                f"({pay.value} sat) plus the {name} fee ({fee} sat)"
            )
        outs = (pay, TxOut(change, owner)) if change >= P2TR_DUST else (pay,)
        return GraphTx(
            name, role, purpose, Tx(2, (txin,), outs),
            (InputSpend(FundingRef(role), None, (role,)),),
            (TxOut(funding.amount, owner),),
        )  # fmt: skip
