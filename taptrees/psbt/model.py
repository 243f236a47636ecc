"""The PSBT data model (BIP174 version 0 with the BIP371 taproot fields).

Frozen dataclasses, one per map, with typed fields for what taproot transaction
graphs need.  Every other key-value pair (partial signatures, BIP32 derivations,
redeem scripts, proprietary and unknown types, ...) is kept in ``unknown`` as raw
``(key, value)`` bytes and written back unchanged.  ``key_order`` remembers the
order keys were read in, so decoding then encoding gives the same bytes; it takes
no part in equality.

Each dataclass checks what BIP174/BIP371 require of its own values when built;
:mod:`taptrees.psbt.codec` adds the map and input/output numbers to the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taptrees.errors import InputError
from taptrees.hashes import tagged_hash
from taptrees.psbt.fields import (
    TAPROOT_CONTROL_MAX_NODE_COUNT,
    TAPROOT_LEAF_MASK,
    is_control_block_length,
)
from taptrees.tx import Tx, TxOut, ser_bytes

RawPair = tuple[bytes, bytes]


def _check_len(value: bytes, lengths: tuple[int, ...], what: str) -> None:
    if len(value) not in lengths:
        allowed = " or ".join(str(n) for n in lengths)
        raise InputError(f"{what} must be {allowed} bytes, got {len(value)}")


def _check_schnorr_sig(sig: bytes, what: str) -> None:
    """BIP371: a 64-byte BIP340 signature, or 65 with the sighash type appended."""
    _check_len(sig, (64, 65), what)


def leaf_hash(script: bytes, leaf_version: int) -> bytes:
    """BIP341 hash_TapLeaf(v || compact_size(size) || script)."""
    return tagged_hash("TapLeaf", bytes([leaf_version]) + ser_bytes(script))


@dataclass(frozen=True)
class TapScriptSig:
    """PSBT_IN_TAP_SCRIPT_SIG: a signature of ``xonly`` for the leaf ``leaf_hash``."""

    xonly: bytes
    leaf_hash: bytes
    sig: bytes

    def __post_init__(self) -> None:
        _check_len(self.xonly, (32,), "PSBT_IN_TAP_SCRIPT_SIG x-only key")
        _check_len(self.leaf_hash, (32,), "PSBT_IN_TAP_SCRIPT_SIG leaf hash")
        _check_schnorr_sig(self.sig, "PSBT_IN_TAP_SCRIPT_SIG")

    @property
    def key(self) -> bytes:
        return self.xonly + self.leaf_hash


@dataclass(frozen=True)
class TapLeafScript:
    """PSBT_IN_TAP_LEAF_SCRIPT: a leaf script, its leaf version and the control
    block that proves it is committed to by the spent output."""

    control_block: bytes
    script: bytes
    leaf_version: int

    def __post_init__(self) -> None:
        if not is_control_block_length(len(self.control_block)):
            raise InputError(
                "PSBT_IN_TAP_LEAF_SCRIPT control block must be 33 + 32m bytes (m <= 128), "
                f"got {len(self.control_block)}"
            )
        if not 0 <= self.leaf_version <= 0xFF:
            raise InputError(f"leaf version {self.leaf_version} is not a byte")

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.script, self.leaf_version)

    @property
    def internal_key(self) -> bytes:
        return self.control_block[1:33]

    @property
    def merkle_root(self) -> bytes:
        """BIP341: fold the control block's path into the leaf hash."""
        node = self.leaf_hash
        path = self.control_block[33:]
        for i in range(0, len(path), 32):
            sibling = path[i : i + 32]
            node = tagged_hash("TapBranch", node + sibling if node < sibling else sibling + node)
        return node


@dataclass(frozen=True)
class TapKeyOrigin:
    """PSBT_IN_TAP_BIP32_DERIVATION / PSBT_OUT_TAP_BIP32_DERIVATION: the leaves an
    x-only key signs in, and its BIP32 origin (fingerprint and path)."""

    xonly: bytes
    leaf_hashes: tuple[bytes, ...]
    fingerprint: bytes
    path: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_len(self.xonly, (32,), "TAP_BIP32_DERIVATION x-only key")
        for h in self.leaf_hashes:
            _check_len(h, (32,), "TAP_BIP32_DERIVATION leaf hash")
        _check_len(self.fingerprint, (4,), "TAP_BIP32_DERIVATION fingerprint")
        for step in self.path:
            if not 0 <= step <= 0xFFFFFFFF:
                raise InputError(f"TAP_BIP32_DERIVATION path step {step} is not a uint32")


@dataclass(frozen=True)
class TapTreeLeaf:
    """One leaf of PSBT_OUT_TAP_TREE, in depth-first order."""

    depth: int
    leaf_version: int
    script: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.depth <= TAPROOT_CONTROL_MAX_NODE_COUNT:
            raise InputError(
                f"PSBT_OUT_TAP_TREE leaf depth {self.depth} exceeds the taproot maximum "
                f"{TAPROOT_CONTROL_MAX_NODE_COUNT}"
            )
        if not 0 <= self.leaf_version <= 0xFF or self.leaf_version & ~TAPROOT_LEAF_MASK:
            raise InputError(
                f"PSBT_OUT_TAP_TREE leaf version 0x{self.leaf_version:02x} is not a valid (even) leaf version"
            )


