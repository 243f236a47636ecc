"""Drill reports: the timeline, balances per party before and after, and the
checks (value conserved, every forbidden move refused for its own reason, every
allowed move accepted)."""

from __future__ import annotations

from dataclasses import dataclass

from ocp.drill.world import World
from ocp.ids import Role
from taptrees.opcodes import OP_RETURN
from taptrees.tree import TaprootOutput

REPORT_FORMAT = "ocp-drill-report/2"


def parties(world: World) -> dict[bytes, str]:
    """scriptPubKey -> the party it pays: the depositor, each operator, the challenger."""
    out = {world.actors.spk(Role.DEPOSITOR): "depositor"}
    several = len(world.actors.operators) > 1
    for k, op in enumerate(world.actors.operators):
        out[TaprootOutput(op.pubkey).script_pubkey] = f"operator {k + 1}" if several else "operator"
    out[world.actors.spk(Role.CHALLENGER)] = "challenger"
    out.update(world.extra_parties)
    return out


@dataclass(frozen=True)
class Balances:
    before: dict[str, int]
    after: dict[str, int]
    locked: int  # in protocol outputs not yet spent (vault, connectors, ...)
    burned: int
    fees: int

    @property
    def conserved(self) -> bool:
        return sum(self.before.values()) == (sum(self.after.values()) + self.locked + self.burned + self.fees)


def balances(world: World) -> Balances:
    who = parties(world)
    before = dict.fromkeys(who.values(), 0)
    for spk, _, amount in world.funded:
        before[who[spk]] += amount
    after = dict.fromkeys(who.values(), 0)
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
        party = who.get(utxo.txout.script_pubkey)
        if party is None:
            locked += utxo.txout.value
        else:
            after[party] += utxo.txout.value
    return Balances(before, after, locked, burned, fees)


def report_json(name: str, backend: str, world: World) -> dict:
    b = balances(world)
    unexpected = [e for e in world.events if not e.as_expected]
    forbidden = [e for e in world.events if not e.expected]
    return {
        "format": REPORT_FORMAT,
        "drill": name,
        "backend": backend,
        "graph_id": world.graph.graph_id.hex(),
        "steps": getattr(world.params.computation, "n_steps", None),
        "committee": len(world.params.committee),
        "committee_form": world.params.committee_form.value,
        "operators": len(world.params.operators),
        "timeline": [
            {
                "height": e.height,
                "transaction": e.label,
                "who": str(e.who),
                "result": "accepted" if e.accepted else "refused",
                "expected": "accepted" if e.expected else "refused",
                "reason": e.reason,
                **({"expected_reason": e.refusal.reason, "rule": e.refusal.why} if e.refusal else {}),
                "txid": e.txid,
            }
            for e in world.events
        ],
        "notes": list(world.notes),
        "balances": {
            "before": b.before,
            "after": b.after,
            "locked_in_protocol": b.locked,
            "burned": b.burned,
            "fees": b.fees,
        },
        "checks": {
            "value_conserved": b.conserved,
            "forbidden_refused": all(not e.accepted for e in forbidden),
            "refused_for_their_reason": all(e.as_expected for e in forbidden),
            "allowed_accepted": all(e.accepted for e in world.events if e.expected),
            **world.checks,
        },
        "unexpected": [e.label for e in unexpected] + [what for what, ok in world.checks.items() if not ok],
        "passed": b.conserved and not unexpected and all(world.checks.values()),
    }
