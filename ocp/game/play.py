"""Moves of a version-2 game as transactions, and reading them back from a chain.

A game's transactions are all in the signed graph (:mod:`ocp.builder.games`):
the committee pre-signed each one's token input (SIGHASH_ALL), which fixes every
input and output.  What is left to the mover is the witness of each data input:
the check leaf it picks (any leaf of that output), the one-time-signature items
that leaf verifies, and its own signature for that leaf.  Txids do not depend on
witnesses, so which move happened is which graph transaction the chain holds.

:class:`GameRef` names the game's transactions and outputs; :func:`move_tx`
completes one; :func:`read_tx` learns what a mined one revealed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from ocp.errors import UserError
from ocp.game.book import SignatureBook
from ocp.game.layout import DataOutput, GameLayout, Move, State, move_kind, silent_kind
from ocp.graph import Graph, GraphOutput
from ocp.ids import OutputRef, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.leaves.checked import CheckedLeaf
from ocp.signing import sign_spend
from ocp.witness import input_witness, signed_tx
from taptrees.tree import parse_script_path_witness
from taptrees.tx import Tx, TxOut

#: A transaction ready to submit and the outputs it spends.
Built = tuple[Tx, list[TxOut]]


@dataclass(frozen=True, eq=False)
class GameRef:
    """Game of operator ``operator`` against challenger ``challenger`` (0-based) in a
    signed version-2 graph."""

    graph: Graph
    operator: int
    challenger: int

    def __post_init__(self) -> None:
        if self.graph.layout is None:
            raise UserError("the graph is version 1: it has no games")
        p = self.graph.params
        if not 0 <= self.operator < len(p.operators) or not 0 <= self.challenger < len(p.challengers):
            raise UserError(
                f"the graph has no game of operator {self.operator + 1} and challenger {self.challenger + 1}"
            )

    @property
    def layout(self) -> GameLayout:
        return self.graph.layout  # type: ignore[return-value]

    @property
    def number(self) -> int | None:
        """The operator's number in transaction names (None with one operator)."""
        return self.operator + 1 if len(self.graph.params.operators) > 1 else None

    def name(self, kind: TxKind, index: int | None = None) -> TxName:
        return TxName(kind, index, self.number, self.challenger + 1)

    @property
    def kickoff(self) -> TxName:
        return TxName(TxKind.KICKOFF, None, self.number)

    @property
    def open(self) -> TxName:
        return self.name(TxKind.OPEN)

    def move_name(self, state: State, move: Move) -> TxName:
        return self.name(move_kind(state, move), state.index)

    def silent_name(self, state: State) -> TxName:
        return self.name(silent_kind(state), state.index)

    @cached_property
    def created_by(self) -> dict[int, TxName]:
        """State index -> the transaction that creates its outputs."""
        out = {0: self.open}
        for state in self.layout.states:
            for move in state.moves:
                if move.next_state is not None:
                    out[move.next_state] = self.move_name(state, move)
        return out

    def data_ref(self, state: State, j: int) -> OutputRef:
        return OutputRef(self.created_by[state.index], 1 + j)

    @cached_property
    def keys(self) -> dict:
        return self.graph.game_keys.game(self.operator, self.challenger)  # type: ignore[union-attr]

    def new_book(self) -> SignatureBook:
        return SignatureBook(self.keys)

    @cached_property
    def claim_leaf(self) -> CheckedLeaf:
        spend = self.graph.tx(self.kickoff).spends[0]
        _, leaf = self.graph.spend_leaf(spend)
        assert isinstance(leaf, CheckedLeaf)
        return leaf

    @cached_property
    def _prefix_of(self) -> dict[OutputRef, DataOutput]:
        return {self.data_ref(s, j): d for s in self.layout.states for j, d in enumerate(s.data)}

    def data_output(self, ref: OutputRef) -> DataOutput:
        return self._prefix_of[ref]


def leaf_named(output: GraphOutput, kind: str) -> CheckedLeaf:
    """The leaf of a data output whose check leaf is of ``kind`` (its name)."""
    for leaf in output.leaves:
        if isinstance(leaf, CheckedLeaf) and leaf.check.kind == kind:
            return leaf
    raise UserError(f"output {output.label} has no {kind} leaf")


