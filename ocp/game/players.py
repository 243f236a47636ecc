"""The two parties of a version-2 game deciding their moves from the chain.

Each party keeps a :class:`~ocp.game.book.SignatureBook` of what the game's
mined transactions revealed (it learns them with :func:`ocp.game.play.read_tx`)
and decides with a strategy of :mod:`ocp.zkvm.dispute` over its own run of the
program: :class:`OperatorPlayer` wraps an ``HonestOperator`` or a
``FaultyOperator`` (its hashes and records), :class:`ChallengerPlayer` an
``HonestChallenger`` or a ``FaultyChallenger`` (its choices, which read to
dispute).  Nothing is passed between the parties except through the chain: the
challenger reads the claim, the hashes and the disputed record from witnesses,
the operator reads the choices.

A move is ``(transaction name, transaction, spent outputs)``, or ``None`` when
the party has no move its leaves accept (it is then the silent party).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ocp.errors import UserError
from ocp.game.book import SignatureBook
from ocp.game.layout import READ, MoveKind, Phase, State
from ocp.game.play import Built, GameRef, data_leaf, kickoff_tx, move_tx, open_tx
from ocp.ids import TxName
from ocp.keyfile import RoleKey
from ocp.stepleaves.base import CheckLeaf
from ocp.stepleaves.execute import ExecuteLeaf
from ocp.stepleaves.game import hash_int, input_words, record_values
from ocp.stepleaves.schema import LINK_FIELDS
from ocp.stepleaves.search import hash_key
from ocp.zkvm.claim import Claim, program_digest
from ocp.zkvm.dispute import HonestChallenger, HonestOperator, judge
from ocp.zkvm.micro import kind_of
from ocp.zkvm.record import H0, Read, StepRecord, Write
from ocp.zkvm.trace import ExecutionTrace
from taptrees.ots.winternitz import WinternitzKey

#: Challenger leaves in the order the trace half's judge tries them
#: (:func:`ocp.zkvm.dispute.judge`); any spendable one wins, this picks the same one.
CATCH_ORDER = (
    "TraceHashZero",
    "TraceHash",
    "Halt",
    "HaltBeyondMax",
    "AddressesSections",
    "EntryPoint",
    "ProgramCounter",
    "OpcodeChunk",
    "FutureRead",
    "Input",
    "InitializedChunk",
    "Uninitialized",
    "EquivocationResign",
    "ReadValue",
    "CorrectHash",
)


def hash_bytes(value: int) -> bytes:
    """Inverse of :func:`ocp.stepleaves.game.hash_int`."""
    return value.to_bytes(20, "little")


def claim_values(claim: Claim, big_endian: bool, words: int) -> dict[str, int]:
    """The Kickoff's values of ``claim`` (input tape as ``words`` words)."""
    if len(claim.input) > 4 * words:
        raise UserError(f"the input is {len(claim.input)} bytes; the graph signs at most {4 * words}")
    v = {"claim_n": claim.steps, "claim_h": hash_int(claim.final_hash), "input_len": len(claim.input)}
    v.update({f"input{k}": w for k, w in enumerate(input_words(claim.input, big_endian, words))})
    return v


def claim_from_book(ref: GameRef, book: SignatureBook) -> Claim:
    """The claim as the Kickoff revealed it."""
    comp = ref.layout.comp
    v = book.values
    order = "big" if comp.big_endian else "little"
    tape = b"".join(v[f"input{k}"].to_bytes(4, order) for k in range(comp.input_words))
    n = v["input_len"]
    if n > len(tape):
        raise UserError(f"the claim's input_len {n} is past its {len(tape)} signed bytes")
    return Claim(comp.digest, tape[:n], v["claim_n"], hash_bytes(v["claim_h"]), comp.search)


