"""The committee's n-of-n, in one of two forms (issue 17).

``keys.committee_form`` in the params chooses how the committee's n-of-n appears
in every committee leaf:

* ``chain`` (the default): ``<k1> OP_CHECKSIGVERIFY ... <kn> OP_CHECKSIG(VERIFY)``,
  one key and one signature per member, in params order (miniscript
  ``and_v(v:pk(k1),...pk(kn))``).  Each member pre-signs alone
  (:func:`ocp.signing.presign`).
* ``musig2``: one BIP327 aggregate key, ``<agg> OP_CHECKSIG(VERIFY)``
  (miniscript ``pk(agg)``), and one BIP340 signature per input that the members
  make together in nonce rounds (:mod:`ocp.ceremony.session`).  The witness holds
  one signature whatever n is, so the stack no longer bounds the committee.

The aggregate is BIP327 ``KeyAgg`` over ``KeySort`` of the members' keys, each
taken as the even-y point of its x-only key (``02 || x``, what BIP340 means by an
x-only key), without tweaks (the key sits in a tapscript leaf, not in the output
key).  Sorting makes the key a function of the *set* of members, as BIP327
recommends when no order is agreed otherwise: anyone holding the members' keys
recomputes it without knowing the params order, and another tool aggregating the
same committee gets the same key.  A member whose secret gives an odd-y point
signs with the negated secret (:func:`musig_secret`), as BIP340 signers do.

This module is the one place that knows the forms apart: the builder asks
:class:`Committee` for the keys a leaf checks and who signs for them; the leaves
stay key chains (of one key with MuSig2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache

from ocp.errors import UserError
from ocp.ids import Role
from taptrees.keys import SECP256K1_ORDER
from taptrees.musig2 import KeyAggContext, PlainPk, individual_pk, key_agg, key_sort

#: How graph.json names the aggregation, so a reader knows how to recompute it.
KEY_AGGREGATION = "BIP327 KeyAgg(KeySort(02 || x for each member)), untweaked"


class CommitteeForm(StrEnum):
    """How the committee's n-of-n is written in the leaves."""

    CHAIN = "chain"  # a CHECKSIGVERIFY chain: one key and signature per member
    MUSIG2 = "musig2"  # one BIP327 aggregate key and signature


def committee_form_of(value: object, field: str = "keys.committee_form") -> CommitteeForm:
    """The form named ``value`` in a params file or on the command line."""
    try:
        return CommitteeForm(value)
    except ValueError:
        raise UserError(
            f'{field} = {value!r} must be "chain" (a CHECKSIGVERIFY chain of every member\'s '
            'key, the default) or "musig2" (one BIP327 aggregate key)'
        ) from None


def member_plain_pk(xonly: bytes) -> PlainPk:
    """A member's individual BIP327 key: the even-y point of its x-only key."""
    return PlainPk(b"\x02" + bytes(xonly))


def musig_secret(secret: bytes) -> bytes:
    """The secret a member signs MuSig2 with: its own, or its negation when its
    point has odd y, so that its individual key is ``02 || x`` (BIP340's x-only
    convention)."""
    if individual_pk(secret)[0] == 2:
        return bytes(secret)
    return (SECP256K1_ORDER - int.from_bytes(secret, "big")).to_bytes(32, "big")


@lru_cache(maxsize=64)
def _aggregate(members: tuple[bytes, ...]) -> KeyAggContext:
    return key_agg(key_sort([member_plain_pk(pk) for pk in members]))


@dataclass(frozen=True)
class Committee:
    """The committee of a graph: its members (x-only keys, params order) and form."""

    members: tuple[bytes, ...]
    form: CommitteeForm = CommitteeForm.CHAIN

    def __post_init__(self) -> None:
        if not self.members:
            raise UserError("keys.committee must name at least one member")

    @cached_property
    def aggregate(self) -> KeyAggContext:
        """BIP327 key aggregation context of the members (sorted; see the module)."""
        return _aggregate(tuple(self.members))

    @property
    def aggregate_key(self) -> bytes:
        """The x-only aggregate key a MuSig2 committee leaf checks."""
        return bytes(self.aggregate.xonly_pk)

    @property
    def keys(self) -> tuple[bytes, ...]:
        """The keys every committee leaf checks, in script order."""
        if self.form is CommitteeForm.MUSIG2:
            return (self.aggregate_key,)
        return self.members

    @property
    def signers(self) -> tuple[tuple[Role, bytes], ...]:
        """The committee's part of a leaf's signers: (committee, key) per script key."""
        return tuple((Role.COMMITTEE, pk) for pk in self.keys)

    @property
    def size(self) -> int:
        return len(self.members)

    def member_index(self, pubkey: bytes) -> int:
        """Params position of member ``pubkey`` (refusing any other key)."""
        try:
            return self.members.index(pubkey)
        except ValueError:
            raise UserError(f"{pubkey.hex()} is not a member of the committee") from None

    def to_json(self) -> dict:
        """What graph.json records (regenerated and compared on load)."""
        out: dict = {"form": self.form.value, "members": [pk.hex() for pk in self.members]}
        if self.form is CommitteeForm.MUSIG2:
            out["aggregate_key"] = self.aggregate_key.hex()
            out["key_aggregation"] = KEY_AGGREGATION
            out["key_order"] = [bytes(pk).hex() for pk in self.aggregate.pubkeys]
        return out


def committee_of(members: Sequence[bytes], form: CommitteeForm) -> Committee:
    return Committee(tuple(members), form)
