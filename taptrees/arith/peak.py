"""Static stack-height analysis of straight-line arithmetic scripts.

BIP342 limits the stack and alt stack together to 1,000 items.  The scripts this
package emits have no loops and their ``OP_IF`` branches leave equal heights, so
the peak can be computed exactly without values: walk the ops with the height of
each stack, take both branches of a conditional and the larger of their peaks.
``OP_PICK``/``OP_ROLL`` change the height by a fixed amount whatever their index.
"""

from __future__ import annotations

from dataclasses import dataclass

from taptrees.errors import InputError
from taptrees.opcodes import Opcode
from taptrees.script import Script

Op = Opcode
#: (items popped, items pushed) on the main stack for each non-push opcode handled.
_EFFECT: dict[int, tuple[int, int]] = {
    **{
        op: (1, 1)
        for op in (
            Op.OP_PICK,
            Op.OP_NOT,
            Op.OP_ABS,
            Op.OP_NEGATE,
            Op.OP_0NOTEQUAL,
            Op.OP_1ADD,
            Op.OP_1SUB,
            Op.OP_HASH160,
            Op.OP_SHA256,
            Op.OP_RIPEMD160,
            Op.OP_HASH256,
            Op.OP_SHA1,
            Op.OP_SIZE,
        )
    },
    **{
        op: (2, 1)
        for op in (
            Op.OP_ADD,
            Op.OP_SUB,
            Op.OP_BOOLAND,
            Op.OP_BOOLOR,
            Op.OP_NUMEQUAL,
            Op.OP_NUMNOTEQUAL,
            Op.OP_LESSTHAN,
            Op.OP_GREATERTHAN,
            Op.OP_LESSTHANOREQUAL,
            Op.OP_GREATERTHANOREQUAL,
            Op.OP_MIN,
            Op.OP_MAX,
            Op.OP_EQUAL,
            Op.OP_ROLL,
            Op.OP_CHECKSIG,
        )
    },
    Op.OP_SIZE: (1, 2),
    Op.OP_WITHIN: (3, 1),
    Op.OP_DUP: (1, 2),
    Op.OP_2DUP: (2, 4),
    Op.OP_3DUP: (3, 6),
    Op.OP_OVER: (2, 3),
    Op.OP_2OVER: (4, 6),
    Op.OP_SWAP: (2, 2),
    Op.OP_2SWAP: (4, 4),
    Op.OP_ROT: (3, 3),
    Op.OP_2ROT: (6, 6),
    Op.OP_TUCK: (2, 3),
    Op.OP_NIP: (2, 1),
    Op.OP_DROP: (1, 0),
    Op.OP_2DROP: (2, 0),
    Op.OP_VERIFY: (1, 0),
    Op.OP_EQUALVERIFY: (2, 0),
    Op.OP_NUMEQUALVERIFY: (2, 0),
    Op.OP_CHECKSIGVERIFY: (2, 0),
    Op.OP_IFDUP: (1, 2),  # at most
    Op.OP_DEPTH: (0, 1),
    Op.OP_NOP: (0, 0),
    Op.OP_CODESEPARATOR: (0, 0),
}


@dataclass(frozen=True)
class StackPeak:
    """Largest number of items on the stack and alt stack together, and where."""

    peak: int
    final: int


def static_peak(script: Script, initial: int) -> StackPeak:
    """Peak of (stack + alt stack) while running ``script`` on ``initial`` witness items."""
    main, alt = initial, 0
    peak = main
    frames: list[tuple[int, int, int, int]] = []  # heights at IF, best end of a branch
    for op in script.ops():
        code = op.opcode
        if op.is_push or Op.OP_1NEGATE <= code <= Op.OP_16 and code != Op.OP_RESERVED:
            main += 1
        elif code in (Op.OP_IF, Op.OP_NOTIF):
            main -= 1
            frames.append((main, alt, -1, -1))
        elif code == Op.OP_ELSE:
            m0, a0, _, _ = frames[-1]
            frames[-1] = (m0, a0, main, alt)
            main, alt = m0, a0
        elif code == Op.OP_ENDIF:
            _, _, m1, a1 = frames.pop()
            if m1 >= 0 and (m1, a1) != (main, alt):
                raise InputError(f"branches end at different heights at offset {op.offset}")
        elif code == Op.OP_TOALTSTACK:
            main, alt = main - 1, alt + 1
        elif code == Op.OP_FROMALTSTACK:
            main, alt = main + 1, alt - 1
        elif code in _EFFECT:
            pops, pushes = _EFFECT[code]
            if main < pops:
                raise InputError(f"stack underflow at offset {op.offset}")
            main += pushes - pops
        else:
            raise InputError(f"static_peak does not model {op.asm()} at offset {op.offset}")
        if main < 0 or alt < 0:
            raise InputError(f"stack underflow at offset {op.offset}")
        peak = max(peak, main + alt)
    return StackPeak(peak, main)
