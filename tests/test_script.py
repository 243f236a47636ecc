"""Script: Core's script_tests.json scripts through parse -> ASM -> assemble (byte-exact),
truncated pushes, script numbers, opcode names and OP_SUCCESS (checked by the kernel)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vectors import core_asm, core_cases, core_script_fields

from taptrees.errors import InputError
from taptrees.hashes import hash160, hash256, ripemd160, sha256
from taptrees.opcodes import (
    OP_0,
    OP_1NEGATE,
    OP_2,
    OP_16,
    OP_ADD,
    OP_CHECKSIG,
    OP_DUP,
    OP_EQUAL,
    OP_EQUALVERIFY,
    OP_HASH160,
    OP_HASH256,
    OP_NUMEQUAL,
    OP_PUSHDATA1,
    OP_PUSHDATA2,
    OP_PUSHDATA4,
    OP_RETURN,
    OP_RIPEMD160,
    OP_SHA256,
    OP_SUB,
    Opcode,
    is_op_success,
    opcode_from_name,
    opcode_name,
)
from taptrees.script import (
    Script,
    assemble,
    decode_num,
    encode_num,
    iter_ops,
    push_data,
    push_int,
)
from taptrees.verify import execute_leaf

SCRIPT_ROWS = core_cases("script_tests.json")
#: Core's tapscript rows put a 32-byte output key where this placeholder stands.
TAPROOT_OUTPUT_PLACEHOLDER = "0x" + "ab" * 32


def _core_scripts() -> list[tuple[str, bytes]]:
    """Every script of script_tests.json (scriptSig, scriptPubKey, #SCRIPT# leaves)."""
    scripts = []
    for n, row in enumerate(SCRIPT_ROWS):
        witness, sig_asm, pub_asm, _, _ = core_script_fields(row)
        scripts.append((f"row{n}-sig", core_asm(sig_asm)))
        pub_asm = pub_asm.replace("#TAPROOTOUTPUT#", TAPROOT_OUTPUT_PLACEHOLDER)
        scripts.append((f"row{n}-pub", core_asm(pub_asm)))
        for item in witness[:-1] if witness else ():
            if item.startswith("#SCRIPT#"):
                scripts.append((f"row{n}-leaf", core_asm(item[len("#SCRIPT#") :])))
    return scripts


CORE_SCRIPTS = _core_scripts()


def test_core_script_tests_parse_and_round_trip():
    """Every script in Core's script_tests.json: either our parser reads it and
    parse -> asm -> assemble gives the same bytes, or it holds a push running past
    its end, which both Core and we refuse (with the offset named)."""
    assert len(SCRIPT_ROWS) == 1222
    round_tripped, truncated = 0, []
    for name, raw in CORE_SCRIPTS:
        try:
            text = Script.from_bytes(raw).asm()
        except InputError as exc:
            assert "offset" in str(exc)
            truncated.append(name)
            continue
        assert Script.from_asm(text).raw == raw, (name, raw.hex(), text)
        round_tripped += 1
    assert round_tripped == len(CORE_SCRIPTS) - len(truncated) > 2400
    # Core: a script that cannot be parsed fails (BAD_OPCODE) wherever it is
    for name in truncated:
        row = SCRIPT_ROWS[int(name[3 : name.index("-")])]
        assert core_script_fields(row)[4] != "OK", name
    assert truncated  # Core's file has a few (PUSHDATA with a missing length or data)


def test_core_scripts_include_the_hard_cases():
    """The round trip above covers non-minimal pushes and non-opcode bytes."""
    ops = [op for _, raw in CORE_SCRIPTS for op in _ops_or_none(raw)]
    non_minimal = [op for op in ops if op.is_push and op.opcode in (OP_PUSHDATA1, OP_PUSHDATA2)]
    assert any(op.data is not None and len(op.data) <= 75 for op in non_minimal)
    assert any(op.opcode == OP_PUSHDATA4 for op in ops)
    assert any(not op.is_push and op.opcode >= 0xBB for op in ops)  # OP_SUCCESSn/0xff bytes
    assert any(op.is_push and op.opcode != OP_0 and push_data(op.data)[0] != op.opcode for op in ops)


def _ops_or_none(raw: bytes):
    try:
        return list(iter_ops(raw))
    except InputError:
        return []


@pytest.mark.parametrize(
    ("asm", "raw"),
    [
        ("OP_PUSHDATA1 0x07", "4c0107"),
        ("OP_PUSHDATA2 0x", "4d0000"),
        ("OP_PUSHDATA4 0xabcd", "4e02000000abcd"),
        ("0x0102", "020102"),
        ("0x05", "0105"),  # one byte 0x05 pushed as data, not OP_5
        ("0 -1 16", "004f60"),
        ("OP_SUCCESS187 OP_INVALIDOPCODE", "bbff"),
        ("1000 -1 0 16", "02e8034f0060"),
        ("OP_TRUE OP_FALSE OP_CSV OP_CLTV NOP2 OP_NOP3", "5100b2b1b1b2"),
        ("144 OP_CHECKSEQUENCEVERIFY", "029000b2"),  # a timelock: 144 blocks, not 0x90 0x00
        ("10 OP_CSV", "5ab2"),  # ten blocks (OP_10), not the byte 0x10
        ("<10> OP_CSV", "0110b2"),  # <hex> is data
        ("255 -255 2147483647 -2147483647", "02ff0002ff8004ffffff7f04ffffffff"),
        ("4294967295", "05ffffffff00"),  # Core's largest ASM number; 5 bytes: data on output
    ],
)
def test_asm_examples(asm, raw):
    assert assemble(asm).hex() == raw
    assert Script.from_asm(Script.from_hex(raw).asm()).hex() == raw


@pytest.mark.parametrize(
    ("raw", "asm"),
    [
        ("00", "0"),
        ("4f", "-1"),
        ("60", "16"),
        ("029000b2", "144 OP_CHECKSEQUENCEVERIFY"),
        ("0105", "0x05"),  # Core prints 5 (lossy); the push is not what `5` assembles to
        ("0100", "0x00"),  # non-minimal zero
        ("0181", "0x81"),  # -1 as data (OP_1NEGATE is -1)
        ("020100", "0x0100"),  # non-minimal 1
        ("02ff00", "255"),
        ("04ffffff7f", "2147483647"),
        ("05ffffffff00", "0xffffffff00"),  # five bytes: data, as in Core
        ("4c0107", "OP_PUSHDATA1 0x07"),
        ("5253935587", "2 3 OP_ADD 5 OP_EQUAL"),
    ],
)
def test_disassembly_writes_numbers_like_core(raw, asm):
    """Numbers as Core's ScriptToAsmStr writes them (decimal), except where Core
    is lossy: a push that `n` would not assemble to is written as data."""
    assert Script.from_hex(raw).asm() == asm
    assert assemble(asm).hex() == raw


# --- truncated pushes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("4c", 0),
        ("4c05abcd", 0),
        ("4d01", 0),
        ("4d0100", 0),
        ("4e01000000", 0),
        ("4effffffff00", 0),
        ("05aabbcc", 0),
        ("5152030102", 2),
        ("76a9144c", 2),
        ("0001aa4d0100", 3),
    ],
)
def test_truncated_push_names_its_offset(raw, offset):
    with pytest.raises(InputError, match=f"truncated push at offset {offset}:"):
        Script.from_hex(raw).ops()
    with pytest.raises(InputError, match=f"offset {offset}"):
        Script.from_hex(raw).asm()


