"""Leaves that reveal trace values under the operator's one-time keys (the
Kickoff's claim, each Assert's chunk of values).

Script: the Winternitz verifiers of the values (each drops its value), last
value first, then the committee's n-of-n and the operator's key
(``<c1> CHECKSIGVERIFY ... <cn> CHECKSIGVERIFY <op> CHECKSIG``): the stake moves
only by the transaction the committee pre-signed (the covenant rule,
ARCHITECTURE.md section 4).  Stack, bottom first: the operator's signature, the
committee's in reverse key order, then each value's witness items in value order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ocp.errors import UserError
from ocp.ids import Role
from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, Signer, SigSource
from ocp.leaves.keys import committee_signers, signatures_stack
from ocp.leaves.scripts import keys_chain
from ocp.ots import ValueKeys, value_verifier
from taptrees.script import Script


def split_values(keys: ValueKeys, indices: Sequence[int], items: Sequence[bytes]) -> dict[int, tuple[bytes, ...]]:
    """Cut ``items`` into each value's witness items (fixed count per key)."""
    sizes = keys.witness_sizes()
    need = sum(len(sizes[i]) for i in indices)
    if len(items) != need:
        raise UserError(f"a reveal of values {list(indices)} has {len(items)} items, expected {need}")
    out: dict[int, tuple[bytes, ...]] = {}
    pos = 0
    for i in indices:
        k = len(sizes[i])
        out[i] = tuple(items[pos : pos + k])
        pos += k
    return out


@dataclass(frozen=True, eq=False)
class RevealLeaf(GraphLeaf):
    name: LeafName
    keys: ValueKeys
    indices: tuple[int, ...]
    committee: tuple[bytes, ...]
    operator: bytes
    what: str

    @property
    def signing_keys(self) -> tuple[Signer, ...]:
        return (*committee_signers(self.committee), (Role.OPERATOR, self.operator))

    @property
    def purpose(self) -> str:
        return f"Winternitz-verify {self.what} + committee n-of-n + operator"

    def build_script(self) -> Script:
        verifiers = [value_verifier(self.keys, i) for i in reversed(self.indices)]
        return Script([verifiers, keys_chain([pk for _, pk in self.signing_keys])])

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return [*signatures_stack(self.signing_keys, sig_of), *values]

    def max_stack_sizes(self) -> list[int]:
        sizes = self.keys.witness_sizes()
        sigs = [MAX_SIG_SIZE] * len(self.signing_keys)
        return [*sigs, *(s for i in self.indices for s in sizes[i])]

    def revealed(self, stack: Sequence[bytes]) -> Mapping[int, tuple[bytes, ...]]:
        n = len(self.signing_keys)
        if len(stack) < n:
            raise UserError(f"{self.name} witness has fewer items than its signatures")
        return split_values(self.keys, self.indices, stack[n:])
