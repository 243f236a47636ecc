"""Graph v2's watcher services in one process on the embedded chain, stepped poll by
poll with blocks mined between polls: several games answered at once, a 256-ary
game's rounds revealed in several moves, a Kickoff adopted by a new state folder,
a move journaled but never submitted (the node did not answer) submitted again as
journaled after a restart, and one-time keys guarded by the journal.  The
separate-process drills (``ocp watch`` processes: restarts by SIGKILL, a
reorganisation) are in test_watch_v2_drills.py."""

from __future__ import annotations

import io
from itertools import pairwise
from pathlib import Path

import pytest

from ocp.drill.games import Guest
from ocp.ids import Role, TxKind, TxName
from ocp.keyfile import RoleKey
from ocp.watch.base import WatchOptions
from ocp.watch.gameharness import game_world, signatures_match
from ocp.watch.games import CHALLENGER_WON, OPERATOR_WON, ClaimPhase
from ocp.watch.gameservice import GameWatchService
from ocp.watch.journal import Identity, StateDir
from regtest.chain import ChainError
from regtest.kernel import KernelChain
from taptrees.tx import OutPoint


def service(world, key: RoleKey, folder: Path, chain=None, **options) -> GameWatchService:
    identity = Identity(key.role.value, world.graph.graph_id.hex(), key.pubkey.hex(), None)
    state = StateDir.open(folder, identity)
    return GameWatchService(
        world.graph, key, chain or world.chain, state, WatchOptions(poll_interval=0, **options), stream=io.StringIO()
    )


def drive(world, services, blocks: int = 80, until=None) -> None:
    """Poll every service, mine a block, until every one is done (or ``until()``)."""
    for _ in range(blocks):
        done = [s.step() for s in services]
        if (until is not None and until()) or (until is None and all(done)):
            return
        world.mine()
    raise AssertionError(f"not done after {blocks} blocks: {[s._outcome() for s in services]}")


def mined(world, label: str) -> bool:
    name = next(n for n in world.graph.txs if str(n) == label)
    return bool(world.chain.confirmations(world.graph.tx(name).txid))


def records(svc: GameWatchService, kind: str) -> list[dict]:
    return list(svc.journal.of_kind(kind))


@pytest.fixture
def world(selfcheck):
    with KernelChain() as chain:
        world, _ = game_world(chain, selfcheck)
        yield world


def test_a_new_state_folder_adopts_an_honest_kickoff_and_refuses_a_false_one(world, selfcheck, tmp_path):
    """The operator claims and loses its state folder after the Kickoff: a service on
    a new folder reads the claim from the chain, runs the program on the claimed
    input, finds it its honest run and defends it (Take1).  A false claim found on
    chain is not adopted: nothing says how it was made."""
    first = service(world, world.actors.operator, tmp_path / "op")
    first.state.request_claim_v2(selfcheck.tape)
    first.step()
    world.mine()
    assert mined(world, "Kickoff")
    second = service(world, world.actors.operator, tmp_path / "op-new")
    challenger = service(world, world.challengers[0], tmp_path / "ch")
    drive(world, [second, challenger])
    assert second.claim_runs[None].phase is ClaimPhase.PAID and mined(world, "Take1")
    (claim,) = records(second, "claim")
    assert claim["source"] == "read from the mined Kickoff" and claim["claim_n"] == selfcheck.trace.steps
    verdicts = [r["verdict"] for r in records(challenger, "transition") if r.get("verdict")]
    assert verdicts and all(v["claim_is_false"] is False for v in verdicts)


