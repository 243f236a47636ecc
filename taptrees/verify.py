"""Script verification by Bitcoin Core's own interpreter (libbitcoinkernel).

Everything the project emits is checked here: :func:`verify_input` runs one input
of a transaction through ``btck_script_pubkey_verify`` with every consensus flag
(P2SH, DERSIG, NULLDUMMY, CLTV, CSV, WITNESS, TAPROOT).  libbitcoinkernel answers
pass/fail only, so a failure names the input, not the interpreter's error code.

:func:`execute_leaf` is the workhorse of the script tests: it puts a leaf into a
taproot output, spends it by script path with the given witness stack and
returns the kernel's verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pbk
from pbk.script import PrecomputedTransactionData

from taptrees.errors import InputError
from taptrees.script import Script
from taptrees.sighash import SIGHASH_DEFAULT, ScriptPath, taproot_sighash
from taptrees.tree import NUMS_INTERNAL_KEY, TapLeaf, TaprootOutput, TapTree
from taptrees.tx import SEQUENCE_FINAL, OutPoint, Tx, TxIn, TxOut

CONSENSUS_FLAGS = pbk.ScriptVerificationFlags.ALL


@dataclass(frozen=True)
class Verdict:
    """The kernel's answer for one input."""

    ok: bool
    input_index: int
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def verify_input(tx: Tx, index: int, spent: Sequence[TxOut], flags: int = CONSENSUS_FLAGS) -> Verdict:
    """Verify input ``index`` of ``tx`` against the outputs it spends (all of them,
    as BIP341 signature hashes commit to every spent output)."""
    return verify_inputs(tx, spent, flags, indices=[index])[0]


def verify_inputs(
    tx: Tx,
    spent: Sequence[TxOut],
    flags: int = CONSENSUS_FLAGS,
    indices: Sequence[int] | None = None,
) -> list[Verdict]:
    """Verify several inputs of one transaction with shared precomputed data."""
    if len(spent) != len(tx.inputs):
        raise InputError(f"{len(spent)} spent outputs for {len(tx.inputs)} inputs")
    wanted = list(indices) if indices is not None else list(range(len(tx.inputs)))
    for i in wanted:
        if not 0 <= i < len(tx.inputs):
            raise InputError(f"input index {i} out of range (transaction has {len(tx.inputs)})")
    ktx = pbk.Transaction(tx.serialize())
    kspent = [pbk.TransactionOutput(pbk.ScriptPubkey(o.script_pubkey), o.value) for o in spent]
    pre = PrecomputedTransactionData(ktx, kspent)
    verdicts = []
    for i in wanted:
        spk = pbk.ScriptPubkey(spent[i].script_pubkey)
        try:
            ok = spk.verify(spent[i].value, ktx, pre, i, pbk.ScriptVerificationFlags(flags))
            reason = "" if ok else "script verification failed (libbitcoinkernel)"
        except pbk.ScriptVerifyException as exc:
            ok, reason = False, f"kernel refused the call: {exc.status.name}"
        verdicts.append(Verdict(bool(ok), i, reason))
    return verdicts


#: Outpoint of the imaginary funding transaction used by :func:`execute_leaf`.
_FUNDING = OutPoint("11" * 32, 0)
DEFAULT_AMOUNT = 100_000


@dataclass(frozen=True)
class LeafSpend:
    """A script-path spend of one leaf of a taproot output, ready to be witnessed."""

    output: TaprootOutput
    leaf_index: int
    tx: Tx
    amount: int

    @property
    def spent(self) -> tuple[TxOut, ...]:
        return (TxOut(self.amount, self.output.script_pubkey),)

    @property
    def leaf(self) -> TapLeaf:
        return self.output.leaf(self.leaf_index)

    def sighash(self, hash_type: int = SIGHASH_DEFAULT, codesep_pos: int = 0xFFFFFFFF) -> bytes:
        """BIP342 signature hash of this spend (what a CHECKSIG in the leaf checks)."""
        path = ScriptPath(self.leaf.hash, codesep_pos)
        return taproot_sighash(self.tx, 0, self.spent, hash_type, path)

    def witnessed(self, stack: Sequence[bytes], annex: bytes | None = None) -> Tx:
        return self.tx.with_witness(0, self.output.script_path_witness(self.leaf_index, stack, annex))

    def verify(self, stack: Sequence[bytes], annex: bytes | None = None) -> Verdict:
        return verify_input(self.witnessed(stack, annex), 0, self.spent)


def leaf_spend(
    script: Script | TapLeaf,
    *,
    tree: TapTree | None = None,
    internal_key: bytes = NUMS_INTERNAL_KEY,
    amount: int = DEFAULT_AMOUNT,
    sequence: int = SEQUENCE_FINAL,
    locktime: int = 0,
    version: int = 2,
) -> LeafSpend:
    """A one-input transaction spending ``script`` (alone, or in ``tree``) by script path."""
    leaf = script if isinstance(script, TapLeaf) else TapLeaf(script)
    tree = tree or TapTree(leaf)
    output = TaprootOutput(internal_key, tree)
    index = tree.index_of(leaf if isinstance(script, TapLeaf) else script)
    tx = Tx(
        version=version,
        inputs=(TxIn(_FUNDING, sequence=sequence),),
        # a fee of 1,000 sat where the amount allows it; never a negative output value
        outputs=(TxOut(max(amount - 1_000, 0), b"\x51\x20" + NUMS_INTERNAL_KEY),),
        locktime=locktime,
    )
    return LeafSpend(output, index, tx, amount)


def execute_leaf(
    script: Script | TapLeaf,
    witness: Sequence[bytes] | Callable[[LeafSpend], Sequence[bytes]],
    **spend_options,
) -> Verdict:
    """Run ``script`` with ``witness`` (the stack, bottom first) through Bitcoin Core's
    interpreter in a real taproot script-path spend.

    ``witness`` may be a function of the :class:`LeafSpend` for leaves that check
    signatures (it can call ``spend.sighash()``).
    """
    spend = leaf_spend(script, **spend_options)
    stack = witness(spend) if callable(witness) else witness
    return spend.verify(stack)
