"""One game's final leaves, and the values each one sees in a played dispute.

:func:`challenger_leaves` lists every leaf a challenger may spend at the end of a
game of program P (state 0 ``init``) with search geometry ``search``;
:func:`game_values` reads, from a dispute played off-chain
(:func:`ocp.zkvm.dispute.play`), the values the game's transactions carry: the
claim, the first search's round hashes and choices, step i's record with its
writers and re-signed hashes, the read search's (``w_``) and the values a
challenger supplies bare (``c_``).  :func:`spendable` then says which leaves
spend: the Script half's verdict on the dispute, to compare with the trace
engineer's judge (:mod:`ocp.zkvm.challenges`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ocp.stepleaves.base import CheckLeaf
from ocp.stepleaves.challenges import (
    CorrectHash,
    EntryPoint,
    FutureRead,
    Halt,
    HaltBeyondMax,
    ProgramCounter,
    ReadValue,
    StepBeyondN,
    TraceHash,
    TraceHashZero,
)
from ocp.stepleaves.code import code_words, opcode_chunks
from ocp.stepleaves.init import init_leaves
from ocp.stepleaves.schema import LINK_FIELDS
from ocp.stepleaves.search import equivocation_leaves, hash_key
from ocp.zkvm.record import H0, HALT_PC, K_EXIT, StepRecord
from ocp.zkvm.search import NArySearch

#: K_EXIT's value for exit(0): status EXITED (1) << 8, code 0
EXIT_OK = 1 << 8


def hash_int(h: bytes) -> int:
    """A 20-byte hash as the leaves take it (``ocp.stepleaves.schema``)."""
    return int.from_bytes(h, "little")


def input_words(tape: bytes, big_endian: bool, count: int | None = None) -> list[int]:
    """The input tape as the Kickoff signs it: word k = bytes 4k..4k+3, zero padded,
    in the guest's byte order (``ocp.zkvm.initial``)."""
    n = (len(tape) + 3) // 4 if count is None else count
    padded = tape + bytes(4 * n - len(tape))
    order = "big" if big_endian else "little"
    return [int.from_bytes(padded[4 * k : 4 * k + 4], order) for k in range(n)]


def program_leaves(init, max_input_words: int) -> list[CheckLeaf]:
    """The challenger leaves fixed by the program (state 0 ``init``): the code chunks,
    the INIT-read leaves and AddressesSections."""
    return opcode_chunks(code_words(init)) + init_leaves(init, max_input_words)


def search_challenges(init, search: NArySearch) -> list[CheckLeaf]:
    """The challenger leaves fixed by the entry point and the search geometry (and the
    operator's StepBeyondN): hash links, pc, halt, reads, equivocation (both searches)."""
    leaves: list[CheckLeaf] = [
        TraceHash(),
        TraceHashZero(hash_int(H0)),
        ProgramCounter(),
        EntryPoint(init.entry, (init.entry + 4) & 0xFFFFFFFF),
        Halt(K_EXIT, EXIT_OK, HALT_PC),
        HaltBeyondMax(search.max_steps),
        StepBeyondN(),
        FutureRead(1),
        FutureRead(2),
        ReadValue(1),
        ReadValue(2),
        CorrectHash(),
    ]
    leaves += equivocation_leaves(search)
    leaves += equivocation_leaves(search, "w_", shared_first=True)
    return leaves


def challenger_leaves(init, search: NArySearch, max_input_words: int) -> list[CheckLeaf]:
    """Every leaf the challenger may spend at the end of a game (and the operator's
    StepBeyondN)."""
    return search_challenges(init, search) + program_leaves(init, max_input_words)


def record_values(rec: StepRecord, prefix: str = "") -> dict[str, int]:
    """The fields of a record under the leaves' names (``ocp.stepleaves.schema``)."""
    p = prefix
    return {
        p + "pc": rec.pc,
        p + "npc": rec.npc,
        p + "micro": rec.micro,
        p + "word": rec.word,
        p + "read1_addr": rec.read1.address,
        p + "read1_value": rec.read1.value,
        p + "read1_writer": rec.read1.last_writer,
        p + "read2_addr": rec.read2.address,
        p + "read2_value": rec.read2.value,
        p + "read2_writer": rec.read2.last_writer,
        p + "write_addr": rec.write.address,
        p + "write_value": rec.write.value,
        p + "next_pc": rec.next_pc,
        p + "next_npc": rec.next_npc,
        p + "next_micro": rec.next_micro,
        p + "witness": rec.witness,
    }


def game_values(outcome, operator, challenger, max_input_words: int) -> dict[str, int]:
    """What the game's transactions carry after ``ocp.zkvm.dispute.play``: signed values
    by key name, and the challenger's bare values (``c_``) from its own run."""
    claim = operator.claim
    search = claim.search
    big = challenger.trace.init.big_endian
    v: dict[str, int] = {"claim_n": claim.steps, "claim_h": hash_int(claim.final_hash), "input_len": len(claim.input)}
    for k, word in enumerate(input_words(claim.input, big, max_input_words)):
        v[f"input{k}"] = word
    for log in outcome.rounds:
        r = log.round - 1
        prefix = "" if log.search == "first" else "w_"
        if log.search == "read" and r == 0:
            prefix = None  # round 0 of the read search is the first search's
        if prefix is not None:
            choices = [x.choice for x in outcome.rounds if x.search == log.search][:r]
            for slot, t in enumerate(search.reveals(choices), start=1):
                v[hash_key(r, slot, prefix)] = hash_int(log.revealed[t])
        if log.choice is not None:
            v[f"{'' if log.search == 'first' else 'w_'}choice{r}"] = log.choice
    i = outcome.step
    if i is None:
        return v
    v["step"] = i
    if outcome.record is not None:
        v.update(record_values(outcome.record))
        h_prev, h = operator.resign(i)
        v["h_prev"], v["h"] = hash_int(h_prev), hash_int(h)
    mine = challenger.trace
    if 2 <= i <= mine.steps + 1:
        prev = mine.record(i - 1)
        v["c_h_prev"] = hash_int(mine.hash_at(i - 2))
        v.update({"c_" + f: x for f, x in zip(LINK_FIELDS, prev.link_fields(), strict=True)})
    j = outcome.read_step
    if j is not None and outcome.read_record is not None:
        v["w_step"] = j
        v.update(record_values(outcome.read_record, "w_"))
        wh_prev, wh = operator.resign(j)
        v["w_h_prev"], v["w_h"] = hash_int(wh_prev), hash_int(wh)
        v["cw_h_prev"] = hash_int(mine.hash_at(j - 1))  # CorrectHash: the challenger's h_{j-1}
    return v


def spendable(leaves: Iterable[CheckLeaf], values: Mapping[str, int]) -> list[CheckLeaf]:
    """The leaves whose every input the game carries and whose twin accepts."""
    return [leaf for leaf in leaves if all(n in values for n in leaf.layout.names) and leaf.accepts(values)]
