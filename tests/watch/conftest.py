"""Fixtures of the watcher tests: fully signed graphs on the embedded chain."""

from __future__ import annotations

import pytest

from ocp.drill.world import setup_world
from ocp.program import U32Program
from regtest.kernel import KernelChain


@pytest.fixture(scope="module")
def world():
    """One operator, an 8-step program: one Assert."""
    with KernelChain() as chain:
        yield setup_world(chain)


@pytest.fixture(scope="module")
def world_two_asserts():
    """One operator, a 48-step program and a one-member committee: two Asserts."""
    with KernelChain() as chain:
        world = setup_world(chain, program=U32Program.sample(48), n_committee=1)
        assert world.graph.n_chunks == 2
        yield world


@pytest.fixture(scope="module")
def world_two_operators():
    with KernelChain() as chain:
        yield setup_world(chain, n_operators=2)


# --- graph v2 -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def v2_graph(selfcheck):
    """The signed v2 graph of the selfcheck guest, one challenger (its params and
    layout for the duty tests)."""
    from ocp.watch.gameharness import game_world

    with KernelChain() as chain:
        world, _ = game_world(chain, selfcheck)
        return world.graph
