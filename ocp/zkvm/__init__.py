"""The zkVM trace generator: MIPS32 Go guests, per-step states, memory proofs.

See docs/zkvm.md.  Typical use::

    from ocp.zkvm import Trace, load_elf
    trace = Trace(load_elf("prog.elf"), b"input", spacing=100_000, engine="unicorn")
    final = trace.run()
    state, proof = trace.proof_at(12345, 0x10000)
    assert proof.verify(state.mem_root)
"""

from ocp.zkvm.boot import boot
from ocp.zkvm.cpu import Machine, Status
from ocp.zkvm.elf import ElfImage, load_elf, parse_elf
from ocp.zkvm.merkle import MemoryProof, MemoryTree, memory_root
from ocp.zkvm.state import State, capture
from ocp.zkvm.trace import Checkpoint, StepWitness, Trace, run_program

__all__ = [
    "Checkpoint", "Machine", "MemoryProof", "MemoryTree", "ElfImage", "State", "Status", "Trace",
    "StepWitness", "boot", "capture", "load_elf", "memory_root", "parse_elf", "run_program",
]
