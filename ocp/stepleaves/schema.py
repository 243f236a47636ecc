"""Names and widths of the values a dispute's final leaves take.

The record of step ``i`` (``ocp.zkvm.record.StepRecord``) is revealed by the
operator under one-time keys, one key per field; the hash chain link is
``h_i = BLAKE3(h_{i-1} || write address || write value || pc' || npc' || micro')[:20]``.
Leaves name their inputs with the names below; the graph maps each name to the
key that signs it.  Hashes are 160-bit values, ``int.from_bytes(h, "little")``;
micro-step numbers are bytes; everything else is a u32 (step numbers included).
"""

from __future__ import annotations

from taptrees.blake3.link import HashLink
from taptrees.ots.values import Value

HASH_BITS = 160
WORD_BITS = 32
MICRO_BITS = 8

#: step i's record, in the order the operator reveals it
RECORD_FIELDS: dict[str, int] = {
    "pc": WORD_BITS, "npc": WORD_BITS, "micro": MICRO_BITS, "word": WORD_BITS,
    "read1_addr": WORD_BITS, "read1_value": WORD_BITS, "read1_writer": WORD_BITS,
    "read2_addr": WORD_BITS, "read2_value": WORD_BITS, "read2_writer": WORD_BITS,
    "write_addr": WORD_BITS, "write_value": WORD_BITS,
    "next_pc": WORD_BITS, "next_npc": WORD_BITS, "next_micro": MICRO_BITS,
    "witness": WORD_BITS,
}
#: the fields hashed after h_{i-1} into h_i, in preimage order
LINK_FIELDS: tuple[str, ...] = ("write_addr", "write_value", "next_pc", "next_npc", "next_micro")
LINK = HashLink(HASH_BITS, tuple(RECORD_FIELDS[f] for f in LINK_FIELDS))

#: other values: h_{i-1} and h_i re-signed with the record, the step number i
#: (the operator's translation of the challenger's choices), the claim (N, h_N)
OTHER_FIELDS: dict[str, int] = {
    "h_prev": HASH_BITS, "h": HASH_BITS, "step": WORD_BITS, "claim_n": WORD_BITS,
    "claim_h": HASH_BITS,
}


def signed(name: str, prefix: str = "") -> Value:
    """The committed value ``name`` (a record field or another value), under the
    key named ``prefix + name`` (e.g. ``w_`` for the second search's write step)."""
    bits = RECORD_FIELDS.get(name) or OTHER_FIELDS[name]
    return Value(prefix + name, bits)


def bare(name: str, prefix: str) -> Value:
    """A value the spender supplies unsigned (its limbs, range-checked)."""
    bits = RECORD_FIELDS.get(name) or OTHER_FIELDS[name]
    return Value(prefix + name, bits, signed=False)
