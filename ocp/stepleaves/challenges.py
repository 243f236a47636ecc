"""The challenger's final leaves (and the operator's StepBeyondN): each spends only
when the fault it is named for is real (ARCHITECTURE section 5, the table of
final leaves; BitVMX-CPU ``bitcoin-script-riscv/src/riscv/challenges.rs``).

Inputs are the operator's one-time-signed values (names from
:mod:`ocp.stepleaves.schema`) and, where the challenger must show something the
operator signed elsewhere, bare values the challenger supplies (prefixed ``c_``).
No challenger leaf takes a value the challenger itself signed: it holds those
keys and could sign anything.

Step numbers follow the record: steps count from 1, step ``i`` turns state
``i-1`` into state ``i``, ``h_i`` follows step ``i``; ``INIT`` (0) is the last
writer of a word never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.stepleaves.base import OPERATOR, Body, CheckLeaf
from ocp.stepleaves.schema import HASH_BITS, LINK, LINK_FIELDS, WORD_BITS, bare, fields, signed
from taptrees.ots.values import Value

INIT = 0

LINK_VALUES = fields(LINK_FIELDS)


def _link_fields(values: Mapping[str, int], prefix: str = "") -> list[int]:
    return [values[prefix + f] for f in LINK_FIELDS]


def _link_limbs(b: Body, prefix: str = "") -> list:
    return [b[prefix + f] for f in LINK_FIELDS]


@dataclass(frozen=True)
class TraceHash(CheckLeaf):
    """``h_i != BLAKE3(h_{i-1} || write || pc' npc' micro')``: the operator's hash link
    of step i does not hold."""

    purpose = "h_i is not the hash of h_{i-1} and step i's write and next pc triple"

    def values(self) -> tuple[Value, ...]:
        return (signed("h_prev"), *LINK_VALUES, signed("h"))

    def build(self, b: Body) -> int:
        digest = LINK.lower(b.dag, b["h_prev"], _link_limbs(b))
        return b.dag.bnot(b.dag.eq_words(digest, b["h"]))

    def accepts(self, v: Mapping[str, int]) -> bool:
        return LINK.digest(v["h_prev"], _link_fields(v)) != v["h"]


@dataclass(frozen=True)
class TraceHashZero(CheckLeaf):
    """Step 1: ``h_1 != BLAKE3(h_0 || ...)`` with ``h_0`` a constant of the leaf (the
    operator never reveals ``h_0`` in a round, so TraceHash with a re-signed
    ``h_{i-1}`` cannot catch a wrong first link)."""

    h0: int
    purpose = "step 1's hash does not link from the constant h_0"

    def values(self) -> tuple[Value, ...]:
        return (signed("step"), *LINK_VALUES, signed("h"))

    def build(self, b: Body) -> int:
        digest = LINK.lower(b.dag, b.const(self.h0, HASH_BITS // 4), _link_limbs(b))
        wrong = b.dag.bnot(b.dag.eq_words(digest, b["h"]))
        return b.dag.band(b.equals("step", 1), wrong)

    def accepts(self, v: Mapping[str, int]) -> bool:
        return v["step"] == 1 and LINK.digest(self.h0, _link_fields(v)) != v["h"]


@dataclass(frozen=True)
class ProgramCounter(CheckLeaf):
    """Step i's (pc, npc, micro) is not the next triple hashed into ``h_{i-1}``: the
    challenger shows step i-1's link fields and ``h_{i-2}`` (bare) that hash to the
    operator's signed ``h_{i-1}``, with a different next triple."""

    purpose = "step i's pc triple differs from the one hashed into h_{i-1}"

    def values(self) -> tuple[Value, ...]:
        return (
            bare("h_prev", "c_"),
            *(bare(f, "c_") for f in LINK_FIELDS),
            signed("h_prev"),
            *fields(("pc", "npc", "micro")),
        )

    def build(self, b: Body) -> int:
        d = b.dag
        digest = LINK.lower(d, b["c_h_prev"], _link_limbs(b, "c_"))
        d.verify(d.eq_words(digest, b["h_prev"]))
        same = d.band(
            d.band(d.eq_words(b["c_next_pc"], b["pc"]), d.eq_words(b["c_next_npc"], b["npc"])),
            d.eq_words(b["c_next_micro"], b["micro"]),
        )
        return d.bnot(same)

    def accepts(self, v: Mapping[str, int]) -> bool:
        if LINK.digest(v["c_h_prev"], _link_fields(v, "c_")) != v["h_prev"]:
            return False
        return (v["c_next_pc"], v["c_next_npc"], v["c_next_micro"]) != (v["pc"], v["npc"], v["micro"])


@dataclass(frozen=True)
class EntryPoint(CheckLeaf):
    """Step 1 does not start at the program's entry triple."""

    pc: int
    npc: int
    micro: int = 0
    purpose = "step 1's pc triple is not the entry point"

    def values(self) -> tuple[Value, ...]:
        return (signed("step"), *fields(("pc", "npc", "micro")))

    def build(self, b: Body) -> int:
        d = b.dag
        same = d.band(d.band(b.equals("pc", self.pc), b.equals("npc", self.npc)), b.equals("micro", self.micro))
        return d.band(b.equals("step", 1), d.bnot(same))

    def accepts(self, v: Mapping[str, int]) -> bool:
        return v["step"] == 1 and (v["pc"], v["npc"], v["micro"]) != (self.pc, self.npc, self.micro)


@dataclass(frozen=True)
class Halt(CheckLeaf):
    """The step claimed as N is not a successful exit: its write is not
    ``exit_value`` to ``exit_addr`` moving to the halt pc, or its hash is not the
    claimed ``h_N``."""

    exit_addr: int
    exit_value: int
    halt_pc: int
    purpose = "step N is not exit(0), or h_N is not its hash"

    def values(self) -> tuple[Value, ...]:
        return (
            signed("claim_n"),
            signed("claim_h"),
            signed("step"),
            *fields(("write_addr", "write_value", "next_pc")),
            signed("h"),
        )

    def build(self, b: Body) -> int:
        d = b.dag
        ok = d.band(
            d.band(b.equals("write_addr", self.exit_addr), b.equals("write_value", self.exit_value)),
            d.band(b.equals("next_pc", self.halt_pc), d.eq_words(b["h"], b["claim_h"])),
        )
        return d.band(d.eq_words(b["step"], b["claim_n"]), d.bnot(ok))

    def accepts(self, v: Mapping[str, int]) -> bool:
        ok = (v["write_addr"], v["write_value"], v["next_pc"], v["h"]) == (
            self.exit_addr,
            self.exit_value,
            self.halt_pc,
            v["claim_h"],
        )
        return v["step"] == v["claim_n"] and not ok


@dataclass(frozen=True)
class HaltBeyondMax(CheckLeaf):
    """The claimed halting step N exceeds the search space M."""

    max_steps: int
    purpose = "the claimed N is above the search space M"

    def values(self) -> tuple[Value, ...]:
        return (signed("claim_n"),)

    def build(self, b: Body) -> int:
        return b.dag.ltu_words(b.const(self.max_steps, WORD_BITS // 4), b["claim_n"])

    def accepts(self, v: Mapping[str, int]) -> bool:
        return v["claim_n"] > self.max_steps


@dataclass(frozen=True)
class StepBeyondN(CheckLeaf):
    """The operator's leaf: the search ended after the claimed halting step N, in
    the padding where every hash is ``h_N``, so the challenger disputed a hash it
    had agreed to."""

    spender = OPERATOR
    purpose = "the challenger steered the search past the claimed N"

    def values(self) -> tuple[Value, ...]:
        return (signed("claim_n"), signed("step"))

    def build(self, b: Body) -> int:
        return b.dag.ltu_words(b["claim_n"], b["step"])

    def accepts(self, v: Mapping[str, int]) -> bool:
        return v["step"] > v["claim_n"]


@dataclass(frozen=True)
class FutureRead(CheckLeaf):
    """Read ``slot`` of step i names a last writer that is not before step i."""

    slot: int
    purpose = "a read names a writer at or after its own step"

    def values(self) -> tuple[Value, ...]:
        return (signed("step"), signed(f"read{self.slot}_writer"))

    def build(self, b: Body) -> int:
        d = b.dag
        writer = b[f"read{self.slot}_writer"]
        not_init = d.bnot(b.equals(f"read{self.slot}_writer", INIT))
        return d.band(not_init, d.bnot(d.ltu_words(writer, b["step"])))

    def accepts(self, v: Mapping[str, int]) -> bool:
        w = v[f"read{self.slot}_writer"]
        return w != INIT and w >= v["step"]


@dataclass(frozen=True)
class ReadValue(CheckLeaf):
    """After the second search to step j (keys prefixed ``w_``), read ``slot`` of
    step i is refuted by j's write: j is the named writer and wrote another
    address or value, or j lies after the named writer (or the read claims INIT)
    and writes the read address.  j's link must hold (``h_j`` from ``h_{j-1}``)."""

    slot: int
    purpose = "the write at step j contradicts a read of step i"

    def values(self) -> tuple[Value, ...]:
        r = f"read{self.slot}_"
        return (
            signed("step"),
            *fields((r + "addr", r + "value", r + "writer")),
            signed("step", "w_"),
            signed("h_prev", "w_"),
            *fields(LINK_FIELDS, "w_"),
            signed("h", "w_"),
        )

    def build(self, b: Body) -> int:
        d = b.dag
        r = f"read{self.slot}_"
        digest = LINK.lower(d, b["w_h_prev"], _link_limbs(b, "w_"))
        d.verify(d.eq_words(digest, b["w_h"]))
        d.verify(d.ltu_words(b["w_step"], b["step"]))
        writer, j = b[r + "writer"], b["w_step"]
        same_addr = d.eq_words(b["w_write_addr"], b[r + "addr"])
        same_value = d.eq_words(b["w_write_value"], b[r + "value"])
        is_writer = d.eq_words(writer, j)
        wrong_write = d.band(is_writer, d.bnot(d.band(same_addr, same_value)))
        before = d.bor(b.equals(r + "writer", INIT), d.ltu_words(writer, j))
        return d.bor(wrong_write, d.band(before, same_addr))

    def accepts(self, v: Mapping[str, int]) -> bool:
        r = f"read{self.slot}_"
        if LINK.digest(v["w_h_prev"], _link_fields(v, "w_")) != v["w_h"] or not v["w_step"] < v["step"]:
            return False
        writer, j = v[r + "writer"], v["w_step"]
        same_addr = v["w_write_addr"] == v[r + "addr"]
        if writer == j and not (same_addr and v["w_write_value"] == v[r + "value"]):
            return True
        return (writer == INIT or writer < j) and same_addr


@dataclass(frozen=True)
class CorrectHash(CheckLeaf):
    """The second search's step j links from a previous hash other than the one the
    operator re-signed for it: the challenger shows ``h_{j-1}`` (bare, ``cw_h_prev``) that, with
    j's signed fields, hashes to the signed ``h_j``, and differs from the signed
    ``h_{j-1}``."""

    purpose = "step j's re-signed h_{j-1} is not what j's hash links from"

    def values(self) -> tuple[Value, ...]:
        return (bare("h_prev", "cw_"), signed("h_prev", "w_"), *fields(LINK_FIELDS, "w_"), signed("h", "w_"))

    def build(self, b: Body) -> int:
        d = b.dag
        digest = LINK.lower(d, b["cw_h_prev"], _link_limbs(b, "w_"))
        d.verify(d.eq_words(digest, b["w_h"]))
        return d.bnot(d.eq_words(b["cw_h_prev"], b["w_h_prev"]))

    def accepts(self, v: Mapping[str, int]) -> bool:
        return LINK.digest(v["cw_h_prev"], _link_fields(v, "w_")) == v["w_h"] and v["cw_h_prev"] != v["w_h_prev"]


@dataclass(frozen=True)
class EquivocationResign(CheckLeaf):
    """A hash re-signed with the record (``h_prev`` = ``h_{i-1}``, ``h`` = ``h_i``)
    differs from the hash the operator revealed in a search round at the same step.

    The leaf is for one round slot (the value ``round_key``, e.g. ``hash2_5``): the
    slot's step is the round's interval start plus ``slot`` sub-intervals, and since
    the disputed step i lies in the interval the choices lead to, ``h_t`` (t = i - 1
    or i) is that slot's hash exactly when ``t mod 2**modulus_bits == residue``
    (modulus: the round's interval length; residue: ``slot`` sub-interval widths).
    Built from the search geometry by :func:`ocp.stepleaves.search.equivocation_leaves`.
    Keys of the re-signed hashes and of the step carry ``prefix`` (``w_`` for the
    read search)."""

    round_key: str
    modulus_bits: int
    residue: int
    prefix: str = ""
    purpose = "a re-signed hash differs from the one revealed in a round"

    def values(self) -> tuple[Value, ...]:
        p = self.prefix
        return (Value(self.round_key, HASH_BITS), signed("h_prev", p), signed("h", p), signed("step", p))

    def _at(self, b: Body, target: int) -> int:
        """1 iff step mod 2**modulus_bits == target."""
        d = b.dag
        step = b[self.prefix + "step"]
        full, part = divmod(self.modulus_bits, 4)
        at = b.const(target, 8)
        here = d.const(1)
        for k in range(full):
            here = d.band(here, d.eq(step[k], at[k]))
        if part:
            low = d.op("lowbits", (step[full],), 1, part)[0]
            here = d.band(here, d.eq(low, at[full]))
        return here

    def build(self, b: Body) -> int:
        d = b.dag
        p, mask = self.prefix, (1 << self.modulus_bits) - 1
        round_hash = b[self.round_key]
        prev = d.band(self._at(b, (self.residue + 1) & mask), d.bnot(d.eq_words(round_hash, b[p + "h_prev"])))
        cur = d.band(self._at(b, self.residue & mask), d.bnot(d.eq_words(round_hash, b[p + "h"])))
        return d.bor(prev, cur)

    def accepts(self, v: Mapping[str, int]) -> bool:
        p, mask = self.prefix, (1 << self.modulus_bits) - 1
        step, round_hash = v[p + "step"], v[self.round_key]
        prev = (step - 1) & mask == self.residue & mask and round_hash != v[p + "h_prev"]
        cur = step & mask == self.residue & mask and round_hash != v[p + "h"]
        return prev or cur