def test_truncated_push_is_refused_by_the_kernel_too():
    """Core agrees: a push running past the end fails even after an OP_SUCCESS-free
    valid prefix that would otherwise succeed."""
    assert execute_leaf(Script([OP_16]), []).ok
    assert not execute_leaf(Script.from_bytes(Script([OP_16]).raw + b"\x4c"), []).ok


# --- script numbers ------------------------------------------------------------------

int32 = st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_num_round_trip(value):
    data = encode_num(value)
    assert decode_num(data, max_size=9) == value
    # minimal: no shorter encoding decodes to the same value
    if data:
        assert data[-1] & 0x7F or (len(data) > 1 and data[-2] & 0x80)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=5))
def test_decode_accepts_exactly_the_minimal_encodings(data):
    value = decode_num(data, max_size=5, minimal=False)
    if encode_num(value) == data:
        assert decode_num(data, max_size=5) == value
    else:
        assert len(encode_num(value)) < len(data)
        with pytest.raises(InputError, match="non-minimal"):
            decode_num(data, max_size=5)


def test_num_examples_and_limits():
    assert [encode_num(v).hex() for v in (0, 1, -1, 127, 128, -128, 255, 256, -32768)] == [
        "",
        "01",
        "81",
        "7f",
        "8000",
        "8080",
        "ff00",
        "0001",
        "008080",
    ]
    with pytest.raises(InputError, match="exceeds 4"):
        decode_num(b"\x01" * 5)
    assert decode_num(b"\x00\x80", minimal=False) == 0  # negative zero
    with pytest.raises(InputError, match="non-minimal"):
        decode_num(b"\x80")
    assert push_int(-1) == bytes([OP_1NEGATE]) and push_int(16) == bytes([OP_16])
    assert push_int(17) == b"\x01\x11" and push_int(0) == b"\x00"


@settings(max_examples=25, deadline=None)
@given(int32, int32)
def test_script_numbers_agree_with_cores_arithmetic(a, b):
    """Our minimal pushes are Core's CScriptNum: a + b and a - b computed by the
    kernel equal our encodings of the results (when they fit in 4 bytes)."""
    total, diff = a + b, a - b
    if abs(total) < 2**31:
        assert execute_leaf(Script([a, b, OP_ADD, total, OP_NUMEQUAL]), []).ok
        assert execute_leaf(Script([a, b, OP_ADD, total, OP_EQUAL]), []).ok
        assert not execute_leaf(Script([a, b, OP_ADD, total + 1, OP_NUMEQUAL]), []).ok
    if abs(diff) < 2**31:
        assert execute_leaf(Script([a, b, OP_SUB, diff, OP_EQUAL]), []).ok


