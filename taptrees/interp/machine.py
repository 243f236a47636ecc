"""A tapscript interpreter (BIP342) that explains itself.

:func:`run_tapscript` executes a leaf script (leaf version 0xc0) on an initial
stack with the rules of Bitcoin Core's ``ExecuteWitnessScript`` and
``EvalScript`` under the consensus flags, and reports why and where it failed
and how high the stacks grew.  It follows Core's order of checks:

1. OP_SUCCESSx anywhere in the script (the opcodes of BIP342, which include the
   disabled CAT, SUBSTR, LEFT, RIGHT, INVERT, AND, OR, XOR, 2MUL, 2DIV, MUL,
   DIV, MOD, LSHIFT, RSHIFT) makes the script succeed before anything else is
   looked at; a push running past the end before one is BAD_OPCODE.
2. The initial stack holds at most 1000 items (STACK_SIZE) of at most 520
   bytes each (PUSH_SIZE).
3. Operations run one by one; after each, stack plus altstack may hold at most
   1000 items.  MINIMALIF is consensus (TAPSCRIPT_MINIMALIF), CHECKMULTISIG(VERIFY)
   fails (TAPSCRIPT_CHECKMULTISIG), OP_CHECKSIGADD exists, numbers are at most 4
   bytes (5 for the CLTV/CSV operand), every non-empty signature spends 50 of
   the validation budget.
4. Exactly one item must remain (CLEANSTACK) and it must be true (EVAL_FALSE).

The kernel (:mod:`taptrees.verify`) stays the authority on validity; this
module is proven against it in ``tests/test_interp.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from taptrees.errors import InputError
from taptrees.hashes import hash160, hash256, ripemd160, sha256
from taptrees.interp.locktime import SEQUENCE_LOCKTIME_DISABLE_FLAG, LockContext
from taptrees.interp.result import MAX_STEPS, ExecResult, ScriptFailure
from taptrees.interp.signatures import (
    VALIDATION_WEIGHT_OFFSET,
    VALIDATION_WEIGHT_PER_SIGOP_PASSED,
    SigChecker,
    schnorr_sig_format_error,
)
from taptrees.opcodes import Opcode, is_op_success, opcode_name
from taptrees.script import Script, encode_num
from taptrees.tx import compact_size

MAX_STACK_SIZE = 1000
MAX_SCRIPT_ELEMENT_SIZE = 520
#: BIP342: code separator position when none has been executed.
NO_CODESEP = 0xFFFFFFFF
#: Single-leaf tree: control block = leaf version byte + 32-byte internal key.
SINGLE_LEAF_CONTROL_BLOCK_SIZE = 33

_TRUE = b"\x01"
_FALSE = b""
_OP_SUCCESS = tuple(is_op_success(b) for b in range(256))
_NUM_PUSH = {op: encode_num(op - 0x50) for op in range(0x51, 0x61)}
_NUM_PUSH[0x4F] = encode_num(-1)
_UPGRADABLE_NOPS = frozenset({0xB0, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9})

_ParsedOp = tuple[int, bytes | None, int]  # opcode, pushed data (None: not a push), offset


# --- helpers -------------------------------------------------------------------------


def cast_to_bool(value: bytes) -> bool:
    """Core's CastToBool: any non-zero byte, except a lone sign bit at the end (-0)."""
    for i, byte in enumerate(value):
        if byte:
            return not (i == len(value) - 1 and byte == 0x80)
    return False


def _num(data: bytes, minimal: bool, max_size: int = 4) -> int:
    """CScriptNum(data, fRequireMinimal, nMaxNumSize); its exceptions are SCRIPTNUM
    (``SCRIPT_ERR_SCRIPTNUM`` in the Core the pinned kernel vendors; older Core said
    UNKNOWN_ERROR)."""
    n = len(data)
    if n > max_size:
        raise ScriptFailure("SCRIPTNUM", f"script number overflow: {n}-byte operand, at most {max_size}")
    if n == 0:
        return 0
    last = data[-1]
    if minimal and last & 0x7F == 0 and (n == 1 or not data[-2] & 0x80):
        raise ScriptFailure("SCRIPTNUM", f"non-minimally encoded script number {data.hex()}")
    value = int.from_bytes(data, "little")
    if last & 0x80:
        return -(value & ~(0x80 << (8 * (n - 1))))
    return value


