"""Transaction context for OP_CHECKLOCKTIMEVERIFY (BIP65) and
OP_CHECKSEQUENCEVERIFY (BIP112), as Core's ``TransactionSignatureChecker``
``CheckLockTime`` and ``CheckSequence`` judge them."""

from __future__ import annotations

from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.tx import SEQUENCE_FINAL, Tx

#: nLockTime below this is a block height, at or above it a UNIX time (BIP65).
LOCKTIME_THRESHOLD = 500_000_000
#: BIP68 sequence bits.
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31
SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22
SEQUENCE_LOCKTIME_MASK = 0x0000FFFF


@dataclass(frozen=True)
class LockContext:
    """The spending transaction's fields that timelock opcodes read."""

    locktime: int = 0
    sequence: int = SEQUENCE_FINAL
    version: int = 2

    def __post_init__(self) -> None:
        for name in ("locktime", "sequence", "version"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
                raise InputError(f"{name} must be a uint32, got {value!r}")

    @classmethod
    def of_input(cls, tx: Tx, index: int) -> LockContext:
        """The context of input ``index`` of ``tx``."""
        if not 0 <= index < len(tx.inputs):
            raise InputError(f"input index {index} out of range ({len(tx.inputs)} inputs)")
        return cls(tx.locktime, tx.inputs[index].sequence, tx.version & 0xFFFFFFFF)

    def check_locktime(self, required: int) -> bool:
        """BIP65: same kind (height or time), not in the future, input not final."""
        if (self.locktime < LOCKTIME_THRESHOLD) != (required < LOCKTIME_THRESHOLD):
            return False
        if required > self.locktime:
            return False
        return self.sequence != SEQUENCE_FINAL

    def check_sequence(self, required: int) -> bool:
        """BIP112 (operand's disable flag already handled by the caller): version >= 2,
        input's relative lock enabled, same kind, and no longer than the input's."""
        if self.version < 2:
            return False
        if self.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            return False
        mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK
        have, want = self.sequence & mask, required & mask
        if (have < SEQUENCE_LOCKTIME_TYPE_FLAG) != (want < SEQUENCE_LOCKTIME_TYPE_FLAG):
            return False
        return want <= have