def record_from_book(book: SignatureBook, step: int, prefix: str = "") -> StepRecord:
    """The record of the disputed step as the operator's Execute revealed it (the
    ``witness`` field is revealed only by the kinds that have one: 0 otherwise)."""
    v = {n: book.values.get(prefix + n, 0 if n == "witness" else None) for n in record_values(_ZERO_RECORD)}
    missing = [n for n, x in v.items() if x is None]
    if missing:
        raise UserError(f"the Execute did not reveal {prefix + missing[0]}")
    return StepRecord(
        step,
        v["pc"],
        v["npc"],
        v["micro"],
        v["word"],
        Read(v["read1_addr"], v["read1_value"], v["read1_writer"]),
        Read(v["read2_addr"], v["read2_value"], v["read2_writer"]),
        Write(v["write_addr"], v["write_value"]),
        v["next_pc"],
        v["next_npc"],
        v["next_micro"],
        v["witness"],
    )


_ZERO_RECORD = StepRecord(0, 0, 0, 0, 0, Read(0, 0, 0), Read(0, 0, 0), Write(0, 0), 0, 0, 0, 0)


def choices_of(book: SignatureBook, prefix: str, rounds: int) -> list[int]:
    return [book.values[f"{prefix}choice{r}"] for r in range(rounds)]


def revealed_hashes(ref: GameRef, book: SignatureBook, prefix: str, r: int) -> dict[int, bytes]:
    """Round ``r``'s revealed hashes by step (the read search's round 0 is the first's)."""
    search = ref.layout.comp.search
    hp = "" if r == 0 else prefix
    points = search.reveals(choices_of(book, prefix, r))
    return {t: hash_bytes(book.values[hash_key(r, slot, hp)]) for slot, t in enumerate(points, start=1)}


class _Player:
    """What both parties share: the game, the key that signs their data inputs, their
    book, and whether the leaves of their last move hold (the Python twins' verdict,
    which the chain's must equal)."""

    ref: GameRef
    key: RoleKey
    book: SignatureBook
    twin_ok: bool = True
    last_leaves: list[str] = []  # the check leaves of its last move (set per instance)

    def _play(
        self, state: State, kind: MoveKind, chosen: list[tuple[CheckLeaf, dict[str, int]]]
    ) -> tuple[TxName, Built]:
        """The move of ``kind`` out of ``state`` spending, for each data output it
        spends, the chosen check leaf with these bare values."""
        move = next(m for m in state.moves if m.kind is kind)
        first = 2 if kind is MoveKind.CATCH else 1  # a catch spends the stake and the token first
        data, ok = {}, True
        for pos, (j, (check, bare)) in enumerate(zip(move.data, chosen, strict=True)):
            prefix = state.data[j].key_prefix
            items = self.book.witness(check, prefix, bare)
            known = {n[len(prefix) :]: x for n, x in self.book.values.items() if n.startswith(prefix)}
            ok = ok and check.accepts({**known, **bare})
            data[first + pos] = (data_leaf(self.ref, state, j, check), items)
        self.twin_ok = ok
        self.last_leaves = [check.kind for check, _ in chosen]
        name = self.ref.move_name(state, move)
        return name, move_tx(self.ref, name, data, self.key)