def _is_minimal_push(opcode: int, data: bytes) -> bool:
    """Core's CheckMinimalPush (policy MINIMALDATA)."""
    n = len(data)
    if n == 0:
        return opcode == 0x00
    if n == 1 and 1 <= data[0] <= 16 or n == 1 and data[0] == 0x81:
        return False
    if n <= 75:
        return opcode == n
    if n <= 255:
        return opcode == Opcode.OP_PUSHDATA1
    if n <= 65535:
        return opcode == Opcode.OP_PUSHDATA2
    return True


def op_display_name(opcode: int) -> str:
    """Name of an opcode byte, direct pushes as ``OP_PUSHBYTES_n``."""
    if 1 <= opcode <= 75:
        return f"OP_PUSHBYTES_{opcode}"
    return opcode_name(opcode)


def _parse_until_success(raw: bytes) -> tuple[list[_ParsedOp], int | None, int | None]:
    """Parse ``raw`` (Core's GetScriptOp) up to the first OP_SUCCESSx.

    Returns (ops, offset of the OP_SUCCESSx or None, offset of a truncated push or
    None).  Parsing stops at whichever comes first, as Core's pre-scan does.
    """
    ops: list[_ParsedOp] = []
    append = ops.append
    i, end = 0, len(raw)
    while i < end:
        start, op = i, raw[i]
        i += 1
        if op > 0x4E:
            if _OP_SUCCESS[op]:
                return ops, start, None
            append((op, None, start))
            continue
        if op < 0x4C:
            size = op
        else:
            width = 1 if op == 0x4C else 2 if op == 0x4D else 4
            if i + width > end:
                return ops, None, start
            size = int.from_bytes(raw[i : i + width], "little")
            i += width
        if i + size > end:
            return ops, None, start
        append((op, raw[i : i + size], start))
        i += size
    return ops, None, None


def witness_validation_budget(
    stack: Sequence[bytes],
    script: bytes,
    control_block_size: int = SINGLE_LEAF_CONTROL_BLOCK_SIZE,
    annex: bytes | None = None,
) -> int:
    """BIP342 validation weight budget: serialized witness size + 50."""
    items = [len(x) for x in stack] + [len(script), control_block_size]
    if annex is not None:
        items.append(len(annex))
    size = len(compact_size(len(items))) + sum(len(compact_size(n)) + n for n in items)
    return size + VALIDATION_WEIGHT_OFFSET


# --- the interpreter -----------------------------------------------------------------


