"""taptrees.interp against Bitcoin Core (libbitcoinkernel via taptrees.verify).

Every verdict the interpreter gives is compared with the kernel's on the same
leaf and stack: random scripts (hypothesis and a seeded corpus), BIP342 edge
cases, and real BIP340 signatures through the LeafSpend wiring.  The error
names are checked where the kernel cannot say them (it answers pass/fail), by
construction of scripts that can fail in one way only.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taptrees.errors import InputError
from taptrees.hashes import hash160
from taptrees.interp import (
    LockContext,
    op_display_name,
    run_leaf_spend,
    run_tapscript,
)
from taptrees.keys import schnorr_sign, xonly_pubkey
from taptrees.opcodes import (
    OP_0,
    OP_0NOTEQUAL,
    OP_1,
    OP_1ADD,
    OP_1NEGATE,
    OP_1SUB,
    OP_2DROP,
    OP_2DUP,
    OP_2OVER,
    OP_2ROT,
    OP_2SWAP,
    OP_3DUP,
    OP_ABS,
    OP_ADD,
    OP_BOOLAND,
    OP_BOOLOR,
    OP_CAT,
    OP_CHECKLOCKTIMEVERIFY,
    OP_CHECKMULTISIG,
    OP_CHECKSEQUENCEVERIFY,
    OP_CHECKSIG,
    OP_CHECKSIGADD,
    OP_CHECKSIGVERIFY,
    OP_CODESEPARATOR,
    OP_DEPTH,
    OP_DROP,
    OP_DUP,
    OP_ELSE,
    OP_ENDIF,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_FROMALTSTACK,
    OP_GREATERTHAN,
    OP_GREATERTHANOREQUAL,
    OP_HASH160,
    OP_HASH256,
    OP_IF,
    OP_IFDUP,
    OP_LESSTHAN,
    OP_LESSTHANOREQUAL,
    OP_MAX,
    OP_MIN,
    OP_NEGATE,
    OP_NIP,
    OP_NOP,
    OP_NOP4,
    OP_NOT,
    OP_NOTIF,
    OP_NUMEQUAL,
    OP_NUMEQUALVERIFY,
    OP_NUMNOTEQUAL,
    OP_OVER,
    OP_PICK,
    OP_PUSHDATA1,
    OP_RETURN,
    OP_RIPEMD160,
    OP_ROLL,
    OP_ROT,
    OP_SHA1,
    OP_SHA256,
    OP_SIZE,
    OP_SUB,
    OP_SWAP,
    OP_TOALTSTACK,
    OP_TUCK,
    OP_VERIF,
    OP_VERIFY,
    OP_WITHIN,
    Opcode,
)
from taptrees.script import Script, encode_num
from taptrees.tree import TapTree
from taptrees.tx import SEQUENCE_FINAL
from taptrees.verify import execute_leaf, leaf_spend

# --- differential harness ------------------------------------------------------------

LOCKS = [
    LockContext(locktime=0, sequence=SEQUENCE_FINAL),
    LockContext(locktime=100, sequence=0xFFFFFFFE),
    LockContext(locktime=600_000_000, sequence=10),
    LockContext(locktime=0, sequence=(1 << 22) | 7),
    LockContext(locktime=5, sequence=1 << 31, version=1),
]


def kernel_and_interp(script: Script, stack, lock: LockContext = LOCKS[0]):
    """(kernel verdict, interpreter result) for one leaf and stack."""
    verdict = execute_leaf(script, list(stack), sequence=lock.sequence, locktime=lock.locktime, version=lock.version)
    return verdict.ok, run_tapscript(script, stack, lock=lock)


def assert_agrees(script: Script, stack, lock: LockContext = LOCKS[0]):
    kernel_ok, result = kernel_and_interp(script, stack, lock)
    assert result.ok == kernel_ok, (
        f"kernel says {kernel_ok}, interpreter {result.describe()}\n"
        f"script: {script.asm()}\nstack: {[x.hex() for x in stack]}\nlock: {lock}"
    )
    return result


# Opcodes the random scripts draw from: everything that needs no signature.
RANDOM_OPS = [
    OP_DUP,
    OP_DROP,
    OP_SWAP,
    OP_OVER,
    OP_ROT,
    OP_NIP,
    OP_TUCK,
    OP_PICK,
    OP_ROLL,
    OP_2DUP,
    OP_2DROP,
    OP_3DUP,
    OP_2OVER,
    OP_2ROT,
    OP_2SWAP,
    OP_IFDUP,
    OP_DEPTH,
    OP_SIZE,
    OP_TOALTSTACK,
    OP_FROMALTSTACK,
    OP_ADD,
    OP_SUB,
    OP_1ADD,
    OP_1SUB,
    OP_NEGATE,
    OP_ABS,
    OP_NOT,
    OP_0NOTEQUAL,
    OP_BOOLAND,
    OP_BOOLOR,
    OP_NUMEQUAL,
    OP_NUMEQUALVERIFY,
    OP_NUMNOTEQUAL,
    OP_LESSTHAN,
    OP_GREATERTHAN,
    OP_LESSTHANOREQUAL,
    OP_GREATERTHANOREQUAL,
    OP_MIN,
    OP_MAX,
    OP_WITHIN,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_VERIFY,
    OP_IF,
    OP_NOTIF,
    OP_ELSE,
    OP_ENDIF,
    OP_IF,
    OP_ELSE,
    OP_ENDIF,
    OP_SHA256,
    OP_HASH160,
    OP_RIPEMD160,
    OP_SHA1,
    OP_HASH256,
    OP_NOP,
    OP_NOP4,
    OP_CODESEPARATOR,
    OP_CHECKLOCKTIMEVERIFY,
    OP_CHECKSEQUENCEVERIFY,
]
RARE_OPS = [OP_RETURN, OP_CHECKMULTISIG, OP_VERIF, Opcode(0xFF), OP_CAT, OP_CHECKSIG]
ODD_VALUES = [
    b"",
    b"\x00",
    b"\x80",
    b"\x01",
    b"\x02",
    b"\x81",
    b"\x00\x80",
    b"\x01\x00",
    b"\xff\xff\xff\x7f",
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x00\x01",
    b"\xff" * 5,
    encode_num(500_000_000),
    encode_num((1 << 22) | 5),
    encode_num(1 << 31),
]


def random_item(rng: random.Random):
    """One script item: an opcode, a small number, or an awkward byte string."""
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(RANDOM_OPS)
    if roll < 0.80:
        return rng.randint(-3, 20)
    if roll < 0.97:
        return rng.choice(ODD_VALUES)
    return rng.choice(RARE_OPS)


def random_stack(rng: random.Random) -> list[bytes]:
    return [rng.choice(ODD_VALUES[:8]) for _ in range(rng.randint(0, 5))]


def random_case(seed: int):
    """A random script, stack and lock context.  Half the scripts that would end
    with a dirty stack get OP_NIPs (or an OP_1) appended so that they reach the
    final truth test: the kernel still judges them independently."""
    rng = random.Random(seed)
    script = Script([random_item(rng) for _ in range(rng.randint(0, 14))])
    stack, lock = random_stack(rng), rng.choice(LOCKS)
    first = run_tapscript(script, stack, lock=lock)
    if first.error == "CLEANSTACK" and rng.random() < 0.5:
        depth = len(first.final_stack)
        script = script + (Script([OP_NIP] * (depth - 1)) if depth else Script([OP_1]))
    return script, stack, lock


# --- differential: random scripts ----------------------------------------------------


SCRIPT_ITEMS = st.one_of(
    st.sampled_from(RANDOM_OPS),
    st.sampled_from(RANDOM_OPS),
    st.integers(min_value=-3, max_value=20),
    st.sampled_from(ODD_VALUES),
    st.sampled_from(RARE_OPS),
)
STACKS = st.lists(st.sampled_from(ODD_VALUES[:8]), max_size=5)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SCRIPT_ITEMS, max_size=14), STACKS, st.sampled_from(LOCKS), st.booleans())
def test_random_scripts_match_kernel_hypothesis(items, stack, lock, complete):
    script = Script(items)
    if complete:  # reach the final truth test more often (see random_case)
        first = run_tapscript(script, stack, lock=lock)
        if first.error == "CLEANSTACK":
            depth = len(first.final_stack)
            script = script + (Script([OP_NIP] * (depth - 1)) if depth else Script([OP_1]))
    assert_agrees(script, stack, lock)


def test_seeded_corpus_matches_kernel_and_covers_both_verdicts():
    """A fixed corpus, so that coverage can be asserted: both verdicts and many of
    Core's error kinds must occur, or the differential test above proves little."""
    verdicts, errors = {True: 0, False: 0}, set()
    for seed in range(600):
        result = assert_agrees(*random_case(seed))
        verdicts[result.ok] += 1
        errors.add(result.error)
    assert verdicts[True] >= 60 and verdicts[False] >= 60, verdicts
    assert {
        "INVALID_STACK_OPERATION",
        "CLEANSTACK",
        "EVAL_FALSE",
        "UNBALANCED_CONDITIONAL",
        "TAPSCRIPT_MINIMALIF",
        "SCRIPTNUM",
        "EQUALVERIFY",
    } <= errors, errors


