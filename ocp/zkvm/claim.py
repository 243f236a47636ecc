"""The operator's claim about a run (the Kickoff's one-time-signed values).

A claim says "program P halts with exit code 0 at step N on this input": the input
tape (signed at claim time), N and ``h_N``; the search space M and the arity n are
fixed when the graph is built (:class:`~ocp.zkvm.search.NArySearch`).  The program
is identified by :func:`program_digest`; the expected output is part of the input and
the guest checks it itself (``examples/zkvm/selfcheck``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ocp.errors import UserError
from ocp.zkvm.initial import InitialState
from ocp.zkvm.search import NArySearch

VERSION = 1


def program_digest(init: InitialState) -> bytes:
    """SHA-256 over the layout words and every image page (input excluded).

    ``"ocp zkvm program v1" || u32be(entry) || u32be(len(L)) || L as u32be...``, then per
    image page in order ``u32be(page number) || 4096 bytes``.
    """
    h = hashlib.sha256(b"ocp zkvm program v1")
    layout = init.layout_array
    h.update(init.entry.to_bytes(4, "big") + len(layout).to_bytes(4, "big"))
    h.update(b"".join(v.to_bytes(4, "big") for v in layout))
    for pn in sorted(init.image_pages):
        h.update(pn.to_bytes(4, "big") + init.image_pages[pn])
    return h.digest()


@dataclass(frozen=True)
class Claim:
    program: bytes  #: program_digest
    input: bytes
    steps: int  #: N, the halting step
    final_hash: bytes  #: h_N
    search: NArySearch

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise UserError(f"claim: N must be at least 1, got {self.steps}")
        if len(self.final_hash) != 20:
            raise UserError("claim: h_N must be 20 bytes")

    @property
    def within_bounds(self) -> bool:
        """The Kickoff leaf's check N <= M."""
        return self.steps <= self.search.max_steps

    def to_json(self) -> dict[str, object]:
        return {
            "version": VERSION,
            "program": self.program.hex(),
            "input": self.input.hex(),
            "steps": self.steps,
            "final_hash": self.final_hash.hex(),
            "max_steps": self.search.max_steps,
            "nary": self.search.n,
        }

    @classmethod
    def from_json(cls, data: dict[str, object], name: str = "claim") -> Claim:
        try:
            if data.get("version") != VERSION:
                raise UserError(f"{name}: unknown claim version {data.get('version')!r}")
            return cls(
                bytes.fromhex(str(data["program"])),
                bytes.fromhex(str(data["input"])),
                int(data["steps"]),
                bytes.fromhex(str(data["final_hash"])),  # type: ignore[arg-type]
                NArySearch(int(data["max_steps"]), int(data["nary"])),
            )  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError) as exc:
            raise UserError(f"{name}: malformed claim ({exc})") from exc

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"
