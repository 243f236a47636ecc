"""Execute leaves: the operator reveals step i's record and proves it correct.

One leaf per micro-step kind ``(mnemonic, micro)`` of the dispute machine
(:data:`ocp.zkvm.micro.MICRO_OPS`).  The leaf verifies the operator's one-time
signatures of the record's fields and spends only when

* the instruction word is of the kind (its opcode fields, exactly as
  :func:`ocp.zkvm.isa.decode` reads them) and ``micro`` is the kind's (a fault
  micro-step, 128 and up, takes any word);
* the read addresses are the ones the micro-step reads (the registers the word
  names, the effective address, a scratch or kernel word);
* the write, the next pc triple and (division) the witness are what the
  micro-step computes from the read values.

What a leaf does not check, another leaf does: that the pc is aligned code
(:class:`ocp.stepleaves.init.AddressesSections`), that the word is the
program's (:class:`ocp.stepleaves.code.OpcodeChunk`), that the read values are
right (the read challenges), that the pc triple follows the previous step
(ProgramCounter).  The Script semantics are :mod:`ocp.stepleaves.semantics`; the
Python twin of every leaf *is* the table (:meth:`ExecuteLeaf.accepts` runs
``MICRO_OPS[kind]``).

A leaf verifies the fields its kind uses (:attr:`ExecuteLeaf.revealed`: npc,
micro and the hash link's fields always; pc, the word and a read slot only
where the micro-step reads them), grouped as ``ocp.stepleaves.schema.GROUPS``
sign them.  The same transaction's other input, :class:`RecordRest`, reveals
the fields some kind leaves out (pc, word, both read slots), the read slots'
last writers and the re-signed hashes, so every challenger leaf finds every
signature it needs whatever the kind.  A field the kind fixes when the leaf is
built (micro, a scratch register's address, most kinds' next micro) is
verified against that constant (:func:`taptrees.ots.winternitz_script.known_value`,
``partial`` inside a group): about half a full verifier, nothing kept.  Values
the leaf checks completely (a product's carries, division's witness) are bare
hints (:meth:`ExecuteLeaf.hints`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache

from ocp.stepleaves.base import OPERATOR, CheckLeaf, arith_body
from ocp.stepleaves.schema import HASH_BITS, RECORD_FIELDS, fields
from ocp.stepleaves.semantics import SEMANTICS, C, Ctx, Out, equals
from ocp.zkvm import isa
from ocp.zkvm import micro as mi
from ocp.zkvm.record import FAULT_MICRO
from taptrees.arith import And, Const, Eq, Expr, Not, Or, Var
from taptrees.ots.values import Value
from taptrees.script import Script

__all__ = [
    "ALWAYS",
    "EXECUTE_FIELDS",
    "REST_FIELDS",
    "SEMANTICS",
    "ExecuteLeaf",
    "RecordRest",
    "opcode_check",
    "opcode_matches",
]

# --- the opcode check ------------------------------------------------------------------


def _opcode_constraints(mnemonic: str) -> tuple[int, int, list[tuple[int, int, bool]]]:
    """(mask, value, extra) such that ``isa.decode(w).op == mnemonic`` iff
    ``w & mask == value`` and, for each ``(m, v, equal)`` of extra, ``(w & m == v) == equal``."""
    for table, op, select in ((isa.SPECIAL, 0, 0x3F), (isa.SPECIAL2, 28, 0x3F)):
        for code, name in table.items():
            if name == mnemonic:
                extra = []
                if mnemonic == "srl":
                    extra = [(0x03E00000, 1 << 21, False)]
                if mnemonic == "srlv":
                    extra = [(0x000007C0, 1 << 6, False)]
                return 0xFC000000 | select, (op << 26) | code, extra
    if mnemonic == "rotr":
        return 0xFC00003F | 0x03E00000, 2 | (1 << 21), []
    if mnemonic == "rotrv":
        return 0xFC00003F | 0x000007C0, 6 | (1 << 6), []
    for code, name in isa.REGIMM.items():
        if name == mnemonic:
            return 0xFC1F0000, (1 << 26) | (code << 16), []
    special3 = {
        "ext": (0x3F, 0),
        "ins": (0x3F, 4),
        "wsbh": (0x7FF, 32 | 2 << 6),
        "seb": (0x7FF, 32 | 16 << 6),
        "seh": (0x7FF, 32 | 24 << 6),
    }
    if mnemonic in special3:
        m, v = special3[mnemonic]
        return 0xFC000000 | m, (31 << 26) | v, []
    for code, name in isa.OPCODES.items():
        if name == mnemonic:
            mask = 0xFC000000 | (0x001F0000 if name in ("blez", "bgtz") else 0)
            return mask, code << 26, []
    raise KeyError(mnemonic)


def opcode_matches(mnemonic: str, word: int) -> bool:
    """Python form of the leaf's opcode check (tested against ``isa.decode``)."""
    if mnemonic == "invalid":
        return not any(opcode_matches(n, word) for n in isa.MNEMONICS)
    mask, value, extra = _opcode_constraints(mnemonic)
    return word & mask == value and all((word & m == v) == eq for m, v, eq in extra)


