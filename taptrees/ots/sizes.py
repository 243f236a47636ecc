"""What a Winternitz verifier costs: script bytes, witness bytes, peak stack.

Peak stack is measured, not estimated: the verifier runs in
:func:`taptrees.interp.run_tapscript` on real signatures of a few values (zero,
all ones, and a mixed pattern) and the largest ``peak_stack`` (main + alt, as
Core counts for its 1000-item limit) is reported.  Witness bytes are the bytes
the stack items add to a transaction's witness (each item with its length
prefix), for the largest digit encodings (an upper bound over all values).
"""

from __future__ import annotations

from dataclasses import dataclass

from taptrees.interp import run_tapscript
from taptrees.opcodes import OP_1, OP_DROP
from taptrees.ots.derive import CHAIN_VALUE_SIZE
from taptrees.ots.winternitz import (
    WinternitzKey,
    WinternitzParams,
    verifier_script,
)
from taptrees.script import Script, encode_num
from taptrees.tx import compact_size

_PROBE_SECRET = b"ocp/ots/sizes probe secret (public)"


@dataclass(frozen=True)
class VerifierSize:
    """Cost of one verifier configuration."""

    strategy: str
    digit_bits: int
    message_bits: int
    keep: str
    digits: int
    script_bytes: int
    witness_items: int
    witness_bytes: int
    peak_stack: int

    @property
    def script_bytes_per_bit(self) -> float:
        return self.script_bytes / self.message_bits

    @property
    def total_bytes(self) -> int:
        """Script plus witness: what a spend of the leaf adds (control block aside)."""
        return self.script_bytes + self.witness_bytes

    def to_json(self) -> dict:
        return {
            "strategy": self.strategy,
            "digit_bits": self.digit_bits,
            "message_bits": self.message_bits,
            "keep": self.keep,
            "digits": self.digits,
            "script_bytes": self.script_bytes,
            "witness_items": self.witness_items,
            "witness_bytes": self.witness_bytes,
            "peak_stack": self.peak_stack,
        }


def witness_bytes_bound(params: WinternitzParams, strategy: str) -> int:
    """Largest witness (items with length prefixes) of any signature."""
    sig = len(compact_size(CHAIN_VALUE_SIZE)) + CHAIN_VALUE_SIZE
    per_digit = sig
    if strategy == "small_script":
        largest = encode_num(params.max_digit)
        per_digit += len(compact_size(len(largest))) + len(largest)
    return params.total_digits * per_digit


def probe_values(params: WinternitzParams) -> tuple[int, ...]:
    n = params.message_bits
    ones = (1 << n) - 1
    mixed = int.from_bytes(bytes(range(1, (n + 7) // 8 + 1)), "little") & ones
    return (0, ones, mixed)


def measure(strategy: str, digit_bits: int, message_bits: int, keep: str = "digits") -> VerifierSize:
    """Build, sign and run the verifier; report its sizes and measured peak stack."""
    params = WinternitzParams(digit_bits, message_bits)
    key = WinternitzKey.derive(_PROBE_SECRET, "sizes", params)
    script = verifier_script(key.public_key(), strategy, keep)
    cleanup = [OP_DROP] * (params.message_digits if keep == "digits" else 0)
    runnable = Script([script, cleanup, OP_1])
    peak = 0
    items = 0
    for value in probe_values(params):
        witness = key.sign(value, strategy)
        items = len(witness)
        result = run_tapscript(runnable, witness)
        if not result.ok:  # pragma: no cover - the tests pin this
            raise AssertionError(f"verifier rejected its own signature: {result.describe()}")
        peak = max(peak, result.peak_stack)
    return VerifierSize(
        strategy=strategy,
        digit_bits=digit_bits,
        message_bits=message_bits,
        keep=keep,
        digits=params.total_digits,
        script_bytes=script.size,
        witness_items=items,
        witness_bytes=witness_bytes_bound(params, strategy),
        peak_stack=peak,
    )


def size_table(
    strategies=("small_script", "small_witness"),
    digit_widths=range(2, 9),
    message_sizes=(8, 32, 128, 160, 256),
    keep: str = "digits",
) -> list[VerifierSize]:
    """:func:`measure` for every combination."""
    return [measure(s, w, n, keep) for s in strategies for w in digit_widths for n in message_sizes]