def run_tapscript(
    script: Script | bytes,
    stack: Sequence[bytes],
    *,
    checksig: SigChecker | None = None,
    lock: LockContext | None = None,
    validation_budget: int | None = None,
    max_steps: int | None = None,
    policy: bool = False,
) -> ExecResult:
    """Execute tapscript ``script`` on ``stack`` (witness items, bottom first).

    ``checksig``: decides whether a well-formed signature is valid; without it
    every well-formed non-empty signature is accepted (see
    :mod:`taptrees.interp.signatures`).  ``lock``: the spending transaction's
    locktime, sequence and version for CLTV/CSV; without it their operands are
    still checked (size, sign) but the timelock is taken as satisfied.
    ``validation_budget``: BIP342's budget; by default that of a single-leaf
    tree spend (witness = stack, script, 33-byte control block, no annex).
    ``max_steps``: stop with MAX_STEPS after this many executed operations.
    ``policy``: also apply Core's standardness rules for tapscript (MINIMALDATA,
    DISCOURAGE_OP_SUCCESS, DISCOURAGE_UPGRADABLE_NOPS,
    DISCOURAGE_UPGRADABLE_PUBKEYTYPE); consensus when False (the default).
    """
    raw = _script_bytes(script)
    initial = _stack_items(stack)
    if validation_budget is None:
        validation_budget = witness_validation_budget(initial, raw)
    if max_steps is not None and max_steps < 0:
        raise InputError(f"max_steps must be non-negative, got {max_steps}")

    ops, success_at, truncated_at = _parse_until_success(raw)
    if success_at is not None:
        name = op_display_name(raw[success_at])
        if policy:
            return _failed(
                "DISCOURAGE_OP_SUCCESS",
                success_at,
                name,
                len(initial),
                0,
                initial,
                [],
                f"{name} is reserved for upgrades (policy)",
            )
        return ExecResult(
            True,
            None,
            success_at,
            name,
            len(initial),
            0,
            tuple(initial),
            (),
            f"{name} at offset {success_at} makes the script succeed (BIP342)",
        )
    if truncated_at is not None:
        return _failed(
            "BAD_OPCODE",
            truncated_at,
            op_display_name(raw[truncated_at]),
            len(initial),
            0,
            initial,
            [],
            "push runs past the end of the script",
        )
    if len(initial) > MAX_STACK_SIZE:
        return _failed(
            "STACK_SIZE",
            None,
            None,
            len(initial),
            0,
            initial,
            [],
            f"initial stack has {len(initial)} items, at most {MAX_STACK_SIZE}",
        )
    for i, item in enumerate(initial):
        if len(item) > MAX_SCRIPT_ELEMENT_SIZE:
            return _failed(
                "PUSH_SIZE",
                None,
                None,
                len(initial),
                0,
                initial,
                [],
                f"initial stack item {i} has {len(item)} bytes, at most {MAX_SCRIPT_ELEMENT_SIZE}",
            )

    machine = _Machine(initial, checksig, lock, validation_budget, policy)
    return machine.run(ops, max_steps)


def _script_bytes(script: Script | bytes) -> bytes:
    if isinstance(script, Script):
        return script.raw
    if isinstance(script, bytes | bytearray | memoryview):
        return bytes(script)
    raise InputError(f"script must be a Script or bytes, not {type(script).__name__}")


def _stack_items(stack: Sequence[bytes]) -> list[bytes]:
    if isinstance(stack, bytes | bytearray | str):
        raise InputError("stack must be a sequence of byte strings, not a single value")
    items = []
    for i, item in enumerate(stack):
        if not isinstance(item, bytes | bytearray | memoryview):
            raise InputError(f"stack item {i} must be bytes, not {type(item).__name__}")
        items.append(bytes(item))
    return items


def _failed(
    error: str,
    offset: int | None,
    op: str | None,
    peak: int,
    steps: int,
    stack: list[bytes],
    alt: list[bytes],
    detail: str,
) -> ExecResult:
    return ExecResult(False, error, offset, op, peak, steps, tuple(stack), tuple(alt), detail)


