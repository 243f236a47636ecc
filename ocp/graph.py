"""The OCP transaction graph, version 1: its data model (ARCHITECTURE.md section 4).

A :class:`Graph` is every transaction of the protocol (:class:`GraphTx`), the
taproot outputs they create with their named leaves (:class:`GraphOutput`), how
each input is spent and by whom (:class:`InputSpend`), and the signatures
collected in the ceremony.  :mod:`ocp.builder` builds one from params.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ocp.errors import UserError
from ocp.ots import ValueKeys
from ocp.params import Params
from taptrees.hashes import tagged_hash
from taptrees.sighash import SIGHASH_ANYONECANPAY, SIGHASH_DEFAULT, SIGHASH_SINGLE
from taptrees.tree import TaprootOutput
from taptrees.tx import Tx, TxOut

GRAPH_FORMAT = "ocp-graph/1"
#: Policy dust threshold of a P2TR output at Core's default dust relay fee.
P2TR_DUST = 330
CONNECTOR_AMOUNT = 1_000
#: Standardness limits the graph respects (policy.h).
MAX_STANDARD_TX_WEIGHT = 400_000
MAX_STACK_ITEMS = 1_000
#: Room left under MAX_STACK_ITEMS for what the verifiers push while they run.
STACK_HEADROOM = 100
#: Keep Assert transactions well below the standard weight.
ASSERT_WEIGHT_BUDGET = 300_000
SIGHASH_SINGLE_ACP = SIGHASH_SINGLE | SIGHASH_ANYONECANPAY


@dataclass(frozen=True)
class GraphOutput:
    """A taproot output of the graph with its named leaves."""

    label: str
    output: TaprootOutput
    leaf_names: tuple[str, ...]

    def leaf_index(self, name: str) -> int:
        try:
            return self.leaf_names.index(name)
        except ValueError:
            raise UserError(f"output {self.label} has no leaf {name!r}") from None


@dataclass(frozen=True)
class InputSpend:
    """How one input is spent: which graph output, by which leaf, signed by whom."""

    source: str  # "Tx:vout" of a graph output, or "funding:<role>"
    leaf: str | None  # None for a key-path spend
    signers: tuple[str, ...]  # roles whose signatures the witness needs
    hash_type: int = SIGHASH_DEFAULT
    presigned: bool = False  # signed in the ceremony (committee/operator), before Confirm


@dataclass(frozen=True)
class GraphTx:
    name: str
    role: str  # who broadcasts it
    purpose: str
    tx: Tx
    spends: tuple[InputSpend, ...]
    spent: tuple[TxOut, ...]
    template: bool = False  # completed by a challenger (extra inputs/outputs)

    @property
    def txid(self) -> str:
        return self.tx.txid


@dataclass(frozen=True)
class Graph:
    params: Params
    graph_id: bytes
    ots: ValueKeys
    txs: dict[str, GraphTx]
    outputs: dict[str, GraphOutput]  # by "Tx:vout"
    chunks: tuple[tuple[int, ...], ...]  # value indices revealed by each Assert_j
    signatures: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)

    def tx(self, name: str) -> GraphTx:
        try:
            return self.txs[name]
        except KeyError:
            raise UserError(f"graph has no transaction {name!r}") from None

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)


def graph_id_of(params: Params) -> bytes:
    canonical = json.dumps(params.to_json(), sort_keys=True, separators=(",", ":"))
    return tagged_hash("ocp/graph-id", canonical.encode())
