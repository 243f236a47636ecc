"""Following the chain: poll a :class:`regtest.chain.Chain`, turn new blocks into
:mod:`ocp.watch.events`, and notice reorganisations.

The follower keeps the hashes of the blocks it processed.  Each :meth:`Follower.poll`

1. walks back from its highest block while the chain's active block at that
   height differs (or the chain is shorter): each such block is disconnected;
2. connects the active chain's blocks above what it kept, reading each block's
   txids and recognising graph transactions (:class:`ocp.watch.index.GraphIndex`);
   a transaction it does not know by txid is fetched only while some output a
   template spends is live (a Challenge, Slash or Disprove could be among them);
3. reads the hashes it just connected again: if a reorganisation raced the scan,
   the blocks no longer active are disconnected at once (the next poll connects
   the new branch).

Only the ``Chain`` protocol is used, so it follows the embedded chain served by
``ocp regtest serve``, a bitcoind, or a KernelChain in the same process.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocp.graph import Graph
from ocp.watch.events import BlockConnected, BlockDisconnected, ChainEvent, Confirmation
from ocp.watch.index import GraphIndex
from regtest.chain import Chain
from taptrees.tx import OutPoint


def first_height(chain: Chain, graph: Graph) -> int:
    """Where following the graph starts: the lowest block that confirms one of its
    fixed-txid transactions (every template spends one of those), else the next
    block."""
    tip = chain.height()
    lowest = tip + 1
    for gtx in graph.txs.values():
        if gtx.template:
            continue
        confirmations = chain.confirmations(gtx.txid)
        if confirmations:
            lowest = min(lowest, tip - confirmations + 1)
    return lowest


@dataclass(frozen=True)
class Block:
    height: int
    hash: str


class Follower:
    """Turns a chain into events about one graph (see the module docstring)."""

    def __init__(self, chain: Chain, graph: Graph, start_height: int | None = None) -> None:
        self.chain = chain
        self.index = GraphIndex.of(graph)
        self.start_height = first_height(chain, graph) if start_height is None else start_height
        self.blocks: list[Block] = []
        self.confirmed: list[Confirmation] = []  # in chain order

    @property
    def tip(self) -> Block | None:
        return self.blocks[-1] if self.blocks else None

    def live_template_inputs(self) -> set[OutPoint]:
        """Outputs a template spends that are confirmed and not spent by anything the
        follower has seen confirmed."""
        created = {OutPoint(c.txid, vout) for c in self.confirmed for vout in range(len(c.tx.outputs))}
        spent = {txin.prevout for c in self.confirmed for txin in c.tx.inputs}
        return (created - spent) & self.index.template_inputs

    def poll(self) -> list[ChainEvent]:
        events: list[ChainEvent] = []
        height = self.chain.height()
        while self.blocks and (
            self.blocks[-1].height > height or self.chain.block_hash(self.blocks[-1].height) != self.blocks[-1].hash
        ):
            events.append(self._disconnect())
        start = self.blocks[-1].height + 1 if self.blocks else self.start_height
        for h in range(start, height + 1):
            events.append(self._connect(h, self.chain.block_hash(h)))
        if start > height:
            return events
        # a reorganisation during the scan: drop what is no longer active
        for block in [b for b in self.blocks if b.height >= start - 1]:
            if self.chain.block_hash(block.height) != block.hash:
                while self.blocks and self.blocks[-1].height >= block.height:
                    events.append(self._disconnect())
                break
        return events

    def _connect(self, height: int, block_hash: str) -> BlockConnected:
        found = []
        live = self.live_template_inputs()
        for index, txid in enumerate(self.chain.block_txids(block_hash)):
            if index == 0:
                continue  # the coinbase
            name = self.index.by_txid.get(txid)
            if name is None and not self.index.may_spend_template_input(live):
                continue
            tx = self.chain.get_tx(txid)
            if tx is None:
                continue  # reorganised away while we read it: caught by the re-check
            name = self.index.identify(tx)
            if name is None:
                continue
            confirmation = Confirmation(name, txid, height, block_hash, index, tx)
            found.append(confirmation)
            self.confirmed.append(confirmation)
            live = self.live_template_inputs()
        self.blocks.append(Block(height, block_hash))
        return BlockConnected(height, block_hash, tuple(found))

    def _disconnect(self) -> BlockDisconnected:
        block = self.blocks.pop()
        self.confirmed = [c for c in self.confirmed if c.block_hash != block.hash]
        return BlockDisconnected(block.height, block.hash)