def test_a_false_kickoff_is_not_adopted(world, selfcheck, tmp_path):
    """A false claim found on chain is not adopted by a new state folder: nothing says
    how it was made, so the service says it cannot defend it and journals no claim."""
    first = service(world, world.actors.operator, tmp_path / "op")
    first.state.request_claim_v2(selfcheck.tape, "hash", selfcheck.trace.steps // 3)
    first.step()
    world.mine()
    second = service(world, world.actors.operator, tmp_path / "op-new")
    second.step()
    assert second.party is None and not records(second, "claim")
    assert records(second, "cannot")


class Unanswering:
    """The chain, except that it stops answering submissions (the node went away
    between the journal write and the send): what a crash there leaves."""

    def __init__(self, chain) -> None:
        self.chain = chain

    def __getattr__(self, name):
        return getattr(self.chain, name)

    def submit(self, tx):
        raise ChainError("connection refused")


def test_a_move_journaled_but_never_sent_is_sent_as_journaled(world, selfcheck, tmp_path):
    """The challenger journals its Open and its first choice and the node stops
    answering before either is sent; restarted, the service submits exactly the
    journaled transactions (never a second build), and the one-time signatures on
    chain are the journaled ones."""
    op = service(world, world.actors.operator, tmp_path / "op")
    op.state.request_claim_v2(selfcheck.tape, "hash", selfcheck.trace.steps // 3)
    op.step()
    world.mine()
    down = service(world, world.challengers[0], tmp_path / "ch", chain=Unanswering(world.chain))
    with pytest.raises(ChainError):
        down.step()  # the Open: journaled, never sent
    (journaled,) = records(down, "broadcast")
    assert journaled["tx"] == "Open/c1" and not records(down, "result")
    assert not world.chain.confirmations(journaled["txid"])
    up = service(world, world.challengers[0], tmp_path / "ch")
    drive(world, [op, up], until=lambda: mined(world, "Open/c1"))
    sent = [r for r in records(up, "result") if r["tx"] == "Open/c1"]
    assert sent[0]["txid"] == journaled["txid"] and sent[0]["accepted"]
    assert [r["hex"] for r in records(up, "broadcast") if r["tx"] == "Open/c1"] == [journaled["hex"]]
    drive(world, [op, up])
    assert up.game_runs[(None, 1)].phase == CHALLENGER_WON and op.exit_code() == 1
    assert signatures_match(world, up.follower.confirmed, {"operator": op.journal, "c1": up.journal})


def test_a_one_time_key_never_signs_a_second_value(world, selfcheck, tmp_path):
    """The journal holds what each one-time key signed; a move that would sign a key
    with another value is refused before anything is broadcast (here the journal
    says the operator signed round 0's first hash with another value)."""
    op = service(world, world.actors.operator, tmp_path / "op")
    ch = service(world, world.challengers[0], tmp_path / "ch")
    op.state.request_claim_v2(selfcheck.tape, "hash", selfcheck.trace.steps // 3)
    op.journal.append("signed", height=None, tx="elsewhere", keys={"o1/c1/hash0_1": "0" * 32})
    drive(world, [op, ch], until=lambda: mined(world, "Open/c1"))
    op.step()
    ch.step()
    refusals = records(op, "refused-to-sign")
    assert [r["tx"] for r in refusals] == ["Reveal_0/c1"]
    assert not [r for r in records(op, "broadcast") if r["tx"] == "Reveal_0/c1"]
    with pytest.raises(Exception, match="a one-time key signs one value"):
        op.journal.check_signatures({"o1/c1/hash0_1": "1" * 32})


@pytest.fixture
def two_challengers(selfcheck):
    with KernelChain() as chain:
        world, _ = game_world(chain, selfcheck, n_challengers=2, committee=1)
        yield world


def test_the_operator_answers_several_games_at_once(two_challengers, selfcheck, tmp_path):
    """A false claim and two registered challengers: both open their games; the
    operator answers every round of both; challenger 1 stops after its first choice
    (bribed) and loses its game by ChallengerSilent; challenger 2 catches the lie
    and takes the stake.  One honest live challenger is enough."""
    world = two_challengers
    op = service(world, world.actors.operator, tmp_path / "op")
    bribed = service(world, world.challengers[0], tmp_path / "c1")
    honest = service(world, world.challengers[1], tmp_path / "c2")
    op.state.request_claim_v2(selfcheck.tape, "hash", selfcheck.trace.steps // 3)
    drive(world, [op, bribed, honest], until=lambda: mined(world, "Choose_1/c1"))
    drive(world, [op, honest])
    assert op.claim_runs[None].phase is ClaimPhase.STAKE_TAKEN
    assert op.game_runs[(None, 1)].phase == OPERATOR_WON and op.game_runs[(None, 2)].phase == CHALLENGER_WON
    kinds = {c.name.kind for c in op.follower.confirmed if c.name.game == 1}
    assert TxKind.CHALLENGER_SILENT in kinds
    both = {c.name.game for c in op.follower.confirmed if c.name.kind is TxKind.REVEAL}
    assert both == {1, 2}  # it answered both games
    assert mined(world, "Catch_15/c2")
    assert world.chain.get_output(_payout(world, "Catch_15/c2")) is not None  # paid to challenger 2's key
    assert signatures_match(world, op.follower.confirmed, {"operator": op.journal, "c2": honest.journal})


def _height(world, label: str) -> int:
    name = next(n for n in world.graph.txs if str(n) == label)
    return world.chain.height() - world.chain.confirmations(world.graph.tx(name).txid) + 1


def _payout(world, label: str) -> OutPoint:
    name = next(n for n in world.graph.txs if str(n) == label)
    return OutPoint(world.graph.tx(name).txid, 0)


def test_a_challenger_that_is_not_registered_is_refused(v2_graph, tmp_path):
    stranger = RoleKey(Role.CHALLENGER, "stranger", b"\x07" * 32)
    with pytest.raises(Exception, match="not a registered challenger"):
        GameWatchService(v2_graph, stranger, None, StateDir(tmp_path), WatchOptions())
    assert TxName(TxKind.OPEN, None, None, 1) in v2_graph.txs


@pytest.fixture
def wide(selfcheck):
    """The selfcheck guest under a 256-ary search: rounds 0 and 1 are each revealed in
    three operator moves ("reveal r part p/3"), one-member committee."""
    guest = Guest(selfcheck.elf, selfcheck.tape, selfcheck.trace, nary=256)
    with KernelChain() as chain:
        world, _ = game_world(chain, guest, committee=1)
        yield world, guest


def test_a_round_revealed_in_several_moves_is_answered_part_by_part(wide, tmp_path):
    """n = 256: the operator's service makes every part of a round as a move of its
    own (the challenger waits, its OperatorSilent counted from the last part), and
    the challenger's service catches the lie."""
    world, guest = wide
    layout = world.graph.layout
    parts = {s.index for s in layout.states if " part " in s.label}
    assert len(parts) >= 3
    op = service(world, world.actors.operator, tmp_path / "op")
    ch = service(world, world.challengers[0], tmp_path / "ch")
    op.state.request_claim_v2(guest.tape, "hash", guest.trace.steps // 3)
    drive(world, [op, ch], until=lambda: mined(world, "Reveal_0/c1"))
    ch.step()
    (silent,) = ch._duties()  # the operator's turn again: part 2, its window from part 1
    assert silent.tx == TxName(TxKind.OPERATOR_SILENT, 1, None, 1)
    assert silent.from_height == _height(world, "Reveal_0/c1") + world.params.windows.move - 1
    drive(world, [op, ch])
    assert ch.game_runs[(None, 1)].phase == CHALLENGER_WON and op.claim_runs[None].phase is ClaimPhase.STAKE_TAKEN
    game = [c for c in op.follower.confirmed if c.name.game == 1]
    revealed = {c.name.index for c in game if c.name.kind is TxKind.REVEAL}
    assert parts & revealed == {s for s in parts if s < max(revealed)}  # every part of every round played
    movers = [layout.states[c.name.index].mover for c in game if c.name.index is not None]
    assert any(a is b is Role.OPERATOR for a, b in pairwise(movers))  # the operator moved twice in a row
    assert not records(ch, "cannot") and not records(op, "cannot")
    assert signatures_match(world, op.follower.confirmed, {"operator": op.journal, "c1": ch.journal})
