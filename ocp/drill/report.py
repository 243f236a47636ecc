"""Drill reports: the timeline, balances per role before and after, and the
checks (value conserved, every forbidden move refused, every allowed one
accepted)."""

from __future__ import annotations

from dataclasses import dataclass

from ocp.drill.world import World
from ocp.ids import Role
from taptrees.opcodes import OP_RETURN

ROLES = (Role.DEPOSITOR, Role.OPERATOR, Role.CHALLENGER)
REPORT_FORMAT = "ocp-drill-report/1"


@dataclass(frozen=True)
class Balances:
    before: dict[Role, int]
    after: dict[Role, int]
    locked: int  # in protocol outputs not yet spent (vault, connectors, ...)
    burned: int
    fees: int

    @property
    def conserved(self) -> bool:
        return sum(self.before.values()) == (
            sum(self.after.values()) + self.locked + self.burned + self.fees
        )


def balances(world: World) -> Balances:
    spk_role = {world.actors.spk(r): r for r in ROLES}
    before = dict.fromkeys(ROLES, 0)
    for role, _, amount in world.funded:
        before[role] += amount
    after = dict.fromkeys(ROLES, 0)
    locked = burned = fees = 0
    candidates = [(op, None) for _, op, _ in world.funded]
    for tx in world.broadcast:
        fees += sum(o.value for o in world.spent_by_tx[tx.txid]) - sum(o.value for o in tx.outputs)
        for vout, out in enumerate(tx.outputs):
            if out.script_pubkey[:1] == bytes([OP_RETURN]):
                burned += out.value
            else:
                candidates.append((tx.outpoint(vout), out))
    for outpoint, _ in candidates:
        utxo = world.chain.get_output(outpoint)
        if utxo is None:
            continue
        role = spk_role.get(utxo.txout.script_pubkey)
        if role is None:
            locked += utxo.txout.value
        else:
            after[role] += utxo.txout.value
    return Balances(before, after, locked, burned, fees)


def report_json(name: str, backend: str, world: World) -> dict:
    b = balances(world)
    unexpected = [e for e in world.events if not e.as_expected]
    return {
        "format": REPORT_FORMAT,
        "drill": name,
        "backend": backend,
        "graph_id": world.graph.graph_id.hex(),
        "steps": world.params.computation.n_steps,
        "committee": len(world.params.committee),
        "timeline": [
            {
                "height": e.height,
                "transaction": e.label,
                "who": e.who,
                "result": "accepted" if e.accepted else "refused",
                "expected": "accepted" if e.expected else "refused",
                "reason": e.reason,
                "txid": e.txid,
            }
            for e in world.events
        ],
        "notes": list(world.notes),
        "balances": {
            "before": {r.value: v for r, v in b.before.items()},
            "after": {r.value: v for r, v in b.after.items()},
            "locked_in_protocol": b.locked,
            "burned": b.burned,
            "fees": b.fees,
        },
        "checks": {
            "value_conserved": b.conserved,
            "forbidden_refused": all(e.accepted is False for e in world.events if not e.expected),
            "allowed_accepted": all(e.accepted for e in world.events if e.expected),
        },
        "unexpected": [e.label for e in unexpected],
        "passed": b.conserved and not unexpected,
    }
