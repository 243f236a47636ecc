"""Leaf classes of the OCP graph (one idea each):

============================  ================================================
module                        leaves
============================  ================================================
:mod:`ocp.leaves.base`        :class:`GraphLeaf`, :class:`LeafName`, kinds
:mod:`ocp.leaves.scripts`     script fragments: n-of-n, timelocks, reveals
:mod:`ocp.leaves.committee`   :class:`CommitteeLeaf`, :class:`ConfirmLeaf`
:mod:`ocp.leaves.keyed`       :class:`KeyLeaf` (one role's key)
:mod:`ocp.leaves.reveal`      :class:`RevealLeaf` (Kickoff claim, Assert values)
:mod:`ocp.leaves.disprove`    :class:`DisproveLeaf` (re-run one step)
============================  ================================================
"""

from ocp.leaves.base import MAX_SIG_SIZE, GraphLeaf, LeafKind, LeafName, SigSource
from ocp.leaves.committee import CommitteeLeaf, ConfirmLeaf
from ocp.leaves.disprove import DisproveLeaf
from ocp.leaves.keyed import KeyLeaf
from ocp.leaves.reveal import RevealLeaf

__all__ = [
    "MAX_SIG_SIZE",
    "CommitteeLeaf",
    "ConfirmLeaf",
    "DisproveLeaf",
    "GraphLeaf",
    "KeyLeaf",
    "LeafKind",
    "LeafName",
    "RevealLeaf",
    "SigSource",
]
