"""The OCP transaction graph: its data model (ARCHITECTURE.md section 4).

A :class:`Graph` is every transaction of the protocol (:class:`GraphTx`), the
taproot outputs they create with their leaves (:class:`GraphOutput`), how each
input is spent and by whom (:class:`InputSpend`), and the signatures collected
in the ceremony.  :mod:`ocp.builder` builds one from params.  Every name is a
typed identity (:mod:`ocp.ids`, :class:`ocp.leaves.LeafName`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ocp.errors import UserError
from ocp.ids import FundingRef, OutputRef, Role, TxName
from ocp.leaves import GraphLeaf, LeafName, Signer
from ocp.ots import ValueKeys
from ocp.params import Params
from taptrees.hashes import tagged_hash
from taptrees.sighash import SIGHASH_ANYONECANPAY, SIGHASH_DEFAULT, SIGHASH_SINGLE
from taptrees.tree import NUMS_INTERNAL_KEY, TapLeaf, TaprootOutput, TapTree
from taptrees.tx import Tx, TxOut

GRAPH_FORMAT = "ocp-graph/2"
#: Policy dust threshold of a P2TR output at Core's default dust relay fee.
P2TR_DUST = 330
CONNECTOR_AMOUNT = 1_000
#: A keyed anchor: the smallest standard P2TR output, for CPFP by its owner.
ANCHOR_AMOUNT = P2TR_DUST
#: Standardness limits the graph respects (policy.h).
MAX_STANDARD_TX_WEIGHT = 400_000
MAX_STACK_ITEMS = 1_000
#: Room left under MAX_STACK_ITEMS for what the verifiers push while they run.
STACK_HEADROOM = 100
#: Keep Assert transactions well below the standard weight.
ASSERT_WEIGHT_BUDGET = 300_000
SIGHASH_SINGLE_ACP = SIGHASH_SINGLE | SIGHASH_ANYONECANPAY

#: Signatures collected in the ceremony: tx -> input -> x-only pubkey -> signature.
Signatures = Mapping[TxName, Mapping[int, Mapping[bytes, bytes]]]


@dataclass(frozen=True, eq=False)
class GraphOutput:
    """A taproot output of the graph (BIP341's unspendable internal key) and its
    leaves, looked up by name."""

    label: str  # for people: D, V, C, S0, A, P
    output: TaprootOutput
    leaves: tuple[GraphLeaf, ...]  # in tree order

    @classmethod
    def build(cls, label: str, leaves: Sequence[GraphLeaf], weights: Sequence[float] | None = None) -> GraphOutput:
        """Huffman tree by ``weights`` when given, else balanced (leaves in order)."""
        taps = [TapLeaf(leaf.script, name=str(leaf.name)) for leaf in leaves]
        tree = TapTree.huffman(taps, weights) if weights else TapTree.balanced(taps)
        by_name = {str(leaf.name): leaf for leaf in leaves}
        ordered = tuple(by_name[tap.name] for tap in tree.leaves)
        return cls(label, TaprootOutput(NUMS_INTERNAL_KEY, tree), ordered)

    @property
    def leaf_names(self) -> tuple[LeafName, ...]:
        return tuple(leaf.name for leaf in self.leaves)

    @cached_property
    def _by_name(self) -> dict[LeafName, GraphLeaf]:
        return {leaf.name: leaf for leaf in self.leaves}

    def leaf(self, name: LeafName) -> GraphLeaf:
        leaf = self._by_name.get(name)
        if leaf is None:
            raise UserError(f"output {self.label} has no leaf {name}")
        return leaf

    def tapleaf(self, name: LeafName) -> TapLeaf:
        return self.output.leaf(str(self.leaf(name).name))

    def control_block(self, name: LeafName) -> bytes:
        return self.output.control_block(str(self.leaf(name).name))

    def witness(self, name: LeafName, stack: Sequence[bytes]) -> tuple[bytes, ...]:
        """Script-path witness: ``stack``, the leaf script, its control block."""
        return self.output.script_path_witness(str(self.leaf(name).name), stack)


@dataclass(frozen=True)
class InputSpend:
    """How one input is spent: which output, by which leaf, signed by whom."""

    source: OutputRef | FundingRef
    leaf: LeafName | None  # None for a key-path spend of a role's funding coin
    signers: tuple[Signer, ...]  # every key whose signature the witness needs
    hash_type: int = SIGHASH_DEFAULT
    presigned: bool = False  # every signer signs in the ceremony, before Confirm
    #: a data output of a game: the mover spends whichever of its leaves it needs
    #: (``leaf`` names the first), signing when it moves
    any_leaf: bool = False


@dataclass(frozen=True)
class GraphTx:
    name: TxName
    role: Role  # who broadcasts it
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
    graph_id: bytes  # commits to the params, every one-time key and every txid
    ots: tuple[ValueKeys, ...]  # each operator's one-time public keys
    txs: Mapping[TxName, GraphTx]
    outputs: Mapping[OutputRef, GraphOutput]
    chunks: tuple[tuple[int, ...], ...]  # value indices revealed by each Assert_j
    signatures: Signatures = field(default_factory=dict)
    #: version 2: every party's one-time public keys, and the games' layout
    game_keys: object = None  # ocp.game.keys.GameKeys
    layout: object = None  # ocp.game.layout.GameLayout

    def tx(self, name: TxName) -> GraphTx:
        try:
            return self.txs[name]
        except KeyError:
            raise UserError(f"graph has no transaction {name}") from None

    def output(self, ref: OutputRef) -> GraphOutput:
        try:
            return self.outputs[ref]
        except KeyError:
            raise UserError(f"graph has no protocol output {ref}") from None

    def spend_leaf(self, spend: InputSpend) -> tuple[GraphOutput, GraphLeaf]:
        """The output and leaf a script-path input spends."""
        if spend.leaf is None or not isinstance(spend.source, OutputRef):
            raise UserError(f"{spend.source} is spent by key path, not by a leaf")
        out = self.output(spend.source)
        return out, out.leaf(spend.leaf)

    def signature(self, tx: TxName, index: int, pubkey: bytes) -> bytes | None:
        return self.signatures.get(tx, {}).get(index, {}).get(pubkey)

    @property
    def n_chunks(self) -> int:
        return len(self.chunks)


def params_id(params: Params) -> bytes:
    """Digest of the params alone: names the graph in one-time key paths and in the
    Kickoff's OP_RETURN, which must be fixed before the keys and txids exist."""
    canonical = json.dumps(params.to_json(), sort_keys=True, separators=(",", ":"))
    return tagged_hash("ocp/graph-id", canonical.encode())


def graph_id(
    params: Params, ots: Sequence[ValueKeys], txs: Mapping[TxName, GraphTx], game_keys: object = None
) -> bytes:
    """The one digest every party compares out of band before signing: it commits
    to the params, every operator's one-time public keys and every txid, so a
    relayer who swaps a key or a transaction changes it."""
    data = bytearray(params_id(params))
    for keys in ots:
        data += tagged_hash("ocp/ots-keys", json.dumps(keys.to_json(), sort_keys=True).encode())
    if game_keys is not None:
        data += tagged_hash("ocp/game-keys", json.dumps(game_keys.to_json(), sort_keys=True).encode())
    for name, gtx in txs.items():
        data += str(name).encode() + b"\0" + bytes.fromhex(gtx.txid)
    return tagged_hash("ocp/graph-id/2", bytes(data))
