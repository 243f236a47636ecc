"""A check leaf: committed inputs, a keyless body, its Python twin, its witness.

Every final-challenge and search leaf of a zkVM dispute is a :class:`CheckLeaf`:

* ``layout`` (:class:`taptrees.ots.values.ValueLayout`): the witness inputs in
  order, signed under a one-time key or bare;
* :meth:`CheckLeaf.body`: the keyless script that finds the inputs' limbs on the
  altstack and leaves one item, 1 exactly when the leaf's condition holds; built
  once per leaf (cached on the frozen leaf value, so per kind and parameters);
* :meth:`CheckLeaf.script`: the key-dependent prefix (:meth:`ValueLayout.prefix`)
  followed by the cached body, per graph (BitVM's partial/full split);
* :meth:`CheckLeaf.accepts`: the Python twin, the same condition on the values;
* :meth:`CheckLeaf.witness` / :meth:`CheckLeaf.parse_witness`: build the witness
  from signatures, read the values back out of a spend.

Bodies are written either as a limb DAG (:mod:`taptrees.blake3.dag`, for leaves
that hash or compare) or as a :mod:`taptrees.arith` step (u32 arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from taptrees.arith import NUM, WORD, Step, Var
from taptrees.arith.expr import Expr
from taptrees.blake3.dag import LimbDag, Limbs
from taptrees.blake3.emit import compile_dag
from taptrees.opcodes import OP_0, OP_FROMALTSTACK
from taptrees.ots.values import Value, ValueLayout
from taptrees.ots.winternitz import WinternitzKey, WinternitzPublicKey
from taptrees.script import Script

CHALLENGER = "challenger"
OPERATOR = "operator"


class Body:
    """The limbs of every kept input inside a limb DAG (least significant first)."""

    def __init__(self, layout: ValueLayout) -> None:
        self.dag = LimbDag()
        self.limbs: dict[str, Limbs] = {}
        for v in layout.kept:  # fields in order, limbs most significant first
            self.limbs[v.name] = tuple(reversed([self.dag.input() for _ in range(v.limbs)]))

    def __getitem__(self, name: str) -> Limbs:
        return self.limbs[name]

    def const(self, value: int, limbs: int) -> Limbs:
        if not 0 <= value < 1 << (4 * limbs):
            raise ValueError(f"constant {value} does not fit {limbs} limbs")
        return tuple(self.dag.const((value >> (4 * i)) & 15) for i in range(limbs))

    def equals(self, name: str, value: int) -> int:
        x = self[name]
        return self.dag.eq_words(x, self.const(value, len(x)))


@dataclass(frozen=True)
class CheckLeaf:
    """Base of every leaf kind (subclasses are frozen dataclasses of their parameters)."""

    #: who spends it
    spender = CHALLENGER
    #: one line: when the leaf can be spent
    purpose = ""

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def layout(self) -> ValueLayout:
        return ValueLayout(self.values())

    def values(self) -> tuple[Value, ...]:
        raise NotImplementedError

    # the condition, twice ---------------------------------------------------------

    def build(self, b: Body) -> int:
        """The condition as a bit of a limb DAG (leaves that hash or compare)."""
        raise NotImplementedError

    def accepts(self, values: Mapping[str, int]) -> bool:
        """Python twin: does the leaf spend with these input values?"""
        raise NotImplementedError

    def body(self) -> Script:
        return _body(self)

    def _compile(self) -> Script:
        b = Body(self.layout)
        bit = self.build(b)
        return compile_dag(b.dag, [bit], inputs_on_alt=True).script

    # per graph --------------------------------------------------------------------

    def script(self, keys: Mapping[str, WinternitzPublicKey]) -> Script:
        return Script([self.layout.prefix(keys), self.body()])

    def witness(self, signatures: Mapping[str, Sequence[bytes]], bare: Mapping[str, int] | None = None) -> list[bytes]:
        return self.layout.witness(signatures, bare)

    def sign(self, keys: Mapping[str, WinternitzKey], values: Mapping[str, int]) -> list[bytes]:
        """The witness carrying ``values`` (field name -> value): each signed value's
        message (a group's fields concatenated) signed with its one-time key, each
        bare value as limbs."""
        layout = self.layout
        sigs = {n: keys[n].sign(m, layout.strategy) for n, m in layout.messages(values).items()}
        return layout.witness(sigs, {v.name: values[v.name] for v in layout.values if not v.signed})

    def parse_witness(self, items: Sequence[bytes], keys: Mapping[str, WinternitzPublicKey]) -> dict[str, int]:
        return self.layout.parse_witness(items, keys)


@cache
def _body(leaf: CheckLeaf) -> Script:
    return leaf._compile()


def arith_body(layout: ValueLayout, condition: Callable[[dict[str, Expr]], Expr]) -> Script:
    """A body written with :mod:`taptrees.arith`: every kept input (at most 32 bits)
    becomes a u32 word, narrower ones padded with zero limbs."""
    words = {v.name: Var(v.name, NUM if v.number else WORD) for v in layout.kept}
    step = Step(tuple(words.values()), (condition(words),))
    items: list = []
    for v in layout.kept:
        if v.number:
            items.append(OP_FROMALTSTACK)
            continue
        if v.limbs > 8:
            raise ValueError(f"{v.name!r} is wider than a word")
        items += [OP_0] * (8 - v.limbs) + [OP_FROMALTSTACK] * v.limbs
    return Script([items, step.script()])
