"""The transaction model against Bitcoin Core's tx_valid.json / tx_invalid.json:
byte-exact parse/serialize, txid (checked against libbitcoinkernel), wtxid, weight,
every input of every valid transaction verified by the kernel, and malformed
input refused with InputError."""

from __future__ import annotations

import pbk
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vectors import core_asm, core_cases

from taptrees.errors import InputError
from taptrees.hashes import hash256
from taptrees.tx import OutPoint, Tx, TxIn, TxOut, compact_size
from taptrees.verify import CONSENSUS_FLAGS, verify_inputs

VALID = core_cases("tx_valid.json")
INVALID = core_cases("tx_invalid.json")
F = pbk.ScriptVerificationFlags
#: Core's flag names that libbitcoinkernel's consensus flags cover.
KERNEL_FLAGS = {
    "P2SH": F.P2SH,
    "DERSIG": F.DERSIG,
    "NULLDUMMY": F.NULLDUMMY,
    "CHECKLOCKTIMEVERIFY": F.CHECKLOCKTIMEVERIFY,
    "CHECKSEQUENCEVERIFY": F.CHECKSEQUENCEVERIFY,
    "WITNESS": F.WITNESS,
    "TAPROOT": F.TAPROOT,
}


def _prevouts(row) -> dict[tuple[str, int], TxOut]:
    """Core's prevout list: [txid, vout (-1: coinbase), scriptPubKey ASM, amount?]."""
    out = {}
    for prevout in row[0]:
        amount = prevout[3] if len(prevout) > 3 else 0
        vout = prevout[1] & 0xFFFFFFFF
        out[(prevout[0], vout)] = TxOut(amount, core_asm(prevout[2]))
    return out


def _kernel_flags(excluded: set[str]) -> int:
    """Every consensus flag minus the excluded ones, trimmed as Core's harness does
    (WITNESS needs P2SH, TAPROOT needs WITNESS)."""
    flags = F(CONSENSUS_FLAGS)
    for name in excluded:
        flags &= ~KERNEL_FLAGS.get(name, F.NONE)
    if not flags & F.P2SH:
        flags &= ~F.WITNESS
    if not flags & F.WITNESS:
        flags &= ~F.TAPROOT
    return int(flags)


def _row_id(row) -> str:
    return row[1][:16] + "-" + hash256(bytes.fromhex(row[1]))[:3].hex()


@pytest.mark.parametrize("row", VALID + INVALID, ids=_row_id)
def test_parse_serialize_round_trip_and_ids(row):
    raw = bytes.fromhex(row[1])
    tx = Tx.from_hex(row[1])
    assert tx.serialize() == raw
    kernel_tx = pbk.Transaction(raw)
    assert tx.txid == str(kernel_tx.txid)
    assert bytes(kernel_tx) == raw
    assert tx.wtxid == hash256(raw)[::-1].hex()
    stripped = tx.without_witness()
    assert Tx.parse(stripped.serialize()) == stripped
    if not tx.has_witness:
        assert tx.txid == tx.wtxid and tx.weight == 4 * len(raw)
    else:
        witness_bytes = sum(
            len(compact_size(len(i.witness))) + sum(len(compact_size(len(w))) + len(w) for w in i.witness)
            for i in tx.inputs
        )
        # base = full - marker/flag - witnesses
        assert len(stripped.serialize()) == len(raw) - 2 - witness_bytes
        assert tx.weight == 3 * len(stripped.serialize()) + len(raw)
    assert tx.vsize == (tx.weight + 3) // 4


def test_the_files_have_witness_transactions():
    assert sum(Tx.from_hex(r[1]).has_witness for r in VALID) >= 20


@pytest.mark.parametrize("row", VALID, ids=_row_id)
def test_valid_transactions_pass_the_kernel(row):
    tx = Tx.from_hex(row[1])
    prevouts = _prevouts(row)
    spent = [prevouts[(i.prevout.txid, i.prevout.vout)] for i in tx.inputs]
    flags = _kernel_flags(set(row[2].split(",")))
    verdicts = verify_inputs(tx, spent, flags)
    assert all(v.ok for v in verdicts), verdicts


CONSENSUS_ONLY_INVALID = [r for r in INVALID if set(r[2].split(",")) <= set(KERNEL_FLAGS) | {"NONE"}]


