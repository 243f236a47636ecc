"""The signature status of every input of the graph, as the picture colours it.

The ceremony's duties are :func:`ocp.signing.outstanding_signatures`'s: every
pre-signed input (Confirm, Kickoff, Assert_j, the Takes and StakeBacks, and the
templates Challenge, Slash_j and Disprove_i) and each role's own key-path coin
(Deposit, Prepare).  An input outside the ceremony (Refund's; in version 2 every
game move's data inputs and a challenger's bond coin in its Open) is signed by its
role when it is broadcast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from ocp.graph import SIGHASH_SINGLE_ACP, Graph
from ocp.ids import TxName
from ocp.signing import CEREMONY_ROLES, GapKind, SignatureGap


class InputStatus(StrEnum):
    """What an input's signatures are, in the order the legend lists them."""

    PRESIGNED = "pre-signed"  # every signature is collected and valid
    TEMPLATE = "template"  # pre-signed SINGLE|ANYONECANPAY; a challenger completes the transaction
    AT_BROADCAST = "signed at broadcast"  # its role signs when it broadcasts (Refund)
    MISSING = "missing"  # a ceremony signature is not there yet
    INVALID = "invalid"  # a stored signature does not verify, or its key is unknown

    @property
    def meaning(self) -> str:
        return _MEANING[self]


_MEANING = {
    InputStatus.PRESIGNED: "every signature collected and valid",
    InputStatus.TEMPLATE: "pre-signed SINGLE|ANYONECANPAY; a challenger adds inputs and outputs",
    InputStatus.AT_BROADCAST: "signed by its role when broadcast",
    InputStatus.MISSING: "a ceremony signature is still missing",
    InputStatus.INVALID: "a stored signature does not verify",
}

#: An input of the graph: (transaction, input index).
InputKey = tuple[TxName, int]


def input_statuses(graph: Graph, gaps: Iterable[SignatureGap]) -> Mapping[InputKey, InputStatus]:
    """The status of every input of ``graph``, given its outstanding signatures
    (:func:`ocp.signing.outstanding_signatures`)."""
    worst: dict[InputKey, GapKind] = {}
    for gap in gaps:
        key = (gap.tx, gap.index)
        if worst.get(key) in (None, GapKind.MISSING):
            worst[key] = gap.kind
    out: dict[InputKey, InputStatus] = {}
    for name, gtx in graph.txs.items():
        for index, spend in enumerate(gtx.spends):
            key = (name, index)
            gap = worst.get(key)
            if gap is not None:
                out[key] = InputStatus.MISSING if gap is GapKind.MISSING else InputStatus.INVALID
            elif not (spend.presigned or (spend.leaf is None and all(r in CEREMONY_ROLES for r, _ in spend.signers))):
                out[key] = InputStatus.AT_BROADCAST
            elif gtx.template and spend.hash_type == SIGHASH_SINGLE_ACP:
                out[key] = InputStatus.TEMPLATE
            else:
                out[key] = InputStatus.PRESIGNED
    return out