# --- BIP342 edge cases, each against the kernel, with the reason ------------------------

TRUE = b"\x01"
BIG = bytes(range(256)) * 3


def raw_script(*parts: bytes | Opcode) -> Script:
    """Raw bytes from opcodes and byte strings, for scripts the builder refuses to make
    (truncated pushes)."""
    return Script.from_bytes(b"".join(bytes([p]) if isinstance(p, int) else p for p in parts))


EDGE_CASES = [
    # name, script, stack, kernel accepts, error, failing op
    ("empty script, empty stack", Script([]), [], False, "CLEANSTACK", None),
    ("empty script, one true item", Script([]), [TRUE], True, None, None),
    ("empty script, one false item", Script([]), [b"\x80"], False, "EVAL_FALSE", None),
    ("minimal IF argument 01", Script([OP_IF, OP_1, OP_ENDIF]), [TRUE], True, None, None),
    (
        "IF argument 02",
        Script([OP_IF, OP_1, OP_ELSE, OP_1, OP_ENDIF]),
        [b"\x02"],
        False,
        "TAPSCRIPT_MINIMALIF",
        "OP_IF",
    ),
    ("NOTIF argument 00", Script([OP_NOTIF, OP_1, OP_ENDIF]), [b"\x00"], False, "TAPSCRIPT_MINIMALIF", "OP_NOTIF"),
    ("IF on empty stack", Script([OP_IF, OP_ENDIF, OP_1]), [], False, "UNBALANCED_CONDITIONAL", "OP_IF"),
    ("IF never closed", Script([OP_1, OP_IF, OP_1]), [], False, "UNBALANCED_CONDITIONAL", None),
    ("ELSE without IF", Script([OP_1, OP_ELSE]), [], False, "UNBALANCED_CONDITIONAL", "OP_ELSE"),
    (
        "ELSE ELSE flips twice",
        Script([OP_0, OP_IF, OP_RETURN, OP_ELSE, OP_1, OP_ELSE, OP_RETURN, OP_ENDIF]),
        [],
        True,
        None,
        None,
    ),
    ("OP_SUCCESS after unbalanced IF", Script([OP_IF, OP_CAT]), [], True, None, None),
    ("OP_SUCCESS after OP_RETURN", Script([OP_RETURN, Opcode.OP_MUL]), [], True, None, None),
    ("OP_SUCCESS187", raw_script(OP_0, 0xBB), [], True, None, None),
    (
        "truncated push before OP_SUCCESS",
        raw_script(OP_PUSHDATA1, b"\x05", OP_CAT),
        [],
        False,
        "BAD_OPCODE",
        "OP_PUSHDATA1",
    ),
    ("truncated push after OP_SUCCESS", raw_script(OP_CAT, OP_PUSHDATA1, b"\x05"), [], True, None, None),
    ("OP_SUCCESS overrides 521-byte stack item", Script([OP_CAT]), [bytes(521)], True, None, None),
    ("OP_SUCCESS overrides 1001 items", Script([OP_CAT]), [b""] * 1001, True, None, None),
    (
        "5-byte number result is pushable",
        Script([b"\xff\xff\xff\x7f", OP_1ADD, OP_SIZE, 5, OP_EQUALVERIFY, OP_DROP, OP_1]),
        [],
        True,
        None,
        None,
    ),
    ("5-byte arithmetic operand", Script([b"\xff\xff\xff\x7f", OP_1ADD, OP_1ADD]), [], False, "SCRIPTNUM", "OP_1ADD"),
    (
        "5-byte CSV operand with disable flag",
        Script([encode_num(1 << 31), OP_CHECKSEQUENCEVERIFY]),
        [],
        True,
        None,
        None,
    ),
    (
        "6-byte CSV operand",
        Script([encode_num(1 << 40), OP_CHECKSEQUENCEVERIFY]),
        [],
        False,
        "SCRIPTNUM",
        "OP_CHECKSEQUENCEVERIFY",
    ),
    (
        "negative CLTV operand",
        Script([OP_1NEGATE, OP_CHECKLOCKTIMEVERIFY]),
        [],
        False,
        "NEGATIVE_LOCKTIME",
        "OP_CHECKLOCKTIMEVERIFY",
    ),
    (
        "CLTV with a final input",
        Script([OP_0, OP_CHECKLOCKTIMEVERIFY]),
        [],
        False,
        "UNSATISFIED_LOCKTIME",
        "OP_CHECKLOCKTIMEVERIFY",
    ),
    ("non-minimal number is consensus-valid", Script([b"\x05\x00", 5, OP_NUMEQUAL]), [], True, None, None),
    ("stack exactly 1000", Script([OP_2DROP] * 499 + [OP_DROP, OP_DROP, OP_1]), [b""] * 1000, True, None, None),
    ("stack 1001 by OP_DUP", Script([OP_DUP]), [b""] * 1000, False, "STACK_SIZE", "OP_DUP"),
    (
        "altstack counts toward 1000",
        Script([OP_TOALTSTACK, OP_DUP, OP_DUP]),
        [TRUE] * 999,
        False,
        "STACK_SIZE",
        "OP_DUP",
    ),
    ("initial stack 1001", Script([OP_1]), [b""] * 1001, False, "STACK_SIZE", None),
    (
        "initial item of 520 bytes",
        Script([OP_SIZE, 520, OP_EQUALVERIFY, OP_DROP, OP_1]),
        [bytes(520)],
        True,
        None,
        None,
    ),
    ("initial item of 521 bytes", Script([OP_DROP, OP_1]), [bytes(521)], False, "PUSH_SIZE", None),
    (
        "push of 521 bytes, unexecuted",
        Script([OP_0, OP_IF, BIG[:521], OP_ENDIF, OP_1]),
        [],
        False,
        "PUSH_SIZE",
        "OP_PUSHDATA2",
    ),
    ("OP_RETURN unexecuted", Script([OP_0, OP_IF, OP_RETURN, OP_ENDIF, OP_1]), [], True, None, None),
    ("OP_VERIF unexecuted", Script([OP_0, OP_IF, OP_VERIF, OP_ENDIF, OP_1]), [], False, "BAD_OPCODE", "OP_VERIF"),
    ("OP_INVALIDOPCODE unexecuted", Script([OP_0, OP_IF, Opcode(0xFF), OP_ENDIF, OP_1]), [], True, None, None),
    (
        "CHECKMULTISIG",
        Script([OP_0, OP_0, OP_0, OP_CHECKMULTISIG]),
        [],
        False,
        "TAPSCRIPT_CHECKMULTISIG",
        "OP_CHECKMULTISIG",
    ),
    ("EQUALVERIFY", Script([1, 2, OP_EQUALVERIFY, OP_1]), [], False, "EQUALVERIFY", "OP_EQUALVERIFY"),
    ("VERIFY on negative zero", Script([OP_VERIFY, OP_1]), [b"\x00\x80"], False, "VERIFY", "OP_VERIFY"),
    ("PICK past the bottom", Script([2, OP_PICK]), [TRUE, TRUE], False, "INVALID_STACK_OPERATION", "OP_PICK"),
    (
        "FROMALTSTACK on empty altstack",
        Script([OP_FROMALTSTACK]),
        [TRUE],
        False,
        "INVALID_ALTSTACK_OPERATION",
        "OP_FROMALTSTACK",
    ),
    ("CHECKSIG with empty key", Script([OP_0, OP_CHECKSIG]), [b""], False, "TAPSCRIPT_EMPTY_PUBKEY", "OP_CHECKSIG"),
    ("CHECKSIG with unknown key type passes", Script([bytes(33), OP_CHECKSIG]), [TRUE], True, None, None),
    ("CHECKSIG empty sig pushes false", Script([bytes(33), OP_CHECKSIG, OP_NOT]), [b""], True, None, None),
    (
        "CHECKSIG 63-byte signature",
        Script([OP_1, bytes(31) + b"\x01", OP_CHECKSIG]),
        [bytes(63)],
        False,
        "SCHNORR_SIG_SIZE",
        "OP_CHECKSIG",
    ),
]