class _Machine:
    """State of one execution: the stacks, the condition stack, signature state."""

    __slots__ = ("stack", "alt", "checksig", "lock", "budget", "policy", "codesep_pos")

    def __init__(
        self, stack: list[bytes], checksig: SigChecker | None, lock: LockContext | None, budget: int, policy: bool
    ) -> None:
        self.stack = stack
        self.alt: list[bytes] = []
        self.checksig = checksig
        self.lock = lock
        self.budget = budget
        self.policy = policy
        self.codesep_pos = NO_CODESEP

    def run(self, ops: list[_ParsedOp], max_steps: int | None) -> ExecResult:
        stack, alt = self.stack, self.alt
        minimal = self.policy
        # Core's ConditionStack: the branch executes while no entry is False.
        conditions: list[bool] = []
        false_count = 0
        peak = len(stack)
        steps = 0
        limit = max_steps if max_steps is not None else -1
        position = 0
        handlers = OPERATIONS
        try:
            for position, (op, data, _offset) in enumerate(ops):
                executing = false_count == 0
                if data is not None:
                    if len(data) > MAX_SCRIPT_ELEMENT_SIZE:
                        raise ScriptFailure(
                            "PUSH_SIZE", f"push of {len(data)} bytes, at most {MAX_SCRIPT_ELEMENT_SIZE}"
                        )
                    if executing:
                        if steps == limit:
                            raise ScriptFailure(MAX_STEPS, f"stopped after {steps} operations")
                        steps += 1
                        if minimal and not _is_minimal_push(op, data):
                            raise ScriptFailure("MINIMALDATA", "push is not minimal (policy)")
                        stack.append(data)
                elif 0x63 <= op <= 0x68:  # IF NOTIF VERIF VERNOTIF ELSE ENDIF, even unexecuted
                    if executing:
                        if steps == limit:
                            raise ScriptFailure(MAX_STEPS, f"stopped after {steps} operations")
                        steps += 1
                    if op == 0x63 or op == 0x64:
                        value = False
                        if executing:
                            value = self.condition(op)
                        conditions.append(value)
                        if not value:
                            false_count += 1
                    elif op == 0x67:
                        if not conditions:
                            raise ScriptFailure("UNBALANCED_CONDITIONAL", "OP_ELSE without OP_IF")
                        false_count += 1 if conditions[-1] else -1
                        conditions[-1] = not conditions[-1]
                    elif op == 0x68:
                        if not conditions:
                            raise ScriptFailure("UNBALANCED_CONDITIONAL", "OP_ENDIF without OP_IF")
                        if not conditions.pop():
                            false_count -= 1
                    else:
                        raise ScriptFailure("BAD_OPCODE", f"{opcode_name(op)} is not an opcode")
                elif executing:
                    if steps == limit:
                        raise ScriptFailure(MAX_STEPS, f"stopped after {steps} operations")
                    steps += 1
                    if op == 0xAB:  # OP_CODESEPARATOR: BIP342 position = opcode index
                        self.codesep_pos = position
                    else:
                        handlers.get(op, _bad_opcode)(self, op)
                depth = len(stack) + len(alt)
                if depth > peak:
                    peak = depth
                if depth > MAX_STACK_SIZE:
                    raise ScriptFailure("STACK_SIZE", f"stack + altstack hold {depth} items, at most {MAX_STACK_SIZE}")
        except ScriptFailure as failure:
            failed_op, _, offset = ops[position]
            return _failed(failure.error, offset, op_display_name(failed_op), peak, steps, stack, alt, failure.detail)
        if conditions:
            return _failed(
                "UNBALANCED_CONDITIONAL",
                None,
                None,
                peak,
                steps,
                stack,
                alt,
                f"{len(conditions)} OP_IF/OP_NOTIF left open at the end",
            )
        if len(stack) != 1:
            return _failed(
                "CLEANSTACK",
                None,
                None,
                peak,
                steps,
                stack,
                alt,
                f"{len(stack)} items left on the stack, exactly 1 required",
            )
        if not cast_to_bool(stack[0]):
            return _failed(
                "EVAL_FALSE",
                None,
                None,
                peak,
                steps,
                stack,
                alt,
                f"the remaining item {stack[0].hex() or '(empty)'} is false",
            )
        return ExecResult(True, None, None, None, peak, steps, tuple(stack), tuple(alt))

    # --- flow control --------------------------------------------------------------

    def condition(self, op: int) -> bool:
        """OP_IF/OP_NOTIF argument: pops it; BIP342 requires it to be empty or 0x01."""
        stack = self.stack
        if not stack:
            raise ScriptFailure("UNBALANCED_CONDITIONAL", f"{opcode_name(op)} on an empty stack")
        top = stack[-1]
        if len(top) > 1 or (len(top) == 1 and top[0] != 1):
            raise ScriptFailure("TAPSCRIPT_MINIMALIF", f"{opcode_name(op)} argument {top.hex()} is not empty or 01")
        stack.pop()
        return bool(top) == (op == 0x63)

    # --- everything else -----------------------------------------------------------

    def need(self, n: int, op: int) -> None:
        if len(self.stack) < n:
            raise ScriptFailure(
                "INVALID_STACK_OPERATION", f"{opcode_name(op)} needs {n} items, stack has {len(self.stack)}"
            )

    def eval_checksig(self, sig: bytes, pubkey: bytes) -> bool:
        """Core's EvalChecksigTapscript: the consensus-critical order of BIP342's rules."""
        success = len(sig) > 0
        if success:
            self.budget -= VALIDATION_WEIGHT_PER_SIGOP_PASSED
            if self.budget < 0:
                raise ScriptFailure("TAPSCRIPT_VALIDATION_WEIGHT", "more signatures than the witness size pays for")
        if not pubkey:
            raise ScriptFailure("TAPSCRIPT_EMPTY_PUBKEY", "empty public key")
        if len(pubkey) == 32:
            if success:
                error = schnorr_sig_format_error(sig)
                if error is not None:
                    raise ScriptFailure(error, f"malformed {len(sig)}-byte signature")
                if self.checksig is not None and not self.checksig(pubkey, sig, self.codesep_pos):
                    raise ScriptFailure("SCHNORR_SIG", "signature does not verify")
        elif self.policy:
            raise ScriptFailure("DISCOURAGE_UPGRADABLE_PUBKEYTYPE", f"{len(pubkey)}-byte public key (policy)")
        return success

    def check_locktime(self) -> None:
        """OP_CHECKLOCKTIMEVERIFY (BIP65); leaves its operand on the stack."""
        self.need(1, 0xB1)
        required = _num(self.stack[-1], self.policy, 5)
        if required < 0:
            raise ScriptFailure("NEGATIVE_LOCKTIME", f"locktime operand {required}")
        if self.lock is not None and not self.lock.check_locktime(required):
            raise ScriptFailure(
                "UNSATISFIED_LOCKTIME",
                f"needs locktime {required}; tx has {self.lock.locktime}, input sequence {self.lock.sequence:#x}",
            )

    def check_sequence(self) -> None:
        """OP_CHECKSEQUENCEVERIFY (BIP112); leaves its operand on the stack."""
        self.need(1, 0xB2)
        required = _num(self.stack[-1], self.policy, 5)
        if required < 0:
            raise ScriptFailure("NEGATIVE_LOCKTIME", f"sequence operand {required}")
        if required & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            return
        if self.lock is not None and not self.lock.check_sequence(required):
            raise ScriptFailure(
                "UNSATISFIED_LOCKTIME",
                f"needs sequence {required:#x}; input has {self.lock.sequence:#x}, tx version {self.lock.version}",
            )


