"""The states of one dispute game and what each move reveals (graph version 2).

A game between an operator and one registered challenger is a sequence of
*states*; in each state one party moves (ARCHITECTURE.md section 5,
docs/stepleaves.md "Who reveals what, in which transaction"):

=================  ===========  ===============================================
state              mover        data outputs (each: the leaves that may spend it)
=================  ===========  ===============================================
reveal r           operator     round r's hashes, in chunks (the first chunk of
                                round r > 0 re-checks the challenger's choice r-1)
choice r           challenger   its choice of round r (range-checked)
execute            operator     Translate (step i from the choices) or, to end
                                the game, TranslateBeyondN; the execute leaf of
                                step i's micro-step kind; RecordRest
catch              challenger   every challenger leaf of the program and search;
                                the first choice of the read search
w reveal r         operator     the read search's round r (r >= 1; round 0 is
                                the first search's)
w choice r         challenger   its read-search choice r
w execute          operator     as ``execute``, under the read search's keys
w catch            challenger   the read-value leaves (ReadValue, CorrectHash,
                                the read search's equivocations)
=================  ===========  ===============================================

Every value name of a state's leaves has one one-time key: the challenger's for
its choices, the operator's for the rest (the claim's keys are shared by every
game of an operator, the others are per game).  A value is revealed in exactly
one move, so nobody signs one key twice in a game.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from ocp.errors import UserError
from ocp.game.claimleaf import ClaimReveal, TranslateBeyondN
from ocp.game.computation import ZkvmComputation
from ocp.ids import Role, TxKind
from ocp.stepleaves.base import CheckLeaf
from ocp.stepleaves.challenges import CorrectHash, ReadValue
from ocp.stepleaves.coverage import required_kinds
from ocp.stepleaves.execute import SEMANTICS, ExecuteLeaf, RecordRest
from ocp.stepleaves.game import program_leaves, search_challenges
from ocp.stepleaves.search import Choice, equivocation_leaves, reveal_chunks, translate_leaf
from taptrees.ots.winternitz import WinternitzPublicKey

#: Value names the challenger signs (its choices); every other signed name is the operator's.
CHALLENGER_PREFIXES = ("choice", "w_choice")
#: Value names of the claim (the Kickoff's), shared by every game of an operator.
CLAIM_NAMES = ("claim_n", "claim_h", "input_len")
#: The read search's prefix (docs/stepleaves.md).
READ = "w_"


class MoveKind(StrEnum):
    """What a move does to the game."""

    NEXT = "next"  # the mover moves on: the game goes to the next state
    BEYOND_N = "beyond-n"  # the operator shows the search ended past N: it wins
    CATCH = "catch"  # the challenger spends a challenger leaf: it wins (with the stake)
    READ = "read"  # the challenger starts the read search


@dataclass(frozen=True)
class DataOutput:
    """A data output of a state: the leaves that may spend it (any one of them), each
    with the key prefix its value names take (``w_`` for an execute leaf of the read
    search, whose leaf names its fields unprefixed)."""

    label: str
    leaves: tuple[CheckLeaf, ...]
    key_prefix: str = ""


@dataclass(frozen=True)
class Move:
    """A move out of a state: which data outputs it spends (by index, with the leaf
    kinds allowed on each) and what follows."""

    kind: MoveKind
    data: tuple[int, ...]
    next_state: int | None  # None: the game ends


class Phase(StrEnum):
    """What the mover does in a state."""

    REVEAL = "reveal"  # the operator reveals a round's hashes
    CHOICE = "choice"  # the challenger chooses a part
    EXECUTE = "execute"  # the operator reveals the disputed step
    CATCH = "catch"  # the challenger spends a leaf that catches the operator


@dataclass(frozen=True)
class State:
    index: int
    label: str
    mover: Role
    data: tuple[DataOutput, ...]
    moves: tuple[Move, ...]
    phase: Phase
    prefix: str = ""  # ``w_`` in the read search
    round: int | None = None  # a search round (REVEAL, CHOICE)

    @property
    def catching(self) -> bool:
        """A challenger state whose move ends the game with the stake."""
        return any(m.kind is MoveKind.CATCH for m in self.moves)


def move_kind(state: State, move: Move) -> TxKind:
    """The transaction kind of ``move`` out of ``state`` (named ``<kind>_<state>``)."""
    if move.kind is MoveKind.READ:
        return TxKind.START_READ
    if move.kind is MoveKind.BEYOND_N:
        return TxKind.BEYOND_N
    if move.kind is MoveKind.CATCH:
        return TxKind.CATCH
    if state.phase is Phase.CHOICE:
        return TxKind.CHOOSE
    return TxKind.EXECUTE if state.phase is Phase.EXECUTE else TxKind.REVEAL


def silent_kind(state: State) -> TxKind:
    """The transaction that ends a game whose mover let ``state``'s window pass."""
    return TxKind.OPERATOR_SILENT if state.mover is Role.OPERATOR else TxKind.CHALLENGER_SILENT