@pytest.mark.parametrize("name, script, stack, accepted, error, op", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases_match_kernel_with_reason(name, script, stack, accepted, error, op):
    result = assert_agrees(script, stack)
    assert result.ok is accepted
    assert result.error == error
    if not accepted:
        assert result.op == op
        if op is not None:
            assert op_display_name(script.raw[result.offset]) == op


# --- signatures: real BIP340 signatures through the LeafSpend wiring ------------------

SECRETS = [bytes([i]) * 32 for i in (0x11, 0x22, 0x33)]
PUBKEYS = [xonly_pubkey(sk) for sk in SECRETS]


def signer(sk: bytes, hash_type: int = 0, codesep_pos: int = 0xFFFFFFFF):
    """BIP340 signature of the spend's sighash (hash-type byte appended unless DEFAULT)."""

    def sign(spend) -> bytes:
        sig = schnorr_sign(sk, spend.sighash(hash_type, codesep_pos))
        return sig + (bytes([hash_type]) if hash_type else b"")

    return sign


def witness_of(*parts):
    """A witness function: each part is bytes or a signer, bottom of the stack first."""
    return lambda spend: [p(spend) if callable(p) else p for p in parts]


def assert_spend_agrees(script: Script, witness) -> object:
    kernel = execute_leaf(script, witness)
    result = run_leaf_spend(leaf_spend(script), witness)
    assert result.ok == kernel.ok, (kernel, result.describe())
    return result


CHECKSIG_LEAF = Script([PUBKEYS[0], OP_CHECKSIG])
TWO_OF_THREE = Script([PUBKEYS[0], OP_CHECKSIG, PUBKEYS[1], OP_CHECKSIGADD, PUBKEYS[2], OP_CHECKSIGADD, 2, OP_NUMEQUAL])
CODESEP_LEAF = Script([OP_CODESEPARATOR, PUBKEYS[0], OP_CHECKSIG])
# Positions count every op, pushes and unexecuted ones too: the executed separator is op 5.
LATE_CODESEP_LEAF = Script([OP_0, OP_IF, 7, OP_CODESEPARATOR, OP_ENDIF, OP_CODESEPARATOR, PUBKEYS[0], OP_CHECKSIG])

SIGNATURE_CASES = [
    # name, script, witness parts, accepted, error
    ("checksig, right key", CHECKSIG_LEAF, [signer(SECRETS[0])], True, None),
    ("checksig, SIGHASH_ALL byte", CHECKSIG_LEAF, [signer(SECRETS[0], 0x01)], True, None),
    ("checksig, wrong key", CHECKSIG_LEAF, [signer(SECRETS[1])], False, "SCHNORR_SIG"),
    (
        "checksig, hash type 0x00 spelled out",
        CHECKSIG_LEAF,
        [lambda sp: signer(SECRETS[0])(sp) + b"\x00"],
        False,
        "SCHNORR_SIG_HASHTYPE",
    ),
    ("checksig, empty signature", CHECKSIG_LEAF, [b""], False, "EVAL_FALSE"),
    ("2-of-3, keys 1 and 3", TWO_OF_THREE, [signer(SECRETS[2]), b"", signer(SECRETS[0])], True, None),
    (
        "2-of-3, all three",
        TWO_OF_THREE,
        [signer(SECRETS[2]), signer(SECRETS[1]), signer(SECRETS[0])],
        False,
        "EVAL_FALSE",
    ),
    ("2-of-3, keys 2 and 3", TWO_OF_THREE, [signer(SECRETS[2]), signer(SECRETS[1]), b""], True, None),
    ("2-of-3, one signature", TWO_OF_THREE, [b"", signer(SECRETS[1]), b""], False, "EVAL_FALSE"),
    ("2-of-3, one wrong signature", TWO_OF_THREE, [signer(SECRETS[2]), signer(SECRETS[0]), b""], False, "SCHNORR_SIG"),
    ("codesep, signed at position 0", CODESEP_LEAF, [signer(SECRETS[0], 0, 0)], True, None),
    ("codesep, signed without it", CODESEP_LEAF, [signer(SECRETS[0])], False, "SCHNORR_SIG"),
    ("late codesep, position 5", LATE_CODESEP_LEAF, [signer(SECRETS[0], 0, 5)], True, None),
    ("late codesep, unexecuted one", LATE_CODESEP_LEAF, [signer(SECRETS[0], 0, 3)], False, "SCHNORR_SIG"),
]


@pytest.mark.parametrize("name, script, parts, accepted, error", SIGNATURE_CASES, ids=[c[0] for c in SIGNATURE_CASES])
def test_signatures_match_kernel(name, script, parts, accepted, error):
    result = assert_spend_agrees(script, witness_of(*parts))
    assert result.ok is accepted
    assert result.error == error


def test_analysis_mode_accepts_well_formed_signatures_the_kernel_refuses():
    """Without a checker, a well-formed signature counts as valid (documented); the
    LeafSpend wiring and the kernel both refuse the same forged one."""
    forged = [bytes(64)]
    assert run_tapscript(CHECKSIG_LEAF, forged).ok
    assert not execute_leaf(CHECKSIG_LEAF, forged).ok
    assert run_leaf_spend(leaf_spend(CHECKSIG_LEAF), forged).error == "SCHNORR_SIG"
    # A custom checker is consulted with the key, the signature and the codesep position.
    seen = []
    refused = run_tapscript(CODESEP_LEAF, forged, checksig=lambda pk, sig, pos: seen.append((pk, sig, pos)) or False)
    assert refused.error == "SCHNORR_SIG" and seen == [(PUBKEYS[0], bytes(64), 0)]


SIG_OPS = st.sampled_from([*PUBKEYS, bytes(33), OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_CHECKSIGADD, OP_CODESEPARATOR])
SIG_MARKERS = {
    "sig0": signer(SECRETS[0]),
    "sig1": signer(SECRETS[1]),
    "sig2/ALL": signer(SECRETS[2], 0x01),
    "sig0@codesep0": signer(SECRETS[0], 0, 0),
    "forged": lambda spend: bytes(64),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(SCRIPT_ITEMS, SIG_OPS, SIG_OPS), max_size=12),
    st.lists(st.one_of(st.sampled_from(ODD_VALUES[:8]), st.sampled_from(sorted(SIG_MARKERS))), max_size=5),
)
def test_random_signature_scripts_match_kernel(items, stack):
    """Random scripts mixing keys, CHECKSIG/CHECKSIGVERIFY/CHECKSIGADD and code
    separators with real, forged and empty signatures, through the LeafSpend wiring."""
    parts = [SIG_MARKERS[x] if isinstance(x, str) else x for x in stack]
    assert_spend_agrees(Script(items), witness_of(*parts))