def opcode_check(mnemonic: str, w: Expr) -> Expr:
    mask, value, extra = _opcode_constraints(mnemonic)
    ok: Expr = Eq(And(w, C(mask)), C(value))
    for m, v, equal in extra:
        hit = Eq(And(w, C(m)), C(v))
        ok = And(ok, hit if equal else Not(hit))
    return ok


# --- the leaf -----------------------------------------------------------------------------

#: the record fields an Execute leaf may reveal, in witness order (``revealed``: those it does)
EXECUTE_FIELDS = (
    "pc",
    "npc",
    "micro",
    "word",
    "read1_addr",
    "read1_value",
    "read2_addr",
    "read2_value",
    "write_addr",
    "write_value",
    "next_pc",
    "next_npc",
    "next_micro",
)
#: fields every Execute leaf verifies (the hash link's and the pc triple's but pc)
ALWAYS = ("npc", "micro", "write_addr", "write_value", "next_pc", "next_npc", "next_micro")
#: fields :class:`RecordRest` reveals: those some kind's leaf does not verify
REST_FIELDS = ("pc", "word", "read1_addr", "read1_value", "read1_writer", "read2_addr", "read2_value", "read2_writer")
#: kinds whose witness the leaf checks (division: a bare hint the checks fix); a halt's
#: witness (its full code) is informational, neither hashed nor revealed
WITNESS_KINDS = ("div", "divu")


@cache
def _outcome(leaf: ExecuteLeaf) -> tuple[Out, dict[str, Expr], Ctx]:
    """The kind's Script semantics on symbolic inputs, the inputs, the context."""
    r1, r2 = leaf.reads
    x: dict[str, Expr] = {f: Var(f) for f in EXECUTE_FIELDS + ("witness",)}
    x["micro"] = C(leaf.micro)
    if not r1:
        x["read1_value"] = C(0)
    if not r2:
        x["read2_value"] = C(0)
    ctx = Ctx(
        x["word"],
        x["pc"],
        x["npc"],
        x["read1_value"],
        x["read2_value"],
        C(0),
        leaf.big_endian,
        leaf.ro,
        leaf.code,
        x["write_value"],
    )
    if leaf.has_witness:  # division's other result: a hint the leaf's checks fix
        x["witness"] = ctx.hint("witness", RECORD_FIELDS["witness"], False, lambda env: env["witness"])
        ctx = replace(ctx, witness=x["witness"], hints=ctx.hints, checks=ctx.checks)
    return SEMANTICS[leaf.mnemonic, leaf.micro](ctx), x, ctx


@cache
def _used_inputs(leaf: ExecuteLeaf) -> frozenset[str]:
    """Names of the inputs the body reads (the others are only verified, not kept)."""
    return frozenset(v.name for v in _vars(leaf._condition()))


def _vars(e: Expr) -> set[Var]:
    seen: set[int] = set()
    found: set[Var] = set()
    todo = [e]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Var):
            found.add(node)
        todo += [
            getattr(node, f) for f in getattr(node, "__dataclass_fields__", ()) if isinstance(getattr(node, f), Expr)
        ]
    return found


