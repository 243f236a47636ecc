"""Names and widths of the values a dispute's final leaves take.

The record of step ``i`` (``ocp.zkvm.record.StepRecord``) is revealed by the
operator under one-time keys, one key per field; the hash chain link is
``h_i = BLAKE3(h_{i-1} || write address || write value || pc' || npc' || micro')[:20]``.
Leaves name their inputs with the names below; the graph maps each name to the
key that signs it.  Hashes are 160-bit values, ``int.from_bytes(h, "little")``;
micro-step numbers are bytes; everything else is a u32 (step numbers included).

Some fields are signed together under one key (:data:`GROUPS`, one Winternitz
checksum for all of them): npc and micro (``at``), the hash link's fields
(``link``: write address and value, next pc triple) and each read slot's address
and value (``read1``, ``read2``).  A leaf that needs one field of a group verifies the whole group's
signature (:func:`fields` builds the inputs).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from taptrees.blake3.link import HashLink
from taptrees.ots.values import Part, Value

HASH_BITS = 160
WORD_BITS = 32
MICRO_BITS = 8

#: step i's record, in the order the operator reveals it
RECORD_FIELDS: dict[str, int] = {
    "pc": WORD_BITS,
    "npc": WORD_BITS,
    "micro": MICRO_BITS,
    "word": WORD_BITS,
    "read1_addr": WORD_BITS,
    "read1_value": WORD_BITS,
    "read1_writer": WORD_BITS,
    "read2_addr": WORD_BITS,
    "read2_value": WORD_BITS,
    "read2_writer": WORD_BITS,
    "write_addr": WORD_BITS,
    "write_value": WORD_BITS,
    "next_pc": WORD_BITS,
    "next_npc": WORD_BITS,
    "next_micro": MICRO_BITS,
    "witness": WORD_BITS,
}
#: the fields hashed after h_{i-1} into h_i, in preimage order
LINK_FIELDS: tuple[str, ...] = ("write_addr", "write_value", "next_pc", "next_npc", "next_micro")
LINK = HashLink(HASH_BITS, tuple(RECORD_FIELDS[f] for f in LINK_FIELDS))

#: other values: h_{i-1} and h_i re-signed with the record, the step number i
#: (the operator's translation of the challenger's choices), the claim (N, h_N)
OTHER_FIELDS: dict[str, int] = {
    "h_prev": HASH_BITS,
    "h": HASH_BITS,
    "step": WORD_BITS,
    "claim_n": WORD_BITS,
    "claim_h": HASH_BITS,
}


#: fields signed under one key (the group's name -> its fields, most significant first)
GROUPS: dict[str, tuple[str, ...]] = {
    "at": ("npc", "micro"),
    "link": LINK_FIELDS,
    "read1": ("read1_addr", "read1_value"),
    "read2": ("read2_addr", "read2_value"),
}
GROUP_OF = {f: g for g, members in GROUPS.items() for f in members}


def fields(
    names: Collection[str],
    prefix: str = "",
    constants: Mapping[str, int] | None = None,
    kept: Collection[str] | None = None,
) -> tuple[Value, ...]:
    """The signed inputs carrying record fields ``names`` (in order, keys prefixed
    ``prefix``): a field of a group brings its whole group (at the place of its first
    field; the group's other fields are verified, not kept).  ``constants``: fields
    the leaf fixes; ``kept``: fields whose limbs reach the body (default: all named)."""
    constants = constants or {}
    kept = set(names) if kept is None else set(kept)
    out: list[Value] = []
    done: set[str] = set()
    for name in names:
        group = GROUP_OF.get(name)
        if group is None:
            out.append(Value(prefix + name, _bits(name), kept=name in kept, constant=constants.get(name)))
            continue
        if group in done:
            continue
        done.add(group)
        parts = tuple(Part(prefix + f, _bits(f), constants.get(f), f in kept and f in names) for f in GROUPS[group])
        out.append(Value(prefix + group, sum(p.bits for p in parts), parts=parts))
    return tuple(out)


def _bits(name: str) -> int:
    return RECORD_FIELDS.get(name) or OTHER_FIELDS[name]


def signed(name: str, prefix: str = "") -> Value:
    """The committed value ``name`` (a record field or another value), under the
    key named ``prefix + name`` (e.g. ``w_`` for the second search's write step)."""
    bits = RECORD_FIELDS.get(name) or OTHER_FIELDS[name]
    return Value(prefix + name, bits)


def bare(name: str, prefix: str) -> Value:
    """A value the spender supplies unsigned (its limbs, range-checked)."""
    bits = RECORD_FIELDS.get(name) or OTHER_FIELDS[name]
    return Value(prefix + name, bits, signed=False)