@pytest.mark.parametrize("checks, accepted", [(3, True), (20, False)])
def test_validation_weight_budget_matches_kernel(checks, accepted):
    """One signature reused by OP_DUP: each check costs 50 of a budget of witness size
    + 50 (BIP342), so enough checks run out of it."""
    script = Script([[OP_DUP, PUBKEYS[0], OP_CHECKSIGVERIFY] for _ in range(checks)])
    result = assert_spend_agrees(script, witness_of(signer(SECRETS[0])))
    assert result.ok is accepted
    assert result.error == (None if accepted else "TAPSCRIPT_VALIDATION_WEIGHT")


def test_validation_budget_follows_the_real_witness_in_a_tree():
    """A deeper leaf has a longer control block, so a larger budget: run_leaf_spend
    must count the real witness.  Somewhere in the range the two verdicts differ."""
    differ = False
    for checks in range(8, 20):
        script = Script([[OP_DUP, PUBKEYS[0], OP_CHECKSIGVERIFY] for _ in range(checks)])
        tree = TapTree.balanced([script, Script([1]), Script([2]), Script([3])])
        verdicts = []
        for options in ({}, {"tree": tree}):
            witness = witness_of(signer(SECRETS[0]))
            kernel = execute_leaf(script, witness, **options)
            result = run_leaf_spend(leaf_spend(script, **options), witness)
            assert result.ok == kernel.ok, (checks, options, result.describe())
            verdicts.append(result.ok)
        differ |= verdicts == [False, True]
    assert differ


