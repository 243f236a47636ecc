"""Why the chain must refuse a forbidden move: Bitcoin Core's reject reason,
exactly as both chains give it (issue 11: a move refused for another reason --
a policy limit, a malformed template -- is a failed drill, not a passed one)."""

from __future__ import annotations

from dataclasses import dataclass

from taptrees.interp.error_strings import script_error_string


@dataclass(frozen=True)
class Refusal:
    """Core's reject reason for a move, compared exactly."""

    reason: str
    why: str  # what the rule is, for people reading a report
    #: other reasons that mean the same rule (a leaf's condition may fail at its end
    #: or at one of its own VERIFYs, depending on the values)
    also: tuple[str, ...] = ()

    def matches(self, reason: str) -> bool:
        return reason == self.reason or reason in self.also


#: BIP68/BIP112: a relative timelock has not passed yet.
TIMELOCK = Refusal("non-BIP68-final", "its relative timelock has not passed")
#: An input is spent already (an exclusive outcome happened) or does not exist yet.
SPENT = Refusal("bad-txns-inputs-missingorspent", "an input it needs is spent or not there")


def script_fails(error: str, why: str) -> Refusal:
    """A script refused with Core's ``ScriptError`` ``error`` (its name without
    ``SCRIPT_ERR_``)."""
    return Refusal(f"mempool-script-verify-flag-failed ({script_error_string(error)})", why)


#: A Disprove whose step checks out: every signature is valid, the step's
#: recomputation agrees with the committed output, so the leaf leaves false.
STEP_CHECKS_OUT = script_fails("EVAL_FALSE", "the step it disputes is right")
#: A signature does not verify (a changed output, a wrong key).
BAD_SIGNATURE = script_fails("SCHNORR_SIG", "a signature does not sign this transaction")
#: A one-time signature under another key: a Winternitz chain end does not match.
WRONG_ONE_TIME_KEY = script_fails("EQUALVERIFY", "a one-time signature is under another key")
