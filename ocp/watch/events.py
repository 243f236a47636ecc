"""What the follower reports from the chain: blocks joining or leaving the active
chain, each with the graph transactions it confirms.

A graph transaction is named by its :class:`ocp.ids.TxName` (templates completed
by a challenger -- Challenge, Slash_j, Disprove_i -- included: they are recognised
by the graph output and leaf they spend, not by txid).  A reorganisation is a run
of :class:`BlockDisconnected` (highest first) followed by the new branch's
:class:`BlockConnected`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ocp.ids import TxName
from taptrees.tx import Tx


@dataclass(frozen=True)
class Confirmation:
    """Graph transaction ``name`` mined at ``height``, position ``index`` in its block
    (``tx`` as mined, witnesses included: what a reveal revealed is read from it)."""

    name: TxName
    txid: str
    height: int
    block_hash: str
    index: int
    tx: Tx = field(repr=False, compare=False)

    @property
    def order(self) -> tuple[int, int]:
        """Chain order: height, then position in the block."""
        return (self.height, self.index)

    def to_json(self) -> dict:
        return {"tx": str(self.name), "txid": self.txid, "height": self.height, "block": self.block_hash}


@dataclass(frozen=True)
class BlockConnected:
    """Block ``hash`` at ``height`` joined the active chain."""

    height: int
    hash: str
    confirmations: tuple[Confirmation, ...]


@dataclass(frozen=True)
class BlockDisconnected:
    """Block ``hash`` at ``height`` left the active chain (a reorganisation): every
    graph transaction it confirmed is unconfirmed again."""

    height: int
    hash: str


ChainEvent = BlockConnected | BlockDisconnected