def test_locktimes_through_leaf_spend_match_kernel():
    """CLTV/CSV read the spend's own transaction via run_leaf_spend."""
    script = Script([50, OP_CHECKSEQUENCEVERIFY, OP_DROP, 100, OP_CHECKLOCKTIMEVERIFY])
    for sequence, locktime, accepted in [(50, 100, True), (49, 100, False), (50, 99, False)]:
        spend = leaf_spend(script, sequence=sequence, locktime=locktime)
        kernel = spend.verify([])
        result = run_leaf_spend(spend, [])
        assert result.ok is kernel.ok is accepted
        assert result.error in (None, "UNSATISFIED_LOCKTIME")


# --- peak stack and step counts on known scripts --------------------------------------

PEAK_CASES = [
    # name, script, stack, peak, ops executed
    ("2 + 3 = 5", Script([2, 3, OP_ADD, 5, OP_EQUAL]), [], 2, 5),
    ("3DUP of three", Script([OP_3DUP, OP_2DROP, OP_2DROP, OP_DROP]), [TRUE, TRUE, TRUE], 6, 4),
    (
        "altstack counts",
        Script([OP_TOALTSTACK, OP_TOALTSTACK, OP_DUP, OP_DROP, OP_FROMALTSTACK, OP_FROMALTSTACK, OP_2DROP]),
        [TRUE] * 3,
        4,
        7,
    ),
    ("unexecuted pushes do not count", Script([OP_0, OP_IF, 1, 2, 3, 4, OP_ENDIF, OP_1]), [], 1, 3),
    ("hash160 preimage check", Script([OP_HASH160, hash160(b"preimage"), OP_EQUAL]), [b"preimage"], 2, 3),
    ("stack exactly 1000", Script([OP_2DROP] * 499 + [OP_DROP, OP_DROP, OP_1]), [b""] * 1000, 1000, 502),
]


