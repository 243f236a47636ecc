"""Pictures of the OCP transaction graph (``ocp graph draw``).

============================  ==================================================
module                        what
============================  ==================================================
:mod:`ocp.draw.status`        each input's signature status (pre-signed, template,
                              signed at broadcast, missing, invalid)
:mod:`ocp.draw.overlay`       a drill report's timeline matched to the graph
:mod:`ocp.draw.picture`       what is drawn: boxes, outputs, coins, spends,
                              clusters; numbered families collapsed
:mod:`ocp.draw.dot`           the picture as Graphviz DOT text (pure)
:mod:`ocp.draw.render`        DOT to SVG/PNG/HTML with Graphviz's ``dot``
============================  ==================================================
"""

from ocp.draw.dot import to_dot
from ocp.draw.overlay import DrillEvent, DrillOverlay, read_overlay
from ocp.draw.picture import Picture, build_picture
from ocp.draw.render import FORMATS, needs_graphviz, render
from ocp.draw.status import InputStatus, input_statuses

__all__ = [
    "FORMATS",
    "DrillEvent",
    "DrillOverlay",
    "InputStatus",
    "Picture",
    "build_picture",
    "input_statuses",
    "needs_graphviz",
    "read_overlay",
    "render",
    "to_dot",
]