def _constant(e: Expr) -> int | None:
    return e.number if isinstance(e, Const) else None


#: the read slots a kind uses (first, second), from the table's read functions
NO_READ1 = {mi.r_none}
NO_READ2 = {mi.r2_none}


@dataclass(frozen=True)
class ExecuteLeaf(CheckLeaf):
    """The operator's assert-correct leaf for one micro-step kind."""

    mnemonic: str
    micro: int
    big_endian: bool = True
    ro: tuple[tuple[int, int], ...] = ()
    code: tuple[tuple[int, int], ...] = ()  #: code ranges (the badpc leaf needs them)
    spender = OPERATOR
    purpose = "the operator's record of step i is what the micro-step computes"

    @property
    def kind(self) -> str:
        return f"Execute[{self.mnemonic}/{self.micro}]"

    @property
    def op(self) -> mi.MicroOp:
        return mi.MICRO_OPS[self.mnemonic, self.micro]

    @property
    def layout_array(self) -> tuple[int, ...]:
        """``micro.Layout.as_array`` of the leaf's byte order and ranges."""
        return (
            int(self.big_endian),
            len(self.ro),
            *[x for r in self.ro for x in r],
            len(self.code),
            *[x for r in self.code for x in r],
        )

    @property
    def reads(self) -> tuple[bool, bool]:
        return self.op.read1 not in NO_READ1, self.op.read2 not in NO_READ2

    @property
    def has_witness(self) -> bool:
        return self.mnemonic in WITNESS_KINDS

    @property
    def constants(self) -> dict[str, int]:
        """Revealed record fields the kind fixes: verified against the constant, not kept."""
        fixed = self._fixed()
        return {f: fixed[f] for f in self.revealed if f in fixed}

    def _fixed(self) -> dict[str, int]:
        """Every record field the kind's semantics fix."""
        out, x, _ctx = _outcome(self)
        fixed = {"micro": self.micro}
        for name, e in (
            ("read1_addr", out.read1),
            ("read2_addr", out.read2),
            ("read1_value", x["read1_value"]),
            ("read2_value", x["read2_value"]),
            ("write_addr", out.waddr),
            ("write_value", out.wval),
            ("next_pc", out.pc2),
            ("next_npc", out.npc2),
            ("next_micro", out.micro2),
        ):
            c = _constant(e)
            if c is not None:
                fixed[name] = c
        return fixed

    @property
    def revealed(self) -> tuple[str, ...]:
        """The record fields this leaf verifies: npc, micro and the link fields always
        (``ALWAYS``); pc, the word and a read slot's address and value only where the
        micro-step uses them (an unused slot reads $0; nothing checks it, and
        :class:`RecordRest` reveals them all for the challenger's leaves)."""
        fixed, used = self._fixed(), _used_inputs(self)
        r1, r2 = self.reads
        keep = set(ALWAYS) | ({"pc", "word"} & used)
        for slot, on in ((1, r1), (2, r2)):
            if on:
                keep.add(f"read{slot}_addr")
                if f"read{slot}_value" in used or f"read{slot}_value" in fixed:
                    keep.add(f"read{slot}_value")
        return tuple(f for f in EXECUTE_FIELDS if f in keep)

    def values(self) -> tuple[Value, ...]:
        fixed = self._fixed()
        revealed = self.revealed
        out = list(
            fields(revealed, constants={f: c for f, c in fixed.items() if f in revealed}, kept=_used_inputs(self))
        )
        out += [Value(h.name, h.bits, signed=False, number=h.number) for h in _outcome(self)[2].hints]
        return tuple(out)

    def hints(self, values: Mapping[str, int]) -> dict[str, int]:
        """The bare values the operator adds to the witness for the record ``values``
        (a product's carries, its low word: see :class:`taptrees.arith.MulEq`)."""
        env = dict(values)
        for h in _outcome(self)[2].hints:
            env[h.name] = h.compute(env)
        return {h.name: env[h.name] for h in _outcome(self)[2].hints}

    def _kind_check(self, c: Ctx) -> Expr | None:
        """The word is of this kind: its opcode fields (``invalid``: of none of the
        valid instructions; ``badpc``: the pc is unaligned or outside the code, word 0;
        a fault micro-step: any word)."""
        if self.micro >= FAULT_MICRO:
            return None
        if self.mnemonic == "badpc":
            aligned = Eq(And(c.pc, C(3)), C(0))
            return And(Eq(c.w, C(0)), Not(And(aligned, c.in_ranges(c.pc, self.code))))
        if self.mnemonic == "invalid":
            valid: Expr | None = None
            for name in isa.MNEMONICS:
                hit = opcode_check(name, c.w)
                valid = hit if valid is None else Or(valid, hit)
            return Not(valid)
        return opcode_check(self.mnemonic, c.w)

    def _condition(self) -> Expr:
        """The body's condition: the kind check and every output the leaf checks."""
        out, x, ctx = _outcome(self)
        fixed = self._fixed()
        checks: list[Expr | None] = [self._kind_check(ctx), out.extra, *ctx.checks]
        for name, e in (
            ("read1_addr", out.read1),
            ("read2_addr", out.read2),
            ("write_addr", out.waddr),
            ("write_value", out.wval),
            ("next_pc", out.pc2),
            ("next_npc", out.npc2),
            ("next_micro", out.micro2),
        ):
            if name not in fixed:  # a constant's signature is checked by the prefix
                checks.append(equals(x[name], e))
        if self.has_witness:  # the hinted witness is the one the semantics produce
            checks.append(equals(x["witness"], out.witness))
        ok: Expr | None = None
        for e in checks:
            if e is not None:
                ok = e if ok is None else And(ok, e)
        return ok if ok is not None else Eq(C(0), C(0))

    def _compile(self) -> Script:
        condition = self._condition()
        return arith_body(self.layout, lambda _words: condition)

    def accepts(self, v: Mapping[str, int]) -> bool:
        """The table's semantics: every field the leaf verifies is what
        ``MICRO_OPS[kind]`` computes from the record (an unused read slot reads 0)."""
        layout = self.layout_array
        if v["micro"] != self.micro:
            return False
        if self.mnemonic == "badpc":
            if v["word"] != 0 or (v["pc"] & 3 == 0 and mi.is_code(v["pc"], layout)):
                return False
        elif self.micro < FAULT_MICRO and not opcode_matches(self.mnemonic, v["word"]):
            return False
        r1, r2 = self.reads
        w, pc, npc, m = v["word"], v["pc"], v["npc"], self.micro
        v1 = v["read1_value"] if r1 else 0
        v2 = v["read2_value"] if r2 else 0
        got = {
            "read1_addr": self.op.read1(w, pc, npc, m, layout),
            "read2_addr": self.op.read2(w, pc, npc, m, v1, layout),
        }
        run = self.op.run(w, pc, npc, m, v1, v2, layout)
        got.update(zip(("write_addr", "write_value", "next_pc", "next_npc", "next_micro", "witness"), run, strict=True))
        names = self.layout.names
        return all(v[f] == got[f] for f in got if f in names)


@dataclass(frozen=True)
class RecordRest(CheckLeaf):
    """The other input of an Execute transaction: the record fields some kind's leaf
    does not verify (:data:`REST_FIELDS`: pc, word, both read slots with their last
    writers) and the re-signed ``h_{i-1}``, ``h_i`` (keys prefixed ``prefix``: ``w_``
    for the read search's step j).  One leaf for every kind: the challenger's leaves
    take the signatures from here or from the Execute input (same keys, same
    values: an operator signing a key twice with two values only hands the
    challenger more to use)."""

    prefix: str = ""
    spender = OPERATOR
    purpose = "the operator reveals step i's last writers and re-signs h_{i-1}, h_i"

    def values(self) -> tuple[Value, ...]:
        p = self.prefix
        return (
            *fields(REST_FIELDS, p, kept=()),
            Value(p + "h_prev", HASH_BITS, kept=False),
            Value(p + "h", HASH_BITS, kept=False),
        )

    def build(self, b) -> int:  # noqa: ANN001
        return b.dag.const(1)

    def accepts(self, v: Mapping[str, int]) -> bool:
        return True