# --- ASM <-> bytes -------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=120))
def test_any_parsable_bytes_round_trip_through_asm(raw):
    script = Script.from_bytes(raw)
    try:
        text = script.asm()
    except InputError:
        return
    assert Script.from_asm(text).raw == raw


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            # a bare OP_PUSHDATAn is refused by the builder (tested below)
            st.sampled_from([op for op in Opcode if op == OP_0 or op > OP_PUSHDATA4]),
            st.integers(min_value=-(2**40), max_value=2**40),
            st.binary(max_size=300),
        ),
        max_size=12,
    )
)
def test_built_scripts_round_trip_and_use_minimal_pushes(items):
    script = Script(items)
    assert Script.from_asm(script.asm()) == script
    for op in script.ops():
        if op.is_push:
            assert push_data(op.data)[0] == op.opcode or op.opcode == OP_0


def test_builder_examples():
    assert Script([OP_2, 3, OP_ADD, b"\x05", OP_EQUAL]).hex() == "5253935587"
    assert Script([b"", b"\x81", b"\x10", b"\x11"]).hex() == "004f600111"
    assert Script([[OP_DUP, [OP_DUP]], Script([OP_RETURN])]).hex() == "76766a"
    assert Script([b"\xaa" * 76]).raw[:2] == bytes([OP_PUSHDATA1, 76])
    assert Script([b"\xaa" * 256]).raw[:3] == bytes([OP_PUSHDATA2, 0, 1])
    assert Script([OP_DUP]) + OP_CHECKSIG == Script([OP_DUP, OP_CHECKSIG])
    for bare in (OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4):
        with pytest.raises(InputError, match="push bytes instead"):
            Script([bare, b"\x01\x07"])
    with pytest.raises(InputError, match="booleans"):
        Script([True])
    with pytest.raises(InputError, match="cannot put"):
        Script([1.5])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OP_FOO", "unknown opcode"),
        ("zz", "neither an opcode, a number nor data"),
        ("abc", "ambiguous: write data as 0x<hex>"),
        ("ab", "ambiguous: write data as 0xab"),
        ("010", "ambiguous: write the number 10 without leading zeros, or data as 0x<hex>"),
        ("-07", "ambiguous"),
        ("4294967296", "outside +-4294967295"),
        ("0x", "empty data"),
        ("<>", "empty data"),
        ("0xabc", "odd number of hex digits"),
        ("<5>", "odd number of hex digits (<hex> is data; numbers are written bare: 5)"),
        ("<-1>", "is not hex data (<hex> is data; numbers are written bare: -1)"),
        ("<1x>", "is not hex data"),
        ("0xzz", "is not hex data"),
        ("OP_PUSHDATA1", "needs data"),
        ("OP_PUSHDATA1 07", "needs data written 0x<hex> or <hex>"),
        ("OP_PUSHBYTES_3 0xaabb", "does not match"),
        ("OP_PUSHBYTES_0 0x", "does not match"),
        ("OP_SUCCESS80", "unknown opcode"),
    ],
)
def test_bad_asm_is_refused(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        Script.from_asm(text)


def test_from_hex_refuses_bad_hex():
    with pytest.raises(InputError, match="odd number of hex digits"):
        Script.from_hex("abc")
    with pytest.raises(InputError, match="script hex is malformed: 'z' at position 2 is not a hex digit"):
        Script.from_hex("51zz")


# --- opcode names and OP_SUCCESS -------------------------------------------------------


def test_every_non_push_byte_has_a_name_that_assembles_back():
    for byte in range(OP_PUSHDATA4 + 1, 256):
        assert opcode_from_name(opcode_name(byte)) == byte
    with pytest.raises(ValueError):
        opcode_name(0x20)


def test_op_success_set_matches_the_kernel():
    """BIP342: a tapscript holding an OP_SUCCESSx succeeds unconditionally.  For every
    non-push byte b, the leaf ``b OP_RETURN`` passes the kernel iff is_op_success(b)."""
    succeeded = []
    for byte in range(OP_PUSHDATA4 + 1, 256):
        leaf = Script.from_bytes(bytes([byte, OP_RETURN]))
        verdict = execute_leaf(leaf, [])
        assert verdict.ok is is_op_success(byte), f"0x{byte:02x}"
        succeeded.append(verdict.ok)
    assert sum(succeeded) == 87  # BIP342 lists 87 OP_SUCCESSx values


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=520))
def test_hash_helpers_agree_with_cores_hash_opcodes(data):
    """taptrees.hashes against OP_SHA256 / OP_HASH160 / OP_HASH256 / OP_RIPEMD160."""
    script = Script(
        [
            OP_DUP,
            OP_SHA256,
            sha256(data),
            OP_EQUALVERIFY,
            OP_DUP,
            OP_HASH160,
            hash160(data),
            OP_EQUALVERIFY,
            OP_DUP,
            OP_RIPEMD160,
            ripemd160(data),
            OP_EQUALVERIFY,
            OP_HASH256,
            hash256(data),
            OP_EQUAL,
        ]
    )
    assert execute_leaf(script, [data]).ok
    assert not execute_leaf(script, [data + b"\x00"]).ok
