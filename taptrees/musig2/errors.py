"""BIP327's two kinds of error.

A broken precondition (the caller used the API wrongly: a tweak out of range, a
secret key that is not the nonce's signer) is an :class:`~taptrees.errors.InputError`.
An invalid contribution from another party is an :class:`InvalidContributionError`
that names who sent it, so that an honest party can assign blame (BIP327,
"Identifying Disruptive Signers").
"""

from __future__ import annotations

from typing import Literal

from taptrees.errors import InputError

#: What a party contributes to a session, as BIP327 names it in its test vectors.
Contribution = Literal["pubkey", "pubnonce", "aggnonce", "aggothernonce", "psig"]


class InvalidContributionError(InputError):
    """A contribution of one party is invalid.

    ``signer`` is the index of the signer in the list the algorithm was given
    (key order, nonce order), or ``None`` when the nonce aggregator is to blame
    (an invalid aggregate nonce).  ``contrib`` says what was invalid.
    """

    def __init__(self, signer: int | None, contrib: Contribution, detail: str = "") -> None:
        self.signer = signer
        self.contrib = contrib
        who = "the nonce aggregator" if signer is None else f"signer {signer}"
        super().__init__(f"invalid {contrib} from {who}" + (f": {detail}" if detail else ""))


class NonceReuseError(InputError):
    """A secret nonce was offered for a second partial signature (or from a forked
    copy of the process that made it).  Signing twice with one nonce reveals the
    secret key; libsecp256k1 would abort the process, this layer refuses first."""