def owner(name: str) -> Role:
    return Role.CHALLENGER if name.startswith(CHALLENGER_PREFIXES) else Role.OPERATOR


def is_claim_value(name: str) -> bool:
    return name in CLAIM_NAMES or (name.startswith("input") and name[5:].isdigit())


def execute_leaves(comp: ZkvmComputation) -> tuple[ExecuteLeaf, ...]:
    """One execute leaf per micro-step kind the program can run (refusing a program
    with a kind no leaf covers: an honest operator would be slashable there)."""
    init = comp.initial
    kinds = sorted(required_kinds(init))
    missing = [k for k in kinds if k not in SEMANTICS]
    if missing:
        raise UserError(
            f"computation.program: {len(missing)} micro-step kinds have no execute leaf "
            f"(first: {missing[0][0]}/{missing[0][1]}); an honest operator could not answer there"
        )
    layout = init.layout
    return tuple(ExecuteLeaf(m, k, init.big_endian, layout.ro, layout.code) for m, k in kinds)


@dataclass(frozen=True, eq=False)
class GameLayout:
    """Every state of a game of ``comp`` (the same for every operator and challenger)."""

    comp: ZkvmComputation

    @cached_property
    def states(self) -> tuple[State, ...]:
        search = self.comp.search
        counts = search.branching
        states: list[State] = []

        def add(
            label: str,
            mover: Role,
            data: list[DataOutput],
            moves: list[Move],
            phase: Phase,
            prefix: str = "",
            round: int | None = None,
        ) -> None:
            states.append(State(len(states), label, mover, tuple(data), tuple(moves), phase, prefix, round))

        def next_move(n_data: int) -> list[Move]:
            return [Move(MoveKind.NEXT, tuple(range(n_data)), len(states) + 1)]

        execute = execute_leaves(self.comp)

        def add_reveal(r: int, chunks: list, prefix: str) -> None:
            """Round r's chunks, in as many operator moves as keep each under the
            standard weight (n = 256 needs several)."""
            parts = reveal_parts(chunks)
            w = "w " if prefix else ""
            for p, part in enumerate(parts):
                label = f"{w}reveal {r}" + (f" part {p + 1}/{len(parts)}" if len(parts) > 1 else "")
                add(
                    label,
                    Role.OPERATOR,
                    [DataOutput(f"{label}.{c}", (leaf,)) for c, leaf in enumerate(part)],
                    next_move(len(part)),
                    Phase.REVEAL,
                    prefix,
                    r,
                )

        # the first search
        for r, b in enumerate(counts):
            add_reveal(r, reveal_chunks(r, b - 1, counts[r - 1] if r else 0), "")
            add(
                f"choice {r}",
                Role.CHALLENGER,
                [DataOutput(f"choice {r}", (Choice(r, b),))],
                next_move(1),
                Phase.CHOICE,
                "",
                r,
            )
        translate = translate_leaf(search)
        add(
            "execute",
            Role.OPERATOR,
            [
                DataOutput("translate", (translate, TranslateBeyondN.of(translate))),
                DataOutput("execute", execute),
                DataOutput("record", (RecordRest(),)),
            ],
            [Move(MoveKind.NEXT, (0, 1, 2), len(states) + 1), Move(MoveKind.BEYOND_N, (0,), None)],
            Phase.EXECUTE,
        )
        catch = tuple(search_challenges(self.comp.initial, search)) + tuple(
            program_leaves(self.comp.initial, self.comp.input_words)
        )
        catch = tuple(leaf for leaf in catch if leaf.spender == "challenger" and not _read_leaf(leaf))
        add(
            "catch",
            Role.CHALLENGER,
            [
                DataOutput("catch", catch),
                DataOutput("w choice 0", (Choice(0, counts[0], READ),)),
            ],
            [Move(MoveKind.CATCH, (0,), None), Move(MoveKind.READ, (1,), len(states) + 1)],
            Phase.CATCH,
        )
        # the read search: round 0 is the first search's
        for r, b in enumerate(counts):
            if r == 0:
                continue
            add_reveal(r, reveal_chunks(r, b - 1, counts[r - 1], prefix=READ), READ)
            add(
                f"w choice {r}",
                Role.CHALLENGER,
                [DataOutput(f"w choice {r}", (Choice(r, b, READ),))],
                next_move(1),
                Phase.CHOICE,
                READ,
                r,
            )
        w_translate = translate_leaf(search, READ)
        add(
            "w execute",
            Role.OPERATOR,
            [
                DataOutput("w translate", (w_translate,)),
                DataOutput("w execute", execute, key_prefix=READ),
                DataOutput("w record", (RecordRest(READ),)),
            ],
            [Move(MoveKind.NEXT, (0, 1, 2), len(states) + 1)],
            Phase.EXECUTE,
            READ,
        )
        read_catch = (ReadValue(1), ReadValue(2), CorrectHash(), *equivocation_leaves(search, READ, shared_first=True))
        add(
            "w catch",
            Role.CHALLENGER,
            [DataOutput("w catch", read_catch)],
            [Move(MoveKind.CATCH, (0,), None)],
            Phase.CATCH,
            READ,
        )
        return tuple(states)

    @cached_property
    def claim_leaf(self) -> ClaimReveal:
        return ClaimReveal(self.comp.input_words)

    @cached_property
    def value_bits(self) -> Mapping[str, int]:
        """Every signed value of a game and of the claim -> its width: one one-time key
        each (a group's name for its fields, ``ocp.stepleaves.schema.GROUPS``)."""
        found: dict[str, int] = {v.name: v.bits for v in self.claim_leaf.values()}
        for state in self.states:
            for data in state.data:
                for leaf in data.leaves:
                    for v in leaf.values():
                        if not v.signed:
                            continue
                        name = data.key_prefix + v.name
                        if found.setdefault(name, v.bits) != v.bits:
                            raise AssertionError(f"value {name} has two widths")
        return found

    def keyed_names(self, leaf: CheckLeaf, prefix: str = "") -> dict[str, str]:
        """A leaf's signed value names -> the game's key names (``prefix`` for the read
        search's execute leaves)."""
        return {v.name: prefix + v.name for v in leaf.values() if v.signed}

    @property
    def rounds(self) -> int:
        return self.comp.search.rounds


