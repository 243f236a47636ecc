"""One-time signatures verified in tapscript: Lamport bit commitments and Winternitz.

* :mod:`taptrees.ots.derive`: secrets of every chain from one secret and a path.
* :mod:`taptrees.ots.chains`: hash160 chains (the one primitive both schemes use).
* :mod:`taptrees.ots.winternitz`: Winternitz parameters, keys, signing, verification.
* :mod:`taptrees.ots.winternitz_script`: the tapscript verifiers.
* :mod:`taptrees.ots.lamport`: Lamport bit commitments and the equivocation leaf.
* :mod:`taptrees.ots.sizes`: script, witness and stack cost of each verifier.

See docs/ots.md for digit order, derivation paths and the choice of strategy.
"""
