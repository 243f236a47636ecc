"""Disprove leaves: verify committed values, recompute one step, require a mismatch.

A :class:`Disprove` names the committed inputs of a step and its committed
outputs, each output paired with the expression that should produce it.  Every
committed value is a u32 signed with its own Winternitz key (4-bit digits, so the
verifier's digits are the limbs).  The leaf script

1. verifies each value's signature with
   :func:`taptrees.ots.winternitz.verifier_script` (``keep="digits"``), the last
   committed value first as its signature lies on top of the witness, parking the
   digits of all but the first on the alt stack;
2. brings them back, so the values lie first deepest, as :class:`Step` expects;
3. recomputes every output and leaves 1 exactly when some committed output
   differs from the recomputed one, 0 otherwise (and the spend then fails).

With the right outputs committed the leaf cannot be spent; with a wrong one
anyone holding the revealed signatures can spend it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from taptrees.arith.expr import WORD, Eq, Evaluation, Expr, Not, Or, Var
from taptrees.arith.limbs import WORD_BITS, WORD_LIMBS
from taptrees.arith.step import Step
from taptrees.errors import InputError
from taptrees.opcodes import OP_FROMALTSTACK, OP_TOALTSTACK
from taptrees.script import Script

DIGIT_BITS = 4


@dataclass(frozen=True, eq=False)
class Disprove:
    """Committed inputs and (committed output, expression) claims of one step."""

    inputs: tuple[Var, ...]
    claims: tuple[tuple[Var, Expr], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "claims", tuple((v, e) for v, e in self.claims))
        if not self.claims:
            raise InputError("a disprove leaf needs at least one committed output")
        for v in self.committed:
            if v.kind != WORD:
                raise InputError(f"committed value {v.name!r} must be a word, not a {v.kind}")
        for v, e in self.claims:
            if e.kind != WORD:
                raise InputError(f"output {v.name!r} is computed as a {e.kind}, not a word")

    @property
    def committed(self) -> tuple[Var, ...]:
        """Every committed value in witness order: inputs, then outputs."""
        return self.inputs + tuple(v for v, _ in self.claims)

    @cached_property
    def mismatch(self) -> Step:
        """The step run after the verifiers: 1 if some claim is wrong, else 0."""
        wrong: Expr | None = None
        for v, e in self.claims:
            differs = Not(Eq(e, v))
            wrong = differs if wrong is None else Or(wrong, differs)
        return Step(self.committed, (wrong,))

    def correct_outputs(self, inputs: Mapping[str, int]) -> dict[str, int]:
        """Python twin: the outputs an honest party commits to for these inputs."""
        ev = Evaluation(dict(inputs))
        for v in self.inputs:
            ev.value(v)
        return {v.name: ev.value(e) for v, e in self.claims}

    def is_disprovable(self, values: Mapping[str, int]) -> bool:
        """Python twin: does some committed output differ from its recomputation?"""
        ev = Evaluation(dict(values))
        return any(ev.value(e) != ev.value(v) for v, e in self.claims)

    def script(self, keys: Mapping[str, object], strategy: str = "small_script") -> Script:
        """The leaf script for Winternitz public keys given by committed value name."""
        from taptrees.ots.winternitz import verifier_script

        items: list = []
        committed = self.committed
        for i, v in enumerate(reversed(committed)):
            key = keys.get(v.name)
            if key is None:
                raise InputError(f"no Winternitz public key for committed value {v.name!r}")
            params = key.params
            if (params.digit_bits, params.message_bits) != (DIGIT_BITS, WORD_BITS):
                raise InputError(
                    f"key for {v.name!r} has {params.digit_bits}-bit digits over "
                    f"{params.message_bits} bits; the arithmetic needs 4-bit digits over 32"
                )
            items.append(verifier_script(key, strategy=strategy, keep="digits"))
            if i < len(committed) - 1:
                items += [OP_TOALTSTACK] * WORD_LIMBS
        items += [OP_FROMALTSTACK] * (WORD_LIMBS * (len(committed) - 1))
        items.append(self.mismatch.script())
        return Script(items)

    def witness(self, signatures: Mapping[str, Sequence[bytes]]) -> list[bytes]:
        """Witness stack (bottom first) from each committed value's signature items."""
        out: list[bytes] = []
        for v in self.committed:
            if v.name not in signatures:
                raise InputError(f"no signature for committed value {v.name!r}")
            out += list(signatures[v.name])
        return out
