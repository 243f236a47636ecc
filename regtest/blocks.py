"""Building regtest blocks: coinbase (BIP34), witness commitment (BIP141), merkle root,
header and proof of work.

Everything here is a plain function of its inputs; the kernel decides whether the
result is valid.  Regtest parameters are Bitcoin Core's (``chainparams.cpp``,
``CRegTestParams``): subsidy halving every 150 blocks, ``nBits = 0x207fffff``,
BIP34/65/66/CSV/segwit/taproot active from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from taptrees.hashes import hash256
from taptrees.opcodes import OP_RETURN
from taptrees.script import Script
from taptrees.tx import NULL_OUTPOINT_TXID, OutPoint, Tx, TxIn, TxOut, compact_size

COIN = 100_000_000
MAX_MONEY = 21_000_000 * COIN
REGTEST_HALVING_INTERVAL = 150
REGTEST_BITS = 0x207FFFFF
REGTEST_GENESIS_HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
REGTEST_GENESIS_TIME = 1296688602
#: A version with the BIP9 top bits set and no deployment signalled (as Core's miner does).
BLOCK_VERSION = 0x20000000
COINBASE_MATURITY = 100
#: BIP141: the commitment output's script starts with OP_RETURN, push 36, 0xaa21a9ed.
WITNESS_COMMITMENT_HEADER = bytes([0xAA, 0x21, 0xA9, 0xED])
WITNESS_RESERVED_VALUE = bytes(32)


def block_subsidy(height: int, halving_interval: int = REGTEST_HALVING_INTERVAL) -> int:
    """GetBlockSubsidy: 50 BTC halved every ``halving_interval`` blocks, zero after 64."""
    halvings = height // halving_interval
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def bits_to_target(bits: int) -> int:
    """Expand the compact ``nBits`` encoding into the 256-bit target."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def merkle_root(hashes: Sequence[bytes]) -> bytes:
    """Bitcoin's merkle root over internal-order 32-byte hashes (odd levels repeat
    their last node)."""
    level = list(hashes)
    if not level:
        raise ValueError("a merkle tree needs at least one leaf")
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hash256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def internal(display_hex: str) -> bytes:
    """Display (big-endian) hex of a txid or block hash -> internal byte order."""
    return bytes.fromhex(display_hex)[::-1]


def witness_commitment_script(txs: Sequence[Tx]) -> bytes:
    """BIP141 commitment output script for a block whose non-coinbase txs are ``txs``:
    the coinbase's wtxid counts as zero."""
    wtxids = [bytes(32)] + [internal(tx.wtxid) for tx in txs]
    commitment = hash256(merkle_root(wtxids) + WITNESS_RESERVED_VALUE)
    return bytes([OP_RETURN, 36]) + WITNESS_COMMITMENT_HEADER + commitment


def coinbase_tx(height: int, script_pubkey: bytes, value: int, txs: Sequence[Tx], extra_nonce: int = 0) -> Tx:
    """The coinbase of a block at ``height``: BIP34 height push first in the scriptSig,
    then an extra nonce (keeps coinbases of competing branches distinct), one payout,
    and the witness commitment (with the reserved value as witness) when any tx in
    the block carries witness data."""
    script_sig = Script([height, extra_nonce.to_bytes(4, "little")]).raw
    outputs = [TxOut(value, script_pubkey)]
    witness: tuple[bytes, ...] = ()
    if any(tx.has_witness for tx in txs):
        outputs.append(TxOut(0, witness_commitment_script(txs)))
        witness = (WITNESS_RESERVED_VALUE,)
    txin = TxIn(OutPoint(NULL_OUTPOINT_TXID, 0xFFFFFFFF), script_sig, 0xFFFFFFFF, witness)
    return Tx(version=2, inputs=(txin,), outputs=tuple(outputs), locktime=0)


@dataclass(frozen=True)
class BlockHeader:
    version: int
    prev_hash: str  # display hex
    merkle_root: bytes  # internal order
    time: int
    bits: int
    nonce: int

    def serialize(self) -> bytes:
        return (
            self.version.to_bytes(4, "little", signed=True)
            + internal(self.prev_hash)
            + self.merkle_root
            + self.time.to_bytes(4, "little")
            + self.bits.to_bytes(4, "little")
            + self.nonce.to_bytes(4, "little")
        )

    @property
    def hash(self) -> str:
        return hash256(self.serialize())[::-1].hex()


@dataclass(frozen=True)
class Block:
    header: BlockHeader
    txs: tuple[Tx, ...]  # coinbase first

    @property
    def hash(self) -> str:
        return self.header.hash

    @cached_property
    def raw(self) -> bytes:
        return self.header.serialize() + compact_size(len(self.txs)) + b"".join(tx.serialize() for tx in self.txs)


def grind(header: BlockHeader) -> BlockHeader:
    """Search the nonce until the header hash meets its target (regtest: about every
    second try succeeds)."""
    target = bits_to_target(header.bits)
    prefix = header.serialize()[:76]
    for nonce in range(1 << 32):
        digest = hash256(prefix + nonce.to_bytes(4, "little"))
        if int.from_bytes(digest, "little") <= target:
            return BlockHeader(
                header.version,
                header.prev_hash,
                header.merkle_root,
                header.time,
                header.bits,
                nonce,
            )
    raise RuntimeError("nonce space exhausted")  # pragma: no cover - regtest target is trivial


def build_block(
    *,
    prev_hash: str,
    height: int,
    time: int,
    script_pubkey: bytes,
    txs: Sequence[Tx],
    fees: int,
    extra_nonce: int = 0,
    bits: int = REGTEST_BITS,
) -> Block:
    """Assemble and mine a block on ``prev_hash`` paying subsidy plus ``fees``."""
    coinbase = coinbase_tx(height, script_pubkey, block_subsidy(height) + fees, txs, extra_nonce)
    all_txs = (coinbase, *txs)
    root = merkle_root([internal(tx.txid) for tx in all_txs])
    header = grind(BlockHeader(BLOCK_VERSION, prev_hash, root, time, bits, 0))
    return Block(header, all_txs)


def median_time(times: Sequence[int]) -> int:
    """GetMedianTimePast over (up to) the last 11 block times."""
    window = sorted(times[-11:])
    return window[len(window) // 2]