@pytest.mark.parametrize("name, script, stack, peak, steps", PEAK_CASES, ids=[c[0] for c in PEAK_CASES])
def test_peak_stack_of_known_scripts(name, script, stack, peak, steps):
    result = assert_agrees(script, stack)
    assert result.ok, result.describe()
    assert (result.peak_stack, result.ops_executed) == (peak, steps)
    assert result.final_stack == (TRUE,)


def test_large_script_runs_and_matches_kernel():
    """A 100 kB script (tapscript has no size limit): 1000 rounds of a 103-byte block of
    stack, arithmetic and hash ops."""
    block = Script(
        [OP_DUP, OP_SHA256, OP_DROP, [OP_DUP, OP_1ADD, OP_NIP] * 32, OP_DUP, OP_TOALTSTACK, OP_FROMALTSTACK, OP_DROP]
    )
    script = Script([OP_0, [block] * 1000, OP_DROP, OP_1])
    assert script.size > 100_000
    result = assert_agrees(script, [])
    assert result.ok and result.peak_stack == 2
    assert result.ops_executed == 1 + 1000 * block.size + 2  # one byte per op, no pushes


def test_max_steps_stops_execution():
    result = run_tapscript(Script([OP_1, OP_DUP, OP_DROP]), [], max_steps=2)
    assert (result.ok, result.error, result.op, result.ops_executed) == (False, "MAX_STEPS", "OP_DROP", 2)
    assert run_tapscript(Script([OP_1, OP_DUP, OP_DROP]), [], max_steps=3).ok


