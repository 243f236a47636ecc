"""What every builder family reads: params, each operator's one-time keys and
the scripts that pay each role."""

from __future__ import annotations

from dataclasses import dataclass

from ocp.errors import UserError
from ocp.fees import fee_for, key_spend_weight, tx_weight
from ocp.graph import P2TR_DUST, GraphTx, InputSpend
from ocp.ids import FundingRef, Role, TxKind, TxName
from ocp.ots import ValueKeys
from ocp.params import Funding, Params
from ocp.program import Computation
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxIn, TxOut


def pays(key: bytes) -> bytes:
    """scriptPubKey of a role's own key (a BIP86-style key-path output)."""
    return TaprootOutput(key).script_pubkey


@dataclass(frozen=True)
class BuildContext:
    params: Params

    @property
    def computation(self) -> Computation:
        return self.params.computation

    def funding_tx(
        self,
        name: TxName,
        role: Role,
        key: bytes,
        source: FundingRef,
        purpose: str,
        funding: Funding,
        pay: TxOut,
        what: str,
    ) -> GraphTx:
        """A role's key-path coin -> ``pay`` plus change back to the role (if above
        dust; the change also lets the role bump the fee by CPFP)."""
        owner = pays(key)
        txin = TxIn(funding.outpoint)
        draft = Tx(2, (txin,), (pay, TxOut(0, owner)))
        fee = fee_for(tx_weight(draft, key_spend_weight()), self.params.fee_rate)
        change = funding.amount - pay.value - fee
        if change < P2TR_DUST:
            raise UserError(
                f"{source.field} ({funding.amount} sat) does not cover {what} ({pay.value} sat), the "
                f"{name} fee ({fee} sat) and {P2TR_DUST} sat of change to bump its fee with"
            )
        return GraphTx(
            name,
            role,
            purpose,
            Tx(2, (txin,), (pay, TxOut(change, owner))),
            (InputSpend(source, None, ((role, key),)),),
            (TxOut(funding.amount, owner),),
        )


@dataclass(frozen=True)
class OperatorContext:
    """One operator's part of the graph: its key, one-time keys, funding coin and
    the number its transactions carry (None when the deposit has one operator)."""

    index: int
    key: bytes
    ots: ValueKeys
    funding: Funding
    number: int | None

    def name(self, kind: TxKind, index: int | None = None) -> TxName:
        return TxName(kind, index, self.number)

    @property
    def funding_ref(self) -> FundingRef:
        return FundingRef(Role.OPERATOR, self.number)

    @property
    def label(self) -> str:
        """Suffix of this operator's output labels (S0, A@2, ...)."""
        return "" if self.number is None else f"@{self.number}"