# --- stack operations (Core's names and stack diagrams) ------------------------------


def _toaltstack(m: _Machine, op: int) -> None:
    m.need(1, op)
    m.alt.append(m.stack.pop())


def _fromaltstack(m: _Machine, op: int) -> None:
    if not m.alt:
        raise ScriptFailure("INVALID_ALTSTACK_OPERATION", "altstack is empty")
    m.stack.append(m.alt.pop())


def _2drop(m: _Machine, op: int) -> None:
    m.need(2, op)
    del m.stack[-2:]


def _2dup(m: _Machine, op: int) -> None:
    m.need(2, op)
    m.stack.extend(m.stack[-2:])


def _3dup(m: _Machine, op: int) -> None:
    m.need(3, op)
    m.stack.extend(m.stack[-3:])


def _2over(m: _Machine, op: int) -> None:
    m.need(4, op)
    m.stack.extend(m.stack[-4:-2])


def _2rot(m: _Machine, op: int) -> None:
    m.need(6, op)
    s = m.stack
    s.extend(s[-6:-4])
    del s[-8:-6]


def _2swap(m: _Machine, op: int) -> None:
    m.need(4, op)
    s = m.stack
    s[-4:] = s[-2:] + s[-4:-2]


def _ifdup(m: _Machine, op: int) -> None:
    m.need(1, op)
    if cast_to_bool(m.stack[-1]):
        m.stack.append(m.stack[-1])


def _depth(m: _Machine, op: int) -> None:
    m.stack.append(encode_num(len(m.stack)))


def _drop(m: _Machine, op: int) -> None:
    m.need(1, op)
    m.stack.pop()


def _dup(m: _Machine, op: int) -> None:
    m.need(1, op)
    m.stack.append(m.stack[-1])


def _nip(m: _Machine, op: int) -> None:
    m.need(2, op)
    del m.stack[-2]


def _over(m: _Machine, op: int) -> None:
    m.need(2, op)
    m.stack.append(m.stack[-2])


def _pick_or_roll(m: _Machine, op: int) -> None:
    m.need(2, op)
    s = m.stack
    n = _num(s[-1], m.policy)
    s.pop()
    if n < 0 or n >= len(s):
        raise ScriptFailure("INVALID_STACK_OPERATION", f"{opcode_name(op)} {n} with {len(s)} items below")
    item = s[-n - 1]
    if op == 0x7A:
        del s[-n - 1]
    s.append(item)


