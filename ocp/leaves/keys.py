"""Leaves that are keys and, optionally, a relative timelock: the vault payout,
Take1, Take2, Slash (committee), the Deposit's confirm (committee and
depositor), the Challenge connector (committee and operator) and the refund
(depositor alone, before Confirm).

Script ``[<n> CSV VERIFY] <k1> CHECKSIGVERIFY ... <kn> CHECKSIG``, exactly what
miniscript compiles ``and_v(v:older(n), and_v(v:pk(k1), ... pk(kn)))`` to; stack,
bottom first: the signatures in reverse key order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocp.ids import Role
from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafName, Signer, SigSource
from ocp.leaves.scripts import keys_chain, miniscript_keys, older
from taptrees.script import Script


def signatures_stack(keys: Sequence[Signer], sig_of: SigSource) -> list[bytes]:
    """Signatures of a key chain: reverse key order, the first key's on top."""
    return [sig_of(role, pk) for role, pk in reversed(keys)]


def committee_signers(committee: Sequence[bytes]) -> tuple[Signer, ...]:
    return tuple((Role.COMMITTEE, pk) for pk in committee)


@dataclass(frozen=True, eq=False)
class KeysLeaf(GraphLeaf):
    name: LeafName
    keys: tuple[Signer, ...]
    csv: int | None
    what: str

    @property
    def signing_keys(self) -> tuple[Signer, ...]:
        return self.keys

    @property
    def purpose(self) -> str:
        roles = []
        for role, _ in self.keys:
            if role not in roles:
                roles.append(role)
        who = " + ".join("committee n-of-n" if r is Role.COMMITTEE else str(r) for r in roles)
        lock = f" after {self.csv} blocks" if self.csv is not None else ""
        return f"{who}{lock} ({self.what})"

    @property
    def miniscript(self) -> str:
        return miniscript_keys([pk for _, pk in self.keys], self.csv)

    def build_script(self) -> Script:
        return Script([older(self.csv), keys_chain([pk for _, pk in self.keys])])

    def stack(self, sig_of: SigSource, values: Sequence[bytes] = ()) -> list[bytes]:
        return signatures_stack(self.keys, sig_of)

    def max_stack_sizes(self) -> list[int]:
        return [MAX_SIG_SIZE] * len(self.keys)