@dataclass
class OperatorPlayer(_Player):
    """The operator of a game: ``party`` says what it reveals (honest or faulty)."""

    ref: GameRef
    key: RoleKey
    secrets: Mapping[str, WinternitzKey]  # its claim and game one-time keys, by key name
    party: HonestOperator
    book: SignatureBook = field(init=False)
    twin_ok: bool = field(init=False, default=True)

    def __post_init__(self) -> None:
        self.book = self.ref.new_book()

    @property
    def claim(self) -> Claim:
        return self.party.claim

    def kickoff(self) -> Built:
        comp = self.ref.layout.comp
        leaf = self.ref.claim_leaf.check
        self.book.sign(leaf, self.secrets, claim_values(self.claim, comp.big_endian, comp.input_words))
        return kickoff_tx(self.ref, self.book, self.key)

    def move(self, state: State) -> tuple[TxName, Built] | None:
        if state.phase is Phase.REVEAL:
            return self._reveal(state)
        if state.phase is Phase.EXECUTE:
            return self._execute(state)
        raise AssertionError(f"the operator does not move in {state.label}")

    def _reveal(self, state: State) -> tuple[TxName, Built]:
        search = self.ref.layout.comp.search
        p, r = state.prefix, state.round
        assert r is not None
        points = search.reveals(choices_of(self.book, p, r))
        values = {hash_key(r, slot, p): hash_int(h) for slot, h in enumerate(self.party.hashes(list(points)), start=1)}
        chosen = []
        for data in state.data:
            check = data.leaves[0]
            self.book.sign(check, self.secrets, values)
            chosen.append((check, {}))
        return self._play(state, MoveKind.NEXT, chosen)

    def _execute(self, state: State) -> tuple[TxName, Built] | None:
        comp = self.ref.layout.comp
        p = state.prefix
        choices = choices_of(self.book, p, comp.search.rounds)
        i = comp.search.disputed_step(choices)
        translate, execute, rest = state.data
        if not p and i > self.book.values["claim_n"]:
            beyond = translate.leaves[1]
            self.book.sign(beyond, self.secrets, {"step": i})
            return self._play(state, MoveKind.BEYOND_N, [(beyond, {})])
        rec = self.party.record(i)
        if rec is None:
            return None
        h_prev, h = self.party.resign(i)
        fields = {**record_values(rec), "h_prev": hash_int(h_prev), "h": hash_int(h)}
        mnemonic, micro = kind_of(rec.word, rec.micro, rec.pc, comp.initial.layout_array)
        micro = 0 if mnemonic == "badpc" else micro
        leaf = next(
            (x for x in execute.leaves if isinstance(x, ExecuteLeaf) and (x.mnemonic, x.micro) == (mnemonic, micro)),
            None,
        )
        if leaf is None:
            return None  # no leaf of that kind: nothing the operator can show
        prefixed = {p + n: x for n, x in fields.items()} | {p + "step": i}
        tr_check, rest_check = translate.leaves[0], rest.leaves[0]
        self.book.sign(tr_check, self.secrets, prefixed)
        self.book.sign(rest_check, self.secrets, prefixed)
        self.book.sign(leaf, self.secrets, fields, p)
        return self._play(state, MoveKind.NEXT, [(tr_check, {}), (leaf, leaf.hints(fields)), (rest_check, {})])


