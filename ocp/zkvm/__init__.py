"""The zkVM: MIPS32 Go guests as micro-step traces that a Bitcoin dispute can settle.

See docs/zkvm.md.  The shared dispute layout is :mod:`ocp.zkvm.record` (machine model,
step record, hash link) and :mod:`ocp.zkvm.micro` (THE micro-step semantics table);
state 0 is :mod:`ocp.zkvm.initial`.  Typical use::

    from ocp.zkvm import ExecutionTrace, NArySearch, load_elf
    trace = ExecutionTrace.of(load_elf("prog.elf"), b"input").run()
    trace.steps, trace.final_hash, trace.record(12345)
"""

from ocp.zkvm.claim import Claim, program_digest
from ocp.zkvm.elf import ElfImage, load_elf, parse_elf
from ocp.zkvm.initial import InitialState, build_initial_state
from ocp.zkvm.micro import MICRO_OPS, Layout, MicroOp
from ocp.zkvm.record import H0, Read, Status, StepRecord, Write, link
from ocp.zkvm.search import NArySearch
from ocp.zkvm.stepper import Stepper
from ocp.zkvm.trace import ExecutionTrace

__all__ = [
    "H0",
    "MICRO_OPS",
    "Claim",
    "ElfImage",
    "ExecutionTrace",
    "InitialState",
    "Layout",
    "MicroOp",
    "NArySearch",
    "Read",
    "Status",
    "StepRecord",
    "Stepper",
    "Write",
    "build_initial_state",
    "link",
    "load_elf",
    "parse_elf",
    "program_digest",
]