#: Weight one reveal move may take (the standard limit is 400,000 WU; the rest is
#: room for the token input, the outputs and the signatures).
REVEAL_TX_WEIGHT = 350_000


def _dummy_keys(leaf: CheckLeaf) -> dict[str, WinternitzPublicKey]:
    """Keys of the right widths (script sizes do not depend on the chain ends)."""
    return {v.name: WinternitzPublicKey(v.params, (bytes(20),) * v.params.total_digits) for v in leaf.layout.signed}


def reveal_weight(leaf: CheckLeaf) -> int:
    """A spend of a reveal chunk, in weight units (witness bytes): its script, its
    witness items (a 20-byte signature or a digit each, with length bytes), the
    mover's signature and a control block of a small tree."""
    items = leaf.layout.witness_items
    return len(leaf.script(_dummy_keys(leaf)).raw) + 3 + items * 12 + 66 + 33 + 32 * 4


def reveal_parts(chunks: list[CheckLeaf], budget: int = REVEAL_TX_WEIGHT) -> list[list[CheckLeaf]]:
    """Consecutive chunks grouped so that each group's spends stay within ``budget``."""
    parts: list[list[CheckLeaf]] = [[]]
    used = 0
    for chunk in chunks:
        w = reveal_weight(chunk)
        if parts[-1] and used + w > budget:
            parts.append([])
            used = 0
        parts[-1].append(chunk)
        used += w
    return parts


def _read_leaf(leaf: CheckLeaf) -> bool:
    """Leaves that need the read search's values (played in ``w catch``)."""
    return any(v.name.startswith(("w_", "cw_")) for v in leaf.values())
