"""Build-time coverage: every micro-step kind a program can execute has a leaf.

An honest operator must be able to answer at every step: if the program contains
an instruction whose (mnemonic, micro) kinds have no execute leaf, a challenger
could steer the search there and the operator could not prove a correct step.
:func:`required_kinds` disassembles the code ranges of the initial state (the
executable segments with the Go patches, and the signal trampoline) and adds
the kinds any program can reach: ``badpc`` (a jump outside the code), the
SIGSEGV delivery micro-steps when the program can fault (any load, store or
syscall), and every micro-step of each instruction's micro-program.
:func:`check_coverage` fails the build naming what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable

from ocp.errors import UserError
from ocp.stepleaves.code import code_words
from ocp.stepleaves.execute import SEMANTICS
from ocp.zkvm import isa
from ocp.zkvm.micro import MICRO_OPS

#: instructions whose micro-steps can fault (a guest memory access)
_ACCESSES = {"lw", "ll", "lb", "lbu", "lh", "lhu", "lwl", "lwr", "sw", "sc", "sb", "sh", "swl", "swr", "syscall"}


def kinds_of_words(words: Iterable[int]) -> set[tuple[str, int]]:
    mnemonics = {isa.decode(w).op for w in words}
    kinds = {k for k in MICRO_OPS if k[0] in mnemonics}
    kinds.add(("badpc", 0))
    if mnemonics & _ACCESSES:
        kinds |= {k for k in MICRO_OPS if k[0] == "fault"}
    return kinds


def required_kinds(init) -> set[tuple[str, int]]:
    """Every kind the program of ``init`` (``ocp.zkvm.initial.InitialState``) can run."""
    return kinds_of_words(w for _a, w in code_words(init))


def missing_kinds(init, available: Iterable[tuple[str, int]] | None = None) -> list[tuple[str, int]]:
    """Kinds the program can run that have no leaf among ``available`` (default: every
    kind :mod:`ocp.stepleaves.execute` builds)."""
    have = set(SEMANTICS if available is None else available)
    return sorted(required_kinds(init) - have)


def check_coverage(init, name: str = "program", available: Iterable[tuple[str, int]] | None = None) -> None:
    """Raise :class:`UserError` unless every kind the program can run has a leaf."""
    missing = missing_kinds(init, available)
    if missing:
        by_name: dict[str, list[int]] = {}
        for mnemonic, micro in missing:
            by_name.setdefault(mnemonic, []).append(micro)
        listed = ", ".join(
            f"{n} ({len(ms)} micro-steps)" if len(ms) > 1 else f"{n}/{ms[0]}" for n, ms in sorted(by_name.items())
        )
        raise UserError(f"{name}: {len(missing)} micro-step kinds have no execute leaf: {listed}")
