"""A faucet: mined coins behind one key-path taproot output, paid out to drill roles.

The faucet mines coinbases to ``TaprootOutput(xonly_pubkey(seckey))``, lets them
mature (100 blocks, ``COINBASE_MATURITY``), and funds any script with a
transaction it signs by key path (BIP341 signature hash, BIP340 signature over the
tweaked key), change back to itself.  It works on any :class:`regtest.chain.Chain`.
"""

from __future__ import annotations

from collections.abc import Sequence

from regtest.blocks import COINBASE_MATURITY, block_subsidy
from regtest.chain import Chain, ChainError, check_script_pubkey
from regtest.policy import dust_threshold
from taptrees.errors import InputError
from taptrees.keys import xonly_pubkey
from taptrees.sighash import taproot_sighash
from taptrees.tree import TaprootOutput
from taptrees.tx import OutPoint, Tx, TxIn, TxOut

DEFAULT_FEERATE = 2  # sat/vbyte


class Faucet:
    """Funds roles from coins mined to its own key."""

    def __init__(self, chain: Chain, seckey: bytes, feerate: int = DEFAULT_FEERATE) -> None:
        if not isinstance(seckey, bytes) or len(seckey) != 32:
            raise InputError("faucet secret key must be 32 bytes")
        self.chain = chain
        self._seckey = seckey
        self.output = TaprootOutput(xonly_pubkey(seckey))
        self.feerate = feerate
        self._coins: list[OutPoint] = []

    @property
    def script_pubkey(self) -> bytes:
        return self.output.script_pubkey

    def mine_coins(self, blocks: int = 1) -> list[OutPoint]:
        """Mine ``blocks`` coinbases to the faucet and ``COINBASE_MATURITY`` more blocks
        so they can be spent.  Returns the new coins."""
        hashes = self.chain.mine(blocks, self.script_pubkey)
        self.chain.mine(COINBASE_MATURITY, self.script_pubkey)
        coins = [OutPoint(self.chain.block_txids(h)[0], 0) for h in hashes]
        self._coins.extend(coins)
        return coins

    def balance(self) -> int:
        """Spendable value now (mature, unspent, confirmed or in the mempool)."""
        return sum(utxo.txout.value for utxo in self._spendable())

    def _spendable(self):
        utxos = []
        for outpoint in self._coins:
            utxo = self.chain.get_output(outpoint)
            if utxo is None or utxo.txout.script_pubkey != self.script_pubkey:
                continue
            if utxo.is_coinbase and utxo.confirmations < COINBASE_MATURITY:
                continue
            utxos.append(utxo)
        return sorted(utxos, key=lambda u: -u.txout.value)

    def fund(self, script_pubkey: bytes, amount: int, *, confirm: bool = True) -> OutPoint:
        """Pay ``amount`` satoshis to ``script_pubkey``; mine it unless ``confirm`` is False."""
        return self.fund_many([(script_pubkey, amount)], confirm=confirm)[0]

    def fund_many(self, payments: Sequence[tuple[bytes, int]], *, confirm: bool = True) -> list[OutPoint]:
        """One transaction paying each (script_pubkey, amount); returns their outpoints."""
        outputs = []
        for spk, amount in payments:
            if not isinstance(amount, int) or amount <= 0:
                raise InputError(f"amount must be a positive number of satoshis, got {amount!r}")
            outputs.append(TxOut(amount, check_script_pubkey(spk)))
        if not outputs:
            raise InputError("nothing to fund")
        tx = self._pay(outputs)
        result = self.chain.submit(tx)
        if not result.accepted:
            raise ChainError(f"faucet transaction {tx.txid} refused: {result.reason} {result.detail}")
        if confirm:
            self.chain.mine(1, self.script_pubkey)
        self._coins = [c for c in self._coins if c not in {i.prevout for i in tx.inputs}]
        if len(tx.outputs) > len(outputs):
            self._coins.append(OutPoint(tx.txid, len(outputs)))
        return [OutPoint(tx.txid, i) for i in range(len(outputs))]

    def _pay(self, outputs: list[TxOut]) -> Tx:
        want = sum(o.value for o in outputs)
        spendable = self._spendable()
        if sum(u.txout.value for u in spendable) < want + 10_000:
            self.mine_coins(1 + want // max(1, self._next_subsidy()))
            spendable = self._spendable()
        chosen, total = [], 0
        for utxo in spendable:
            chosen.append(utxo)
            total += utxo.txout.value
            if total >= want + 10_000:
                break
        if total < want:
            raise ChainError(f"faucet holds {total} sat, cannot pay {want}")
        change = TxOut(0, self.script_pubkey)
        draft = self._signed(chosen, [*outputs, change])
        fee = draft.vsize * self.feerate
        change_value = total - want - fee
        final = [*outputs]
        if change_value >= dust_threshold(change):
            final.append(TxOut(change_value, self.script_pubkey))
        elif total - want < fee:
            raise ChainError(f"faucet cannot cover the fee of {fee} sat")
        return self._signed(chosen, final)

    def _next_subsidy(self) -> int:
        return block_subsidy(self.chain.height() + 1)

    def _signed(self, utxos, outputs: list[TxOut]) -> Tx:
        inputs = tuple(TxIn(u.outpoint) for u in utxos)
        tx = Tx(version=2, inputs=inputs, outputs=tuple(outputs), locktime=0)
        spent = [u.txout for u in utxos]
        for index in range(len(inputs)):
            sighash = taproot_sighash(tx, index, spent)
            tx = tx.with_witness(index, [self.output.key_path_sign(self._seckey, sighash)])
        return tx
