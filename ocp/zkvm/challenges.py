"""The final leaves' rules, as Python predicates (ARCHITECTURE section 5, "Final leaves").

Each function takes only what the leaf has on chain -- values the operator signed
(records, round hashes, re-signed hashes, the claim), build-time constants (program,
layout, h_0, M) and data the challenger supplies that the leaf can check itself -- and
returns True exactly when the leaf succeeds.  The Script leaves (issue 15) implement the
same rules; these are their twins and the dispute simulator's judge.

=====================  ===================================================================
kind                   succeeds when
=====================  ===================================================================
Execute (operator)     the record follows the micro-step table (:func:`execute_ok`)
StepBeyondN (oper.)    the disputed step is past the claimed halting step N
TraceHash(Zero)        ``h_i != link(h_{i-1}, record)`` (step 1: from the constant h_0)
Halt                   i = N and the record is not the exit(0) halt (write K_EXIT = 0x100,
                       next pc HALT_PC); or N > M
EntryPoint             i = 1 and the record's pc triple is not (entry, entry + 4, 0)
ProgramCounter         the record's pc triple differs from step i-1's next triple, shown by
                       step i-1's link fields and h_{i-2} that hash to the signed h_{i-1}
Opcode                 the record's word is not the program's word at its pc (0 off code)
AddressesSections      the record's pc is not code (and the record is not the bad-pc halt),
                       or a read/write address is unaligned
FutureRead             a read names a last writer that is not before i
Input/Initialized/     an INIT read's value differs from state 0 (the signed input, the
Uninitialized          image/boot state, or zero)
ReadValue              after the read search to step j: j is the named writer but wrote
                       another address or value, or j is a later write to the address
                       before i (the named writer is stale)
CorrectHash            a hash of the read search differs from the first search's at a step
EquivocationResign     a re-signed hash differs from the round hash of the same step
=====================  ===================================================================
"""

from __future__ import annotations

from ocp.zkvm.initial import InitialState
from ocp.zkvm.micro import MICRO_OPS, is_code, kind_of
from ocp.zkvm.record import (
    H0,
    HALT_PC,
    INIT,
    K_EXIT,
    NO_WRITE_ADDRESS,
    Read,
    StepRecord,
    link,
    record_link,
)

EXIT_OK = (1 << 8) | 0  #: K_EXIT value of exit(0): status EXITED, code 0

KINDS = (
    "Execute",
    "StepBeyondN",
    "TraceHash",
    "TraceHashZero",
    "Halt",
    "EntryPoint",
    "ProgramCounter",
    "Opcode",
    "AddressesSections",
    "FutureRead",
    "Input",
    "Initialized",
    "Uninitialized",
    "ReadValue",
    "CorrectHash",
    "EquivocationResign",
)


def execute_ok(rec: StepRecord, layout: tuple[int, ...]) -> bool:
    """ASSERT-CORRECT: the kind exists, the read addresses are the ones the kind names and
    the write, next triple and witness are what it computes from the read values."""
    key = kind_of(rec.word, rec.micro, rec.pc, layout)
    op = MICRO_OPS.get(key)
    if op is None:
        return False
    if key[0] == "badpc" and rec.word != 0:
        return False
    w, pc, npc, m = rec.word, rec.pc, rec.npc, rec.micro
    if rec.read1.address != op.read1(w, pc, npc, m, layout):
        return False
    if rec.read2.address != op.read2(w, pc, npc, m, rec.read1.value, layout):
        return False
    got = op.run(w, pc, npc, m, rec.read1.value, rec.read2.value, layout)
    return got == (rec.write.address, rec.write.value, rec.next_pc, rec.next_npc, rec.next_micro, rec.witness)


def step_beyond_n(step: int, claimed_steps: int) -> bool:
    return step > claimed_steps


def trace_hash(h_prev: bytes, rec: StepRecord, h_cur: bytes) -> bool:
    return record_link(h_prev, rec) != h_cur


def trace_hash_zero(rec: StepRecord, h_1: bytes) -> bool:
    return record_link(H0, rec) != h_1


def halt(step: int, rec: StepRecord, claimed_steps: int, max_steps: int) -> bool:
    if claimed_steps > max_steps:
        return True
    if step != claimed_steps:
        return False
    return (rec.write.address, rec.write.value) != (K_EXIT, EXIT_OK) or rec.next_pc != HALT_PC


def entry_point(step: int, rec: StepRecord, entry: int) -> bool:
    return step == 1 and (rec.pc, rec.npc, rec.micro) != (entry, (entry + 4) & 0xFFFFFFFF, 0)


def program_counter(
    rec: StepRecord, prev_fields: tuple[int, int, int, int, int], h_prev2: bytes, h_prev: bytes
) -> bool:
    """``prev_fields`` = step i-1's (write address, value, pc', npc', micro') and ``h_prev2``
    = h_{i-2}, supplied by the challenger; they must hash to the signed ``h_prev``."""
    if link(h_prev2, *prev_fields) != h_prev:
        return False
    return (rec.pc, rec.npc, rec.micro) != prev_fields[2:]


def opcode(rec: StepRecord, init: InitialState) -> bool:
    layout = init.layout_array
    want = init.value(rec.pc) if (rec.pc & 3) == 0 and is_code(rec.pc, layout) else 0
    return rec.word != want


def addresses_sections(rec: StepRecord, init: InitialState) -> bool:
    """The pc is not aligned code (and the record is not the bad-pc halt, which the
    badpc Execute leaf checks), or a read/write address is unaligned."""
    badpc_halt = (rec.word, rec.micro, rec.next_pc) == (0, 0, HALT_PC)
    if (rec.pc & 3 or not is_code(rec.pc, init.layout_array)) and not badpc_halt:
        return True
    if rec.read1.address & 3 or rec.read2.address & 3:
        return True
    return rec.write.address != NO_WRITE_ADDRESS and bool(rec.write.address & 3)


def future_read(step: int, read: Read) -> bool:
    return read.last_writer != INIT and read.last_writer >= step


def init_read(read: Read, init: InitialState) -> str | None:
    """For an INIT read with a wrong value: the challenge kind (by the word's source)."""
    if read.last_writer != INIT or read.value == init.value(read.address):
        return None
    return {"input": "Input", "image": "Initialized", "zero": "Uninitialized"}[init.source(read.address)]


def read_value(step: int, read: Read, writer_step: int, writer: StepRecord) -> bool:
    """``writer`` is the record of step ``writer_step`` revealed by the read search."""
    if not writer_step < step:
        return False
    w = writer.write
    if writer_step == read.last_writer:
        return w.address != read.address or w.value != read.value
    return writer_step > read.last_writer and w.address == read.address


def correct_hash(first: dict[int, bytes], second: dict[int, bytes]) -> bool:
    return any(s in first and first[s] != h for s, h in second.items())


def equivocation_resign(round_hash: bytes | None, resigned: bytes) -> bool:
    return round_hash is not None and round_hash != resigned