def leaf_for(output: GraphOutput, check: object) -> CheckedLeaf:
    """The leaf of a data output that wraps ``check`` (a check leaf, compared by value)."""
    for leaf in output.leaves:
        if isinstance(leaf, CheckedLeaf) and leaf.check == check:
            return leaf
    raise UserError(f"output {output.label} has no leaf {check}")


def kickoff_tx(ref: GameRef, book: SignatureBook, operator: RoleKey) -> Built:
    """The Kickoff with the claim's one-time signatures (``book`` must hold them)."""
    name = ref.kickoff
    gtx = ref.graph.tx(name)
    items = book.witness(ref.claim_leaf.check)
    tx = gtx.tx.with_witness(0, input_witness(ref.graph, name, 0, gtx.tx, gtx.spent, [operator], items))
    return tx, list(gtx.spent)


def open_tx(ref: GameRef, challenger: RoleKey) -> Built:
    """Open: the gate (pre-signed) and the challenger's registered bond coin (signed now)."""
    gtx = ref.graph.tx(ref.open)
    return signed_tx(ref.graph, ref.open, [challenger]), list(gtx.spent)


def move_tx(
    ref: GameRef, name: TxName, data: Mapping[int, tuple[CheckedLeaf, Sequence[bytes]]], mover: RoleKey
) -> Built:
    """Graph transaction ``name`` completed: pre-signed inputs from the graph; each data
    input ``i`` in ``data`` by the leaf given, with those witness items and the mover's
    signature for that leaf."""
    graph = ref.graph
    gtx = graph.tx(name)
    tx = gtx.tx
    for i, spend in enumerate(gtx.spends):
        if not spend.any_leaf:
            tx = tx.with_witness(i, input_witness(graph, name, i, gtx.tx, gtx.spent))
            continue
        if i not in data:
            raise UserError(f"{name} input {i}: no leaf chosen for the data output")
        leaf, items = data[i]
        chosen = replace(spend, leaf=leaf.name)
        signed = replace(gtx, spends=tuple(chosen if j == i else s for j, s in enumerate(gtx.spends)))
        sig = sign_spend(graph, signed, i, mover, gtx.tx, gtx.spent)
        out = graph.output(spend.source)  # type: ignore[arg-type]
        tx = tx.with_witness(i, out.witness(leaf.name, leaf.stack(lambda role, pk, sig=sig: sig, list(items))))
    return tx, list(gtx.spent)


def spent_leaf(output: GraphOutput, witness: Sequence[bytes]) -> tuple[CheckedLeaf, list[bytes]]:
    """Which leaf of ``output`` a script-path witness spent, and its stack."""
    parsed = parse_script_path_witness(witness)
    for leaf in output.leaves:
        if leaf.script.raw == parsed.script:
            assert isinstance(leaf, CheckedLeaf)
            return leaf, list(parsed.stack)
    raise UserError(f"a witness spends output {output.label} by a script it does not have")


def read_tx(ref: GameRef, name: TxName, tx: Tx, book: SignatureBook) -> dict[int, str]:
    """Learn what mined graph transaction ``name`` (as ``tx``) revealed into ``book``:
    the Kickoff's claim, or each data input's leaf.  Returns input index -> the
    check leaf kind it spent."""
    gtx = ref.graph.tx(name)
    kinds: dict[int, str] = {}
    if name == ref.kickoff:
        leaf = ref.claim_leaf
        stack = parse_script_path_witness(tx.inputs[0].witness).stack
        book.read(leaf.check, stack[: len(stack) - len(leaf.by)])
        return {0: leaf.check.kind}
    for i, spend in enumerate(gtx.spends):
        if not spend.any_leaf:
            continue
        src = spend.source
        assert isinstance(src, OutputRef)
        leaf, stack = spent_leaf(ref.graph.output(src), tx.inputs[i].witness)
        book.read(leaf.check, stack[: len(stack) - len(leaf.by)], ref.data_output(src).key_prefix)
        kinds[i] = leaf.check.kind
    return kinds


def data_leaf(ref: GameRef, state: State, j: int, check: object) -> CheckedLeaf:
    """The graph leaf of state ``state``'s data output ``j`` that wraps ``check``."""
    return leaf_for(ref.graph.output(ref.data_ref(state, j)), check)
