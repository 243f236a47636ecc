"""What one tapscript execution ended with (:class:`ExecResult`).

Error names are Bitcoin Core's ``ScriptError_t`` values without the
``SCRIPT_ERR_`` prefix (``script/script_error.h``), so a result can be compared
with Core's unit-test vectors and with ``bitcoin-cli`` messages.  One name is this
interpreter's own and never comes from Core: ``MAX_STEPS`` (the caller's step
limit ran out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Core's error names this interpreter can produce (consensus rules of BIP342).
CONSENSUS_ERRORS = frozenset(
    {
        "SCRIPTNUM",  # CScriptNum overflow or non-minimal number (scriptnum_error)
        "EVAL_FALSE",
        "OP_RETURN",
        "PUSH_SIZE",
        "STACK_SIZE",
        "VERIFY",
        "EQUALVERIFY",
        "CHECKSIGVERIFY",
        "NUMEQUALVERIFY",
        "BAD_OPCODE",
        "INVALID_STACK_OPERATION",
        "INVALID_ALTSTACK_OPERATION",
        "UNBALANCED_CONDITIONAL",
        "NEGATIVE_LOCKTIME",
        "UNSATISFIED_LOCKTIME",
        "TAPSCRIPT_EMPTY_PUBKEY",
        "SCHNORR_SIG_SIZE",
        "SCHNORR_SIG_HASHTYPE",
        "SCHNORR_SIG",
        "TAPSCRIPT_VALIDATION_WEIGHT",
        "TAPSCRIPT_CHECKMULTISIG",
        "TAPSCRIPT_MINIMALIF",
        "CLEANSTACK",
    }
)
#: Core's names for the standardness (policy) rules, raised only with ``policy=True``.
POLICY_ERRORS = frozenset(
    {
        "MINIMALDATA",
        "DISCOURAGE_OP_SUCCESS",
        "DISCOURAGE_UPGRADABLE_NOPS",
        "DISCOURAGE_UPGRADABLE_PUBKEYTYPE",
    }
)
#: The caller's ``max_steps`` ran out (analysis only; Core has no such limit).
MAX_STEPS = "MAX_STEPS"


class ScriptFailure(Exception):
    """Raised inside the interpreter when a rule fails; becomes an :class:`ExecResult`."""

    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(f"{error}: {detail}" if detail else error)
        self.error = error
        self.detail = detail


@dataclass(frozen=True)
class ExecResult:
    """Outcome of :func:`taptrees.interp.run_tapscript`.

    ``ok``: the spend is valid (the kernel would accept it).  ``error``: Core's
    error name, None when ok.  ``offset``/``op``: byte offset and name of the
    operation where execution stopped: the failing op, or the ``OP_SUCCESSx``
    that made the script succeed; None when the failure is at the end of the
    script (CLEANSTACK, EVAL_FALSE, UNBALANCED_CONDITIONAL) or before it
    (limits on the initial stack).  ``peak_stack``: the largest
    ``len(stack) + len(altstack)`` seen, initial stack included, counted after
    each operation as Core does for its 1000-item limit.  ``ops_executed``:
    operations (pushes included) run in an executing branch.  ``final_stack``
    and ``final_altstack``: bottom first, as they were when execution stopped.
    ``detail``: a sentence for humans.
    """

    ok: bool
    error: str | None
    offset: int | None
    op: str | None
    peak_stack: int
    ops_executed: int
    final_stack: tuple[bytes, ...]
    final_altstack: tuple[bytes, ...] = ()
    detail: str = field(default="", compare=False)

    def __bool__(self) -> bool:
        return self.ok

    def describe(self) -> str:
        """One line: verdict, error and where it happened."""
        if self.ok:
            return "ok" + (f" ({self.detail})" if self.detail else "")
        where = f" at offset {self.offset} ({self.op})" if self.offset is not None else ""
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.error}{where}{tail}"
