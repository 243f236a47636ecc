"""A tapscript interpreter for analysis: why a script fails, where, and how deep
its stacks get (BIP342 as Bitcoin Core's interpreter implements it).

libbitcoinkernel (:mod:`taptrees.verify`) stays the authority on validity; this
package explains its verdicts and is differential-tested against it.
"""

from taptrees.interp.locktime import LockContext
from taptrees.interp.machine import (
    MAX_SCRIPT_ELEMENT_SIZE,
    MAX_STACK_SIZE,
    NO_CODESEP,
    cast_to_bool,
    op_display_name,
    run_tapscript,
    witness_validation_budget,
)
from taptrees.interp.result import ExecResult
from taptrees.interp.signatures import SigChecker, leaf_spend_checker
from taptrees.interp.spend import run_leaf_spend

__all__ = [
    "MAX_SCRIPT_ELEMENT_SIZE",
    "MAX_STACK_SIZE",
    "NO_CODESEP",
    "ExecResult",
    "LockContext",
    "SigChecker",
    "cast_to_bool",
    "leaf_spend_checker",
    "op_display_name",
    "run_leaf_spend",
    "run_tapscript",
    "witness_validation_budget",
]