def _rot(m: _Machine, op: int) -> None:
    m.need(3, op)
    s = m.stack
    s.append(s.pop(-3))


def _swap(m: _Machine, op: int) -> None:
    m.need(2, op)
    s = m.stack
    s[-1], s[-2] = s[-2], s[-1]


def _tuck(m: _Machine, op: int) -> None:
    m.need(2, op)
    s = m.stack
    s.insert(-2, s[-1])


def _size(m: _Machine, op: int) -> None:
    m.need(1, op)
    m.stack.append(encode_num(len(m.stack[-1])))


_STACK_OPS = {
    0x6B: _toaltstack,
    0x6C: _fromaltstack,
    0x6D: _2drop,
    0x6E: _2dup,
    0x6F: _3dup,
    0x70: _2over,
    0x71: _2rot,
    0x72: _2swap,
    0x73: _ifdup,
    0x74: _depth,
    0x75: _drop,
    0x76: _dup,
    0x77: _nip,
    0x78: _over,
    0x79: _pick_or_roll,
    0x7A: _pick_or_roll,
    0x7B: _rot,
    0x7C: _swap,
    0x7D: _tuck,
    0x82: _size,
}


def _push_number(m: _Machine, op: int) -> None:
    """OP_1NEGATE, OP_1 .. OP_16."""
    m.stack.append(_NUM_PUSH[op])


def _unary(fn):
    """(a -- fn(a)) on script numbers: OP_1ADD, OP_1SUB, OP_NEGATE, OP_ABS, OP_NOT,
    OP_0NOTEQUAL."""

    def operation(m: _Machine, op: int) -> None:
        m.need(1, op)
        m.stack[-1] = encode_num(int(fn(_num(m.stack[-1], m.policy))))

    return operation


def _binary(fn):
    """(a b -- fn(a, b)) on script numbers."""

    def operation(m: _Machine, op: int) -> None:
        m.need(2, op)
        s = m.stack
        a, b = _num(s[-2], m.policy), _num(s[-1], m.policy)
        del s[-2:]
        s.append(encode_num(int(fn(a, b))))

    return operation


def _numequalverify(m: _Machine, op: int) -> None:
    m.need(2, op)
    s = m.stack
    a, b = _num(s[-2], m.policy), _num(s[-1], m.policy)
    del s[-2:]
    if a != b:
        raise ScriptFailure("NUMEQUALVERIFY", f"{a} != {b}")


def _within(m: _Machine, op: int) -> None:
    """OP_WITHIN (x min max -- min <= x < max)."""
    m.need(3, op)
    s = m.stack
    x, lo, hi = (_num(v, m.policy) for v in s[-3:])
    del s[-3:]
    s.append(_TRUE if lo <= x < hi else _FALSE)


def _hash(fn):
    def operation(m: _Machine, op: int) -> None:
        m.need(1, op)
        m.stack.append(fn(m.stack.pop()))

    return operation


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


def _equal(m: _Machine, op: int) -> None:
    m.need(2, op)
    s = m.stack
    equal = s[-1] == s[-2]
    del s[-2:]
    s.append(_TRUE if equal else _FALSE)


def _equalverify(m: _Machine, op: int) -> None:
    m.need(2, op)
    s = m.stack
    equal = s[-1] == s[-2]
    del s[-2:]
    if not equal:
        raise ScriptFailure("EQUALVERIFY", "the top two items differ")


def _verify(m: _Machine, op: int) -> None:
    m.need(1, op)
    if not cast_to_bool(m.stack[-1]):
        raise ScriptFailure("VERIFY", f"top item {m.stack[-1].hex() or '(empty)'} is false")
    m.stack.pop()


def _checksig(m: _Machine, op: int) -> None:
    """OP_CHECKSIG / OP_CHECKSIGVERIFY (sig pubkey -- bool)."""
    m.need(2, op)
    s = m.stack
    success = m.eval_checksig(s[-2], s[-1])
    del s[-2:]
    if op == 0xAC:
        s.append(_TRUE if success else _FALSE)
    elif not success:
        raise ScriptFailure("CHECKSIGVERIFY", "empty signature")