# --- policy (standardness) rules: Core's policy flags, not judged by the kernel ---------


@pytest.mark.parametrize(
    "script, stack, error",
    [
        (Script.from_bytes(bytes([OP_PUSHDATA1, 1, 5])), [], "MINIMALDATA"),
        (Script([b"\x05\x00", OP_1ADD]), [], "SCRIPTNUM"),
        (Script([OP_CAT]), [], "DISCOURAGE_OP_SUCCESS"),
        (Script([OP_NOP4, OP_1]), [], "DISCOURAGE_UPGRADABLE_NOPS"),
        (Script([bytes(33), OP_CHECKSIG]), [TRUE], "DISCOURAGE_UPGRADABLE_PUBKEYTYPE"),
    ],
)
def test_policy_rules_refuse_what_consensus_accepts(script, stack, error):
    assert assert_agrees(script, stack).ok  # consensus: valid
    assert run_tapscript(script, stack, policy=True).error == error


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, stack, fragment",
    [
        ("OP_1", [], "script must be a Script or bytes"),
        (Script([OP_1]), b"\x01", "sequence of byte strings"),
        (Script([OP_1]), [1], "stack item 0 must be bytes"),
    ],
)
def test_bad_input_is_an_input_error(script, stack, fragment):
    with pytest.raises(InputError, match=fragment):
        run_tapscript(script, stack)
