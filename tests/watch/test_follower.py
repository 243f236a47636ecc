"""The follower on real chains: graph transactions recognised in mined blocks
(templates by the output and leaf they spend), reorganisations reported, where
following starts."""

from __future__ import annotations

import pytest
from bitcoind_node import BACKENDS, open_chain

from ocp.drill import moves
from ocp.drill.world import setup_world
from ocp.ids import Role, TxKind, TxName
from ocp.watch.events import BlockConnected, BlockDisconnected
from ocp.watch.follower import Follower, first_height
from ocp.watch.harness import MINE_TO, fault_step
from regtest.kernel import KernelChain

K = TxKind


def submit_and_mine(world, *moves_):
    for tx, _ in moves_:
        result = world.chain.submit(tx)
        assert result.accepted, result
    world.mine()


def confirmed_names(events) -> list[str]:
    return [str(c.name) for e in events if isinstance(e, BlockConnected) for c in e.confirmations]


@pytest.mark.parametrize("backend", BACKENDS)
def test_follower_recognises_every_move_of_a_game(backend):
    with open_chain(backend) as chain:
        world = setup_world(chain)
        follower = Follower(chain, world.graph)
        assert follower.start_height == chain.height() + 1  # nothing of the graph is on chain yet
        assert follower.poll() == []
        wrong = fault_step(world.params.computation)
        trace = moves.operator_trace(world, wrong_step=wrong)
        submit_and_mine(world, moves.move(world, K.DEPOSIT))
        submit_and_mine(world, moves.move(world, K.CONFIRM), moves.move(world, K.PREPARE))
        submit_and_mine(world, moves.kickoff(world, trace))
        submit_and_mine(world, moves.challenge(world))  # a template: its txid was unknown
        submit_and_mine(world, moves.assert_move(world, 0, trace))
        revealed = moves.revealed_values(world)
        submit_and_mine(world, moves.disprove(world, wrong, revealed))
        world.faucet.fund(world.actors.spk(Role.CHALLENGER), 10_000)  # not the graph's
        events = follower.poll()
        assert confirmed_names(events) == [
            "Deposit",
            "Confirm",
            "Prepare",
            "Kickoff",
            "Challenge",
            "Assert_0",
            f"Disprove_{wrong}",
        ]
        heights = [c.height for c in follower.confirmed]
        assert heights == sorted(heights) and follower.tip.height == chain.height()
        challenge = next(c for c in follower.confirmed if c.name == TxName(K.CHALLENGE))
        assert challenge.txid != world.graph.tx(TxName(K.CHALLENGE)).txid  # completed by the challenger
        assert follower.poll() == []
        assert first_height(chain, world.graph) == heights[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_follower_reports_a_reorganisation_and_the_branch_that_replaces_it(backend):
    with open_chain(backend) as chain:
        world = setup_world(chain)
        trace = moves.operator_trace(world)
        submit_and_mine(world, moves.move(world, K.DEPOSIT))
        submit_and_mine(world, moves.move(world, K.CONFIRM), moves.move(world, K.PREPARE))
        submit_and_mine(world, moves.kickoff(world, trace))
        challenge = moves.challenge(world)
        submit_and_mine(world, challenge)
        follower = Follower(chain, world.graph)
        follower.poll()
        top = chain.height()
        chain.reorg(top - 2, 3, MINE_TO)  # the Kickoff's and the Challenge's blocks leave
        events = follower.poll()
        gone = [e for e in events if isinstance(e, BlockDisconnected)]
        assert [e.height for e in gone] == [top, top - 1]
        assert [e.height for e in events if isinstance(e, BlockConnected)] == [top - 1, top, top + 1]
        assert [str(c.name) for c in follower.confirmed] == ["Deposit", "Confirm", "Prepare"]
        world.mine()  # the Kickoff comes back from the mempool
        assert confirmed_names(follower.poll()) == ["Kickoff"]
        # the Challenge (CSV 1) was not final while the Kickoff was unconfirmed: the node
        # dropped it; its challenger broadcasts it again (the watcher does, from its journal)
        assert chain.submit(challenge[0]).accepted
        world.mine()
        assert confirmed_names(follower.poll()) == ["Challenge"]


class ReorgDuringScan:
    """A real chain that is reorganised while the follower reads block ``at``
    (between its reading the hashes and the transactions): the race the follower's
    re-check exists for."""

    def __init__(self, chain: KernelChain, at: int) -> None:
        self._chain = chain
        self._at = at
        self.fired = False

    def __getattr__(self, name):
        return getattr(self._chain, name)

    def block_txids(self, block_hash: str) -> list[str]:
        txids = self._chain.block_txids(block_hash)
        if not self.fired and self._chain.get_block(block_hash).height == self._at:
            self.fired = True
            self._chain.reorg(self._at - 1, self._chain.height() - self._at + 2, MINE_TO)
        return txids


def test_follower_drops_blocks_a_reorganisation_replaced_during_its_scan():
    with KernelChain() as kernel:
        world = setup_world(kernel)
        submit_and_mine(world, moves.move(world, K.DEPOSIT))
        start = kernel.height()
        submit_and_mine(world, moves.move(world, K.CONFIRM))
        world.mine(2)
        racing = ReorgDuringScan(kernel, start + 1)  # the Confirm's block is replaced mid-scan
        follower = Follower(racing, world.graph, start_height=start)
        events = follower.poll()
        assert racing.fired
        assert any(isinstance(e, BlockDisconnected) for e in events)
        assert all(kernel.block_hash(b.height) == b.hash for b in follower.blocks)
        follower.poll()
        assert all(kernel.block_hash(b.height) == b.hash for b in follower.blocks)
        assert follower.tip.height == kernel.height()
        assert [str(c.name) for c in follower.confirmed] == ["Deposit"]  # Confirm is back in the mempool