def _checksigadd(m: _Machine, op: int) -> None:
    """OP_CHECKSIGADD (sig n pubkey -- n+success); n is decoded before the signature."""
    m.need(3, op)
    s = m.stack
    n = _num(s[-2], m.policy)
    success = m.eval_checksig(s[-3], s[-1])
    del s[-3:]
    s.append(encode_num(n + success))


def _checkmultisig(m: _Machine, op: int) -> None:
    raise ScriptFailure("TAPSCRIPT_CHECKMULTISIG", "use OP_CHECKSIGADD in tapscript")


def _checklocktimeverify(m: _Machine, op: int) -> None:
    m.check_locktime()


def _checksequenceverify(m: _Machine, op: int) -> None:
    m.check_sequence()


def _nop(m: _Machine, op: int) -> None:
    pass


def _upgradable_nop(m: _Machine, op: int) -> None:
    if m.policy:
        raise ScriptFailure("DISCOURAGE_UPGRADABLE_NOPS", "reserved for upgrades (policy)")


def _return(m: _Machine, op: int) -> None:
    raise ScriptFailure("OP_RETURN", "OP_RETURN executed")


def _bad_opcode(m: _Machine, op: int) -> None:
    """OP_INVALIDOPCODE and anything else Core's switch does not know."""
    raise ScriptFailure("BAD_OPCODE", f"{op_display_name(op)} is not an opcode")


#: Core's switch in EvalScript for executed non-push operations other than flow
#: control (IF/NOTIF/ELSE/ENDIF/VERIF/VERNOTIF) and OP_CODESEPARATOR, which the loop
#: handles itself.  Opcodes missing here are BAD_OPCODE.
OPERATIONS = {
    **dict.fromkeys(_NUM_PUSH, _push_number),
    0x61: _nop,
    0x69: _verify,
    0x6A: _return,
    **_STACK_OPS,
    0x87: _equal,
    0x88: _equalverify,
    0x8B: _unary(lambda a: a + 1),  # OP_1ADD
    0x8C: _unary(lambda a: a - 1),  # OP_1SUB
    0x8F: _unary(lambda a: -a),  # OP_NEGATE
    0x90: _unary(abs),  # OP_ABS
    0x91: _unary(lambda a: a == 0),  # OP_NOT
    0x92: _unary(lambda a: a != 0),  # OP_0NOTEQUAL
    0x93: _binary(lambda a, b: a + b),  # OP_ADD
    0x94: _binary(lambda a, b: a - b),  # OP_SUB
    0x9A: _binary(lambda a, b: a != 0 and b != 0),  # OP_BOOLAND
    0x9B: _binary(lambda a, b: a != 0 or b != 0),  # OP_BOOLOR
    0x9C: _binary(lambda a, b: a == b),  # OP_NUMEQUAL
    0x9D: _numequalverify,
    0x9E: _binary(lambda a, b: a != b),  # OP_NUMNOTEQUAL
    0x9F: _binary(lambda a, b: a < b),  # OP_LESSTHAN
    0xA0: _binary(lambda a, b: a > b),  # OP_GREATERTHAN
    0xA1: _binary(lambda a, b: a <= b),  # OP_LESSTHANOREQUAL
    0xA2: _binary(lambda a, b: a >= b),  # OP_GREATERTHANOREQUAL
    0xA3: _binary(min),  # OP_MIN
    0xA4: _binary(max),  # OP_MAX
    0xA5: _within,
    0xA6: _hash(ripemd160),
    0xA7: _hash(_sha1),
    0xA8: _hash(sha256),
    0xA9: _hash(hash160),
    0xAA: _hash(hash256),
    0xAC: _checksig,
    0xAD: _checksig,
    0xAE: _checkmultisig,
    0xAF: _checkmultisig,
    0xB1: _checklocktimeverify,
    0xB2: _checksequenceverify,
    0xBA: _checksigadd,
    **dict.fromkeys(_UPGRADABLE_NOPS, _upgradable_nop),
}
