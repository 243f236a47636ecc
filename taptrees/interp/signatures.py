"""Signature checking for tapscript (BIP342 "Rules for signature opcodes").

The interpreter applies every rule that does not need the transaction itself:
the validation-weight budget, the empty-public-key rule, upgradable key types,
the 64/65-byte size and the hash-type byte.  Whether a well-formed signature
is *valid* needs the sighash, so it is left to a :data:`SigChecker` callback:

* with a callback, it decides (``False`` fails the script with SCHNORR_SIG,
  as a non-empty invalid signature does in Core);
* without one, every well-formed non-empty signature is taken as valid.  This
  is the analysis mode: it answers "would this script succeed if the
  signatures are right", which is what peak-stack and error-path studies need.

:func:`leaf_spend_checker` is the callback that makes the answer exact for a
:class:`taptrees.verify.LeafSpend`: BIP340 verification against the BIP342
sighash of that spend, code-separator position included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from taptrees.errors import InputError
from taptrees.keys import schnorr_verify
from taptrees.sighash import VALID_TAPROOT_HASH_TYPES

if TYPE_CHECKING:  # taptrees.verify loads libbitcoinkernel; only its type is needed here
    from taptrees.verify import LeafSpend

#: ``(pubkey32, signature incl. any hash-type byte, codesep_pos) -> valid?``
SigChecker = Callable[[bytes, bytes, int], bool]

#: BIP342: each non-empty signature costs 50 units of the validation budget,
#: which starts at the witness size plus 50.
VALIDATION_WEIGHT_PER_SIGOP_PASSED = 50
VALIDATION_WEIGHT_OFFSET = 50
SIGHASH_DEFAULT = 0x00


def schnorr_sig_format_error(sig: bytes) -> str | None:
    """Core's error name for a malformed non-empty BIP340 signature, None if well formed
    (``CheckSchnorrSignature``: 64 bytes, or 65 with an explicit non-DEFAULT hash type;
    ``SignatureHashSchnorr``: a defined taproot hash type)."""
    if len(sig) not in (64, 65):
        return "SCHNORR_SIG_SIZE"
    if len(sig) == 65 and (sig[64] == SIGHASH_DEFAULT or sig[64] not in VALID_TAPROOT_HASH_TYPES):
        return "SCHNORR_SIG_HASHTYPE"
    return None


def leaf_spend_checker(spend: LeafSpend) -> SigChecker:
    """A :data:`SigChecker` that verifies BIP340 signatures against ``spend``'s sighash
    (hash type from the 65th byte, DEFAULT otherwise; the executed code separator's
    position as BIP342 commits to it)."""

    def check(pubkey: bytes, sig: bytes, codesep_pos: int) -> bool:
        hash_type = sig[64] if len(sig) == 65 else SIGHASH_DEFAULT
        try:
            msg = spend.sighash(hash_type, codesep_pos)
        except InputError:  # e.g. SIGHASH_SINGLE without a matching output
            return False
        return schnorr_verify(pubkey, msg, sig[:64])

    return check
