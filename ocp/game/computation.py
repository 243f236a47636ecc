"""The computation a version-2 graph disputes: a Go program compiled to MIPS.

Params name it (``[computation] kind = "zkvm"``) by its ELF file and the
program digest (:func:`ocp.zkvm.claim.program_digest`: the loaded image and the
layout, input excluded), and fix the search space and the input bound when the
graph is built: the n-ary search runs over ``max_steps`` micro-steps (a power of
two) with ``nary`` parts per round, and the operator signs at most
``input_words`` words of input tape when it claims.  The claim itself (the
input, N and h_N) is made at Kickoff time, under the operator's one-time keys.

The ELF is read when params are loaded (graph.json stores the digest and the
generator parameters, not the 13-23 MB of leaf scripts a game has: they are
regenerated from the program and compared).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ocp.errors import UserError
from ocp.zkvm.claim import program_digest
from ocp.zkvm.elf import ElfImage, load_elf
from ocp.zkvm.initial import InitialState, build_initial_state
from ocp.zkvm.search import NArySearch

KIND = "zkvm"
#: Input words a claim may sign at most (the Kickoff reveals each under its own key).
MAX_INPUT_WORDS = 64


@dataclass(frozen=True, eq=False)
class ZkvmComputation:
    """A program, its digest and the dispute's geometry (frozen when the graph is built)."""

    program: str  # the ELF's path, as the params file gives it
    digest: bytes
    search: NArySearch
    input_words: int
    image: ElfImage = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not 1 <= self.input_words <= MAX_INPUT_WORDS:
            raise UserError(f"computation.input_words = {self.input_words} must be between 1 and {MAX_INPUT_WORDS}")
        if self.image is None:
            object.__setattr__(self, "image", load_elf(self.program))
        found = program_digest(self.initial)
        if found != self.digest:
            raise UserError(
                f"computation.program {self.program}: its digest is {found.hex()}, the params say "
                f"{self.digest.hex()} (another build of the program?)"
            )

    @classmethod
    def of(cls, program: str | Path, *, max_steps: int, nary: int, input_words: int) -> ZkvmComputation:
        """For a program file: its digest computed here."""
        image = load_elf(program)
        digest = program_digest(build_initial_state(image))
        return cls(str(program), digest, NArySearch(max_steps, nary), input_words, image)

    @cached_property
    def initial(self) -> InitialState:
        """State 0 with an empty input tape: what the program-fixed leaves are built from
        (code and image chunks, sections); the input is the claim's, checked by the
        Input leaves against the signed words."""
        return build_initial_state(self.image)

    @property
    def big_endian(self) -> bool:
        return self.image.big_endian

    def to_json(self) -> dict:
        return {
            "kind": KIND,
            "program": self.program,
            "digest": self.digest.hex(),
            "max_steps": self.search.max_steps,
            "nary": self.search.n,
            "input_words": self.input_words,
        }

    @classmethod
    def from_json(cls, obj: dict) -> ZkvmComputation:
        def number(name: str) -> int:
            value = obj.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise UserError(f"computation.{name} must be a whole number")
            return value

        program = obj.get("program")
        if not isinstance(program, str) or not program:
            raise UserError("computation.program must name the guest's ELF file")
        if not Path(program).is_file():
            raise UserError(f"computation.program {program}: no such file (the graph is built from it)")
        digest = obj.get("digest")
        try:
            raw = bytes.fromhex(digest) if isinstance(digest, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise UserError(
                "computation.digest must be the program's 32-byte digest in hex (ocp zkvm commit prints it)"
            )
        search = NArySearch(number("max_steps"), number("nary"))
        return cls(program, raw, search, number("input_words"))