@pytest.mark.parametrize("row", CONSENSUS_ONLY_INVALID, ids=_row_id)
def test_invalid_transactions_fail_the_kernel(row):
    """Rows whose listed flags are all consensus flags: invalid with every flag on
    (Core: invalid with the listed flags and any superset)."""
    tx = Tx.from_hex(row[1])
    prevouts = _prevouts(row)
    spent = [prevouts[(i.prevout.txid, i.prevout.vout)] for i in tx.inputs]
    assert not all(v.ok for v in verify_inputs(tx, spent, CONSENSUS_FLAGS))


# --- malformed input ---------------------------------------------------------------

SAMPLE = next(Tx.from_hex(r[1]) for r in VALID if Tx.from_hex(r[1]).has_witness)
SAMPLE_RAW = SAMPLE.serialize()


@pytest.mark.parametrize("cut", [1, 4, 5, 6, 7, 40, 45, len(SAMPLE_RAW) - 5, len(SAMPLE_RAW) - 1])
def test_truncated_transactions_are_refused(cut):
    with pytest.raises(InputError, match="truncated|exceeds"):
        Tx.parse(SAMPLE_RAW[:cut])


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(SAMPLE_RAW) - 1))
def test_every_prefix_is_refused(cut):
    with pytest.raises(InputError):
        Tx.parse(SAMPLE_RAW[:cut])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_give_input_error_or_a_round_trip(data):
    try:
        tx = Tx.parse(data)
    except InputError:
        return
    assert tx.serialize() == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("zz", "malformed"),
        ("abc", "malformed"),
        (SAMPLE_RAW.hex() + "00", "trailing bytes"),
        ("02000000" + "0002", "no inputs|unknown segwit flag"),
        ("02000000" + "fd0100", "non-canonical"),
        ("02000000" + "ff" + "ff" * 8, "truncated|exceeds"),
    ],
)
def test_malformed_hex_is_refused(text, message):
    with pytest.raises(InputError, match=message):
        Tx.from_hex(text)


def test_segwit_flag_with_empty_witnesses_is_refused():
    no_witness = SAMPLE.without_witness()
    raw = no_witness.serialize()
    # marker/flag present but every witness empty (Core: "Superfluous witness record")
    body = raw[4:-4]
    forged = raw[:4] + b"\x00\x01" + body + b"\x00" * len(no_witness.inputs) + raw[-4:]
    with pytest.raises(InputError, match="every witness is empty"):
        Tx.parse(forged)


def test_outpoint_and_output_validation():
    with pytest.raises(InputError, match="64 hex"):
        OutPoint("ab", 0)
    with pytest.raises(InputError, match="not hex"):
        OutPoint("zz" * 32, 0)
    with pytest.raises(InputError, match="out of range"):
        OutPoint("00" * 32, 2**32)
    with pytest.raises(InputError, match="has no output"):
        SAMPLE.outpoint(len(SAMPLE.outputs))
    assert SAMPLE.outpoint(0) == OutPoint(SAMPLE.txid, 0)


def test_built_transaction_ids_and_with_witness():
    tx = Tx(
        inputs=(TxIn(OutPoint("ab" * 32, 1), sequence=0xFFFFFFFD),),
        outputs=(TxOut(50_000, b"\x51\x20" + b"\x01" * 32),),
        locktime=500,
    )
    witnessed = tx.with_witness(0, [b"\x01" * 64])
    assert witnessed.txid == tx.txid != witnessed.wtxid
    assert str(pbk.Transaction(witnessed.serialize()).txid) == witnessed.txid
    assert witnessed.weight == tx.weight + 2 + 1 + 1 + 64  # marker, flag, count, len, sig
    assert Tx.from_hex(witnessed.hex()) == witnessed


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TxIn(OutPoint("00" * 32, 0), sequence=2**32), "nSequence"),
        (lambda: TxIn(OutPoint("00" * 32, 0), sequence=-1), "nSequence"),
        (lambda: TxOut(2**63, b""), "int64"),
        (lambda: Tx(version=2**31), "version"),
        (lambda: Tx(locktime=-1), "nLockTime"),
        (lambda: Tx(locktime=2**32), "nLockTime"),
    ],
)
def test_out_of_range_fields_are_refused_when_built(build, message):
    """Fields are checked when built, not when serialization overflows later."""
    with pytest.raises(InputError, match=message):
        build()
    assert TxOut(-1, b"").serialize() == b"\xff" * 8 + b"\x00"  # representable
