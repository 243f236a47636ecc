"""Recognising the graph's transactions in blocks.

Every graph transaction but the templates has a txid fixed when the graph is
built (segwit: witnesses are outside the txid).  A template -- the Challenge,
each Slash_j and Disprove_i -- is completed by whoever broadcasts it (extra
inputs, a reward output), so its txid is not known in advance; it is recognised by
what it must spend: the graph output and the leaf (the tapscript in its witness,
BIP341) of its first input.  Every output of the graph has BIP341's unspendable
internal key, so any spend of one is one of these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.graph import Graph
from ocp.ids import TxName
from taptrees.errors import InputError
from taptrees.tree import parse_script_path_witness
from taptrees.tx import OutPoint, Tx


@dataclass(frozen=True)
class GraphIndex:
    """The graph's transactions by txid, and its templates by the spend they make."""

    by_txid: Mapping[str, TxName]
    by_spend: Mapping[tuple[OutPoint, bytes], TxName]  # (graph output, leaf script) -> template
    template_inputs: frozenset[OutPoint]  # outputs a template spends

    @classmethod
    def of(cls, graph: Graph) -> GraphIndex:
        by_txid: dict[str, TxName] = {}
        by_spend: dict[tuple[OutPoint, bytes], TxName] = {}
        for name, gtx in graph.txs.items():
            if not gtx.template:
                by_txid[gtx.txid] = name
                continue
            spend = gtx.spends[0]
            out, _ = graph.spend_leaf(spend)
            script = out.tapleaf(spend.leaf).script.raw
            by_spend[(gtx.tx.inputs[0].prevout, script)] = name
        inputs = frozenset(outpoint for outpoint, _ in by_spend)
        return cls(by_txid, by_spend, inputs)

    def identify(self, tx: Tx) -> TxName | None:
        """The graph transaction ``tx`` is (a template as completed by anyone), or None."""
        name = self.by_txid.get(tx.txid)
        if name is not None:
            return name
        for txin in tx.inputs:
            if txin.prevout not in self.template_inputs:
                continue
            try:
                script = parse_script_path_witness(txin.witness).script
            except InputError:
                continue
            name = self.by_spend.get((txin.prevout, script))
            if name is not None:
                return name
        return None

    def may_spend_template_input(self, live: set[OutPoint]) -> bool:
        """Whether an unknown transaction could be a template now: some output a
        template spends exists on chain and is unspent (``live``)."""
        return bool(live & self.template_inputs)