@dataclass
class ChallengerPlayer(_Player):
    """A registered challenger: ``party_for(claim)`` gives its strategy over its own run
    of the claimed input (it runs the program itself)."""

    ref: GameRef
    key: RoleKey
    secrets: Mapping[str, WinternitzKey]  # its choice keys for this game
    party_for: Callable[[Claim], HonestChallenger]
    book: SignatureBook = field(init=False)
    twin_ok: bool = field(init=False, default=True)
    party: HonestChallenger | None = field(init=False, default=None)
    read_target: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.book = self.ref.new_book()

    def disputes(self) -> bool:
        """After reading the Kickoff: does it disagree with the claim?"""
        claim = claim_from_book(self.ref, self.book)
        if claim.program != program_digest(self.ref.layout.comp.initial):
            raise AssertionError("the claim names another program")
        self.party = self.party_for(claim)
        self.claim = claim
        if not self.party.disputes(claim):
            return False
        self.party.start(claim)
        return True

    def open(self) -> Built:
        return open_tx(self.ref, self.key)

    def move(self, state: State) -> tuple[TxName, Built] | None:
        if state.phase is Phase.CHOICE:
            return self._choose(state)
        if state.phase is Phase.CATCH:
            return self._catch(state)
        raise AssertionError(f"the challenger does not move in {state.label}")

    def _choice(self, state_prefix: str, r: int) -> int:
        assert self.party is not None
        revealed = revealed_hashes(self.ref, self.book, state_prefix, r)
        choices = choices_of(self.book, state_prefix, r)
        if state_prefix:
            assert self.read_target is not None
            return self.party.read_choose(choices, revealed, self.read_target)
        return self.party.choose(choices, revealed)

    def _sign_choice(self, check: CheckLeaf, name: str, c: int) -> tuple[CheckLeaf, dict[str, int]]:
        self.book.sign(check, self.secrets, {name: c})
        return check, {}

    def _choose(self, state: State) -> tuple[TxName, Built]:
        p, r = state.prefix, state.round
        assert r is not None
        check = state.data[0].leaves[0]
        c = self._choice(p, r)
        return self._play(state, MoveKind.NEXT, [self._sign_choice(check, f"{p}choice{r}", c)])

    def bare_values(self, prefix: str) -> dict[str, int]:
        """What the challenger supplies bare from its own run: step i-1's link fields and
        h_{i-2} (``c_``), h_{j-1} of the read search's step (``cw_``)."""
        assert self.party is not None
        mine: ExecutionTrace = self.party.trace
        v: dict[str, int] = {}
        i = self.book.values.get("step")
        if i is not None and 2 <= i <= mine.steps + 1:
            prev = mine.record(i - 1)
            v["c_h_prev"] = hash_int(mine.hash_at(i - 2))
            v.update({"c_" + f: x for f, x in zip(LINK_FIELDS, prev.link_fields(), strict=True)})
        j = self.book.values.get("w_step")
        if prefix and j is not None and 1 <= j <= mine.steps + 1:
            v["cw_h_prev"] = hash_int(mine.hash_at(j - 1))
        return v

    def usable_leaves(self, state: State) -> tuple[list[CheckLeaf], list[CheckLeaf], dict[str, int]]:
        """The catch state's leaves whose every input is known: those that hold (the
        twins' verdict), those that do not, and the bare values."""
        bare = self.bare_values(state.prefix)
        values = {**self.book.values, **bare}
        known = [
            leaf for leaf in state.data[0].leaves if self.book.has(leaf) and all(n in values for n in leaf.layout.names)
        ]
        holds = [leaf for leaf in known if leaf.accepts(values)]
        return holds, [leaf for leaf in known if leaf not in holds], bare

    def catch_with(self, state: State, leaf: CheckLeaf) -> tuple[TxName, Built]:
        """The Catch spending ``leaf`` (whether it holds or not: a probe may try one that
        does not)."""
        bare = self.bare_values(state.prefix)
        return self._play(state, MoveKind.CATCH, [(leaf, {n: bare[n] for n in leaf.layout.names if n in bare})])

    def _catch(self, state: State) -> tuple[TxName, Built] | None:
        holds, _, _ = self.usable_leaves(state)
        if holds:
            rank = {k: n for n, k in enumerate(CATCH_ORDER)}
            return self.catch_with(state, min(holds, key=lambda x: rank.get(type(x).__name__, len(rank))))
        if state.prefix:
            return None
        read = self._read_to_dispute()
        if read is None:
            return None
        check = state.data[1].leaves[0]
        c = self._choice(READ, 0)
        return self._play(state, MoveKind.READ, [self._sign_choice(check, f"{READ}choice0", c)])

    def _read_to_dispute(self) -> Read | None:
        """The read of step i whose value or writer the challenger's own run contradicts,
        and the read search's target: the later of the two writers."""
        assert self.party is not None
        search = self.ref.layout.comp.search
        i = self.book.values["step"]
        rec = record_from_book(self.book, i)
        seen: dict[int, bytes] = {}
        for r in range(search.rounds):
            seen.update(revealed_hashes(self.ref, self.book, "", r))
        ends = {0: H0, search.max_steps: self.claim.final_hash}
        h_prev = seen.get(i - 1, ends.get(i - 1, hash_bytes(self.book.values["h_prev"])))
        h_cur = seen.get(i, ends.get(i, hash_bytes(self.book.values["h"])))
        kind, read = judge(i, rec, h_prev, h_cur, self.claim, self.party)
        if kind:
            return None  # a leaf should have caught it: nothing more to play
        read = read or self.party.forced_read(rec)
        if read is None:
            return None
        mine = self.party.trace.record(i)
        mine_read = mine.read1 if mine.read1.address == read.address else mine.read2
        self.read_target = max(read.last_writer, mine_read.last_writer if mine_read.address == read.address else 0)
        return read
