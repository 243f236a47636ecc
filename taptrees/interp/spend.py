"""Run a :class:`taptrees.verify.LeafSpend` through the interpreter with everything
the kernel would see: BIP340 signatures against the spend's BIP342 sighash, the
transaction's locktime/sequence/version, and the budget of the real witness."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from taptrees.errors import InputError
from taptrees.interp.locktime import LockContext
from taptrees.interp.machine import run_tapscript
from taptrees.interp.result import ExecResult
from taptrees.interp.signatures import VALIDATION_WEIGHT_OFFSET, leaf_spend_checker
from taptrees.tree import TAPSCRIPT_LEAF_VERSION
from taptrees.tx import compact_size

if TYPE_CHECKING:
    from taptrees.verify import LeafSpend


def run_leaf_spend(
    spend: LeafSpend,
    stack: Sequence[bytes] | Callable[[LeafSpend], Sequence[bytes]],
    *,
    annex: bytes | None = None,
    max_steps: int | None = None,
    policy: bool = False,
) -> ExecResult:
    """Execute ``spend``'s leaf on ``stack`` (bottom first, or a function of the spend
    that signs, as :func:`taptrees.verify.execute_leaf` takes it) exactly as the kernel
    would judge ``spend.verify(stack, annex)``, with reasons."""
    leaf = spend.leaf
    if leaf.version != TAPSCRIPT_LEAF_VERSION:
        raise InputError(
            f"leaf version 0x{leaf.version:02x} is not tapscript (0xc0); BIP341 lets unknown versions pass unexecuted"
        )
    items = list(stack(spend) if callable(stack) else stack)
    witness = spend.output.script_path_witness(spend.leaf_index, items, annex)
    witness_size = len(compact_size(len(witness))) + sum(len(compact_size(len(w))) + len(w) for w in witness)
    return run_tapscript(
        leaf.script,
        items,
        checksig=leaf_spend_checker(spend),
        lock=LockContext.of_input(spend.tx, 0),
        validation_budget=witness_size + VALIDATION_WEIGHT_OFFSET,
        max_steps=max_steps,
        policy=policy,
    )
