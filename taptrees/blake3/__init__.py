"""BLAKE3 compression in Bitcoin Script on 4-bit limbs, and its Python twin.

* :mod:`taptrees.blake3.reference`: the compression function in Python (the twin;
  tests check it against the PyPI ``blake3`` package).
* :mod:`taptrees.blake3.dag`: a DAG of limb operations with constant folding.
* :mod:`taptrees.blake3.emit`: schedules a DAG on the stack, tables read by
  absolute position (``OP_DEPTH``).
* :mod:`taptrees.blake3.gadget`: :class:`Blake3Spec`, one compression as a Script
  gadget (digest, or compared with a committed digest).

See docs/blake3.md.
"""

from taptrees.blake3.gadget import Blake3Spec
from taptrees.blake3.reference import compress, hash_block

__all__ = ["Blake3Spec", "compress", "hash_block"]
