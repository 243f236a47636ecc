"""BIP327's byte encodings, as types.

They are ``NewType`` s over ``bytes`` (as in the BIP's reference code): the type says
which encoding a value has; the functions that take values from outside check the
length and the point.
"""

from __future__ import annotations

from typing import NewType

#: A compressed (33-byte) individual or aggregate public key: ``cbytes(P)``.
PlainPk = NewType("PlainPk", bytes)
#: An x-only (32-byte) public key: ``xbytes(P)``, what BIP340 and tapscript use.
XonlyPk = NewType("XonlyPk", bytes)
#: A signer's public nonce: ``cbytes(R1) || cbytes(R2)`` (66 bytes).
PubNonce = NewType("PubNonce", bytes)
#: The aggregate nonce: ``cbytes_ext(R1) || cbytes_ext(R2)`` (66 bytes; 33 zero
#: bytes stand for the point at infinity).
AggNonce = NewType("AggNonce", bytes)
#: A partial signature: ``bytes(32, s)``.
PartialSig = NewType("PartialSig", bytes)

PLAIN_PK_SIZE = 33
XONLY_PK_SIZE = 32
NONCE_SIZE = 66
PARTIAL_SIG_SIZE = 32
MSG_SIZE = 32