def check_tap_tree(leaves: tuple[TapTreeLeaf, ...]) -> None:
    """BIP371: the (depth, leaf) list must describe a complete binary tree in
    depth-first order (Bitcoin Core: ``TaprootBuilder::IsComplete``)."""
    if not leaves:
        raise InputError("PSBT_OUT_TAP_TREE must hold at least one leaf")
    open_depths: list[int] = []  # depths of finished subtrees still waiting for a sibling
    for n, leaf in enumerate(leaves):
        depth = leaf.depth
        if open_depths and depth < open_depths[-1] or open_depths == [0]:
            raise InputError(f"PSBT_OUT_TAP_TREE leaf {n} at depth {depth} does not fit the tree")
        while open_depths and open_depths[-1] == depth:
            open_depths.pop()
            depth -= 1
        if depth < 0:
            raise InputError(f"PSBT_OUT_TAP_TREE leaf {n} does not fit the tree")
        open_depths.append(depth)
    if open_depths != [0]:
        raise InputError("PSBT_OUT_TAP_TREE is not a complete binary tree")


@dataclass(frozen=True)
class PsbtInput:
    """One input map."""

    non_witness_utxo: bytes | None = None  # the whole previous transaction, raw
    witness_utxo: TxOut | None = None
    sighash_type: int | None = None
    final_script_sig: bytes | None = None
    final_script_witness: tuple[bytes, ...] | None = None
    tap_key_sig: bytes | None = None
    tap_script_sigs: tuple[TapScriptSig, ...] = ()
    tap_leaf_scripts: tuple[TapLeafScript, ...] = ()
    tap_bip32_derivations: tuple[TapKeyOrigin, ...] = ()
    tap_internal_key: bytes | None = None
    tap_merkle_root: bytes | None = None
    unknown: tuple[RawPair, ...] = ()
    key_order: tuple[bytes, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.sighash_type is not None and not 0 <= self.sighash_type <= 0xFFFFFFFF:
            raise InputError(f"PSBT_IN_SIGHASH_TYPE {self.sighash_type} is not a uint32")
        if self.tap_key_sig is not None:
            _check_schnorr_sig(self.tap_key_sig, "PSBT_IN_TAP_KEY_SIG")
        if self.tap_internal_key is not None:
            _check_len(self.tap_internal_key, (32,), "PSBT_IN_TAP_INTERNAL_KEY")
        if self.tap_merkle_root is not None:
            _check_len(self.tap_merkle_root, (32,), "PSBT_IN_TAP_MERKLE_ROOT")
        _check_unique([s.key for s in self.tap_script_sigs], "PSBT_IN_TAP_SCRIPT_SIG")
        _check_unique([s.control_block for s in self.tap_leaf_scripts], "PSBT_IN_TAP_LEAF_SCRIPT")
        _check_unique([d.xonly for d in self.tap_bip32_derivations], "PSBT_IN_TAP_BIP32_DERIVATION")

    @property
    def is_final(self) -> bool:
        return self.final_script_sig is not None or self.final_script_witness is not None


@dataclass(frozen=True)
class PsbtOutput:
    """One output map."""

    tap_internal_key: bytes | None = None
    tap_tree: tuple[TapTreeLeaf, ...] | None = None
    tap_bip32_derivations: tuple[TapKeyOrigin, ...] = ()
    unknown: tuple[RawPair, ...] = ()
    key_order: tuple[bytes, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.tap_internal_key is not None:
            _check_len(self.tap_internal_key, (32,), "PSBT_OUT_TAP_INTERNAL_KEY")
        if self.tap_tree is not None:
            check_tap_tree(self.tap_tree)
        _check_unique([d.xonly for d in self.tap_bip32_derivations], "PSBT_OUT_TAP_BIP32_DERIVATION")


@dataclass(frozen=True)
class Psbt:
    """A version 0 PSBT: the unsigned transaction and one map per input and output."""

    tx: Tx
    inputs: tuple[PsbtInput, ...]
    outputs: tuple[PsbtOutput, ...]
    version: int | None = None  # PSBT_GLOBAL_VERSION when present (only 0 here)
    unknown: tuple[RawPair, ...] = ()
    key_order: tuple[bytes, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        check_unsigned_tx(self.tx)
        if len(self.inputs) != len(self.tx.inputs):
            raise InputError(f"{len(self.inputs)} input maps for {len(self.tx.inputs)} transaction inputs")
        if len(self.outputs) != len(self.tx.outputs):
            raise InputError(f"{len(self.outputs)} output maps for {len(self.tx.outputs)} transaction outputs")
        if self.version not in (None, 0):
            raise InputError(f"PSBT version {self.version} is not supported (only version 0, BIP174)")

    @property
    def spent_outputs(self) -> tuple[TxOut, ...]:
        """The witness UTXO of every input (BIP341 sighashes need all of them)."""
        missing = [i for i, inp in enumerate(self.inputs) if inp.witness_utxo is None]
        if missing:
            raise InputError(f"inputs {missing} have no PSBT_IN_WITNESS_UTXO")
        return tuple(inp.witness_utxo for inp in self.inputs)  # type: ignore[misc]

    def fee(self) -> int | None:
        """Inputs minus outputs, when every input's witness UTXO is known."""
        if any(inp.witness_utxo is None for inp in self.inputs):
            return None
        spent = sum(inp.witness_utxo.value for inp in self.inputs)  # type: ignore[union-attr]
        return spent - sum(out.value for out in self.tx.outputs)


def check_unsigned_tx(tx: Tx) -> None:
    """BIP174: the global transaction has empty scriptSigs and witnesses."""
    for i, txin in enumerate(tx.inputs):
        if txin.script_sig:
            raise InputError(f"unsigned transaction input {i} has a scriptSig")
        if txin.witness:
            raise InputError(f"unsigned transaction input {i} has a witness")


def _check_unique(keys: list[bytes], what: str) -> None:
    seen: set[bytes] = set()
    for key in keys:
        if key in seen:
            raise InputError(f"duplicate {what} key {key.hex()}")
        seen.add(key)
