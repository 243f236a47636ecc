"""Leaf classes of the OCP graph (one idea each):

============================  ================================================
module                        leaves
============================  ================================================
:mod:`ocp.leaves.base`        :class:`GraphLeaf`, :class:`LeafName`, kinds
:mod:`ocp.leaves.scripts`     script fragments in miniscript's shapes
:mod:`ocp.leaves.keys`        :class:`KeysLeaf` (keys and a timelock: miniscript)
:mod:`ocp.leaves.reveal`      :class:`RevealLeaf` (Kickoff claim, Assert values)
:mod:`ocp.leaves.disprove`    :class:`DisproveLeaf` (re-run one step)
============================  ================================================
"""

from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafKind, LeafName, Signer, SigSource
from ocp.leaves.disprove import DISPROVE_CSV, DisproveLeaf
from ocp.leaves.keys import KeysLeaf, committee_signers
from ocp.leaves.reveal import RevealLeaf

__all__ = [
    "MAX_SIG_SIZE",
    "DISPROVE_CSV",
    "DisproveLeaf",
    "GraphLeaf",
    "KeysLeaf",
    "LeafKind",
    "LeafName",
    "RevealLeaf",
    "SigSource",
    "Signer",
    "committee_signers",
]
