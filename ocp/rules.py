"""The soundness rules a graph must keep, as findings (issue 11).

The builder refuses params whose graph breaks a rule (:func:`enforce`); the audit
reports every rule on any graph, including one built by someone else.  Each rule
returns :class:`Finding` values: data, never prose to be parsed back.

================  ==================================================================
check             rule
================  ==================================================================
covenant          every leaf of a value-carrying protocol output carries the
                  committee's n-of-n unconditionally (its key chain, or its one
                  MuSig2 aggregate key recomputed from the members), so the value
                  moves only by a pre-signed transaction (ARCHITECTURE.md section
                  4); the one exception is the Deposit's refund (the depositor's
                  own coins, before Confirm)
windows           ``response - challenge`` >= Asserts + margin; ``disprove`` >= minimum
punish fee        every Slash/Disprove is SINGLE|ANYONECANPAY and keeps, after its
                  burn, its fee at the dispute fee rate plus a reward output
challenge fee     the challenge fee covers the honest operator's whole response
                  (every Assert's fee and Take2's extra fee over Take1) twice over
stack             every leaf's largest witness fits the 1,000-item stack with room
                  for what its script pushes; with a key chain this bounds the
                  committee's size, with MuSig2 the committee is one signature
amounts           outputs above dust; no pre-signed transaction pays more than it spends
bond              version 2: the bond covers the honest operator's worst game at the
                  maximum fee rate (:mod:`ocp.game.bond`); below it, refused naming
                  the minimum
reward            version 2: every way a challenger wins pays its registered key its
                  bond back and a reward beyond its own costs at that rate
================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ocp.committee import CommitteeForm
from ocp.errors import UserError
from ocp.fees import fee_for, leaf_spend_weight, punish_weight
from ocp.graph import (
    MAX_STACK_ITEMS,
    P2TR_DUST,
    SIGHASH_SINGLE_ACP,
    STACK_HEADROOM,
    GraphOutput,
    GraphTx,
)
from ocp.ids import OutputRef, Role, TxKind, TxName
from ocp.leaves import GraphLeaf, LeafKind
from ocp.params import MIN_DISPROVE_WINDOW, RESPONSE_MARGIN, Params
from taptrees.opcodes import OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_ENDIF, OP_IF, OP_NOTIF, OP_RETURN
from taptrees.script import iter_ops

#: The challenge fee must cover the honest operator's response this many times
#: (its Asserts may need CPFP at up to twice the graph's fee rate).
CHALLENGE_FEE_FACTOR = 2
PUNISHING = (TxKind.SLASH, TxKind.DISPROVE)


@dataclass(frozen=True)
class Finding:
    ok: bool
    check: str
    subject: str
    message: str


def requires_all(script_raw: bytes, keys: tuple[bytes, ...]) -> bool:
    """Does the script check a signature of every key in ``keys``, in order, as a
    contiguous ``<k> OP_CHECKSIGVERIFY`` chain outside any conditional (the last key
    may use ``OP_CHECKSIG`` only as the script's final op)?  A MuSig2 committee is
    ``keys = (agg,)``: ``<agg> OP_CHECKSIG(VERIFY)``."""
    ops = list(iter_ops(script_raw))
    depth = 0
    for start, op in enumerate(ops):
        if depth == 0 and op.data == keys[0] and _chain_at(ops, start, keys):
            return True
        if op.opcode in (OP_IF, OP_NOTIF):
            depth += 1
        elif op.opcode == OP_ENDIF:
            depth -= 1
    return False


def _chain_at(ops, start: int, keys: tuple[bytes, ...]) -> bool:
    for i, key in enumerate(keys):
        at = start + 2 * i
        if at + 1 >= len(ops) or ops[at].data != key:
            return False
        check = ops[at + 1].opcode
        final = at + 2 == len(ops)
        if not (check == OP_CHECKSIGVERIFY or (check == OP_CHECKSIG and final)):
            return False
    return True


def is_deposit_refund(ref: OutputRef, leaf: GraphLeaf) -> bool:
    return ref == OutputRef(TxName(TxKind.DEPOSIT), 0) and leaf.name.kind is LeafKind.REFUND


def covenant_findings(
    params: Params, txs: Mapping[TxName, GraphTx], outputs: Mapping[OutputRef, GraphOutput]
) -> list[Finding]:
    committee = params.n_of_n
    how = " (one MuSig2 key of every member)" if committee.form is CommitteeForm.MUSIG2 else ""
    out = []
    for ref, gout in outputs.items():
        value = txs[ref.tx].tx.outputs[ref.vout].value
        for leaf in gout.leaves:
            subject = f"{gout.label} ({ref}) {leaf.name}"
            if is_deposit_refund(ref, leaf):
                out.append(
                    Finding(
                        True,
                        "covenant",
                        subject,
                        "the depositor alone, after refund_timeout: its own coins before Confirm",
                    )
                )
            elif value <= P2TR_DUST:
                out.append(Finding(True, "covenant", subject, f"data output ({value} sat): may be spent by its mover"))
            elif requires_all(gout.tapleaf(leaf.name).script.raw, committee.keys):
                out.append(Finding(True, "covenant", subject, f"moves only with the committee's n-of-n{how}"))
            else:
                who = " + ".join(r.value for r in leaf.signers) or "anyone"
                out.append(
                    Finding(
                        False,
                        "covenant",
                        subject,
                        f"{value} sat spendable without the committee ({who}): the value can go anywhere",
                    )
                )
    return out


def window_findings(params: Params, n_asserts: int) -> list[Finding]:
    w = params.windows
    need = n_asserts + RESPONSE_MARGIN
    gap = w.response - w.challenge
    return [
        Finding(
            gap >= need,
            "windows",
            "response_window - challenge_window",
            f"{gap} blocks (minimum {need}: {n_asserts} Assert(s) to mine + a margin of {RESPONSE_MARGIN})",
        ),
        Finding(
            w.disprove >= MIN_DISPROVE_WINDOW,
            "windows",
            "disprove_window",
            f"{w.disprove} blocks (minimum {MIN_DISPROVE_WINDOW})",
        ),
    ]


def punish_fee_findings(
    params: Params, txs: Mapping[TxName, GraphTx], outputs: Mapping[OutputRef, GraphOutput]
) -> list[Finding]:
    out = []
    for name, gtx in txs.items():
        if name.kind not in PUNISHING:
            continue
        spend = gtx.spends[0]
        acp = spend.hash_type == SIGHASH_SINGLE_ACP
        out.append(
            Finding(
                acp,
                "punish fee",
                str(name),
                "SINGLE|ANYONECANPAY: the challenger may add fee inputs"
                if acp
                else f"hash type {spend.hash_type:#x}: nobody can add a fee input",
            )
        )
        gout = outputs[spend.source]
        weight = punish_weight(gtx, leaf_spend_weight(gout, spend.leaf))
        fee = fee_for(weight, params.punish_fee_rate)
        left = gtx.spent[0].value - gtx.tx.outputs[0].value
        out.append(
            Finding(
                left >= fee + P2TR_DUST,
                "punish fee",
                str(name),
                f"{left} sat after the burn for a {fee} sat fee ({weight} WU at "
                f"{params.punish_fee_rate} sat/vB) and a reward",
            )
        )
    return out


def response_cost(txs: Mapping[TxName, GraphTx], operator: int | None) -> int:
    """What answering a challenge costs an honest operator: every Assert's fee and
    Take2's fee beyond Take1's."""

    def fee(gtx: GraphTx) -> int:
        return sum(o.value for o in gtx.spent) - sum(o.value for o in gtx.tx.outputs)

    asserts = sum(fee(g) for n, g in txs.items() if n.kind is TxKind.ASSERT and n.operator == operator)
    take1 = txs[TxName(TxKind.TAKE1, None, operator)]
    take2 = txs[TxName(TxKind.TAKE2, None, operator)]
    return asserts + max(0, fee(take2) - fee(take1))


def challenge_fee_findings(params: Params, txs: Mapping[TxName, GraphTx]) -> list[Finding]:
    out = []
    for name, gtx in txs.items():
        if name.kind is not TxKind.CHALLENGE:
            continue
        minimum = CHALLENGE_FEE_FACTOR * response_cost(txs, name.operator)
        paid = gtx.tx.outputs[0].value
        out.append(
            Finding(
                paid >= minimum,
                "challenge fee",
                str(name),
                f"{paid} sat to the operator (minimum {minimum}: {CHALLENGE_FEE_FACTOR} x the "
                "honest response's Assert fees and Take2's extra fee)",
            )
        )
    return out


def stack_findings(params: Params, outputs: Mapping[OutputRef, GraphOutput]) -> list[Finding]:
    """Every leaf's largest witness stack, with room for its script's own pushes."""
    worst: tuple[int, GraphOutput, GraphLeaf] | None = None
    for gout in outputs.values():
        for leaf in gout.leaves:
            items = len(leaf.max_stack_sizes())
            if worst is None or items > worst[0]:
                worst = (items, gout, leaf)
    if worst is None:
        return []
    items, gout, leaf = worst
    limit = MAX_STACK_ITEMS - STACK_HEADROOM
    message = f"largest witness {items} items (limit {limit} with {STACK_HEADROOM} of room); "
    if params.committee_form is CommitteeForm.MUSIG2:
        message += f"the committee ({len(params.committee)} members) signs as one MuSig2 key: one item"
    else:
        others = items - sum(1 for r, _ in leaf.signing_keys if r is Role.COMMITTEE)
        message += f"keys.committee may have at most {limit - others} members"
    return [Finding(items <= limit, "stack", f"{gout.label} {leaf.name}", message)]


def amount_findings(txs: Mapping[TxName, GraphTx]) -> list[Finding]:
    out = []
    for name, gtx in txs.items():
        for vout, o in enumerate(gtx.tx.outputs):
            if o.script_pubkey[:1] != bytes([OP_RETURN]) and o.value < P2TR_DUST:
                out.append(Finding(False, "amounts", f"{name}:{vout}", f"{o.value} sat is below dust"))
        if not gtx.template and sum(o.value for o in gtx.spent) < sum(o.value for o in gtx.tx.outputs):
            out.append(Finding(False, "amounts", str(name), "pays more than it spends"))
    return out


def game_window_findings(params: Params) -> list[Finding]:
    """Version 2: every move of a game has at least :data:`MIN_MOVE_WINDOW` blocks."""
    from ocp.params import MIN_MOVE_WINDOW

    w = params.windows
    return [
        Finding(w.move >= MIN_MOVE_WINDOW, "windows", "move_window", f"{w.move} blocks (minimum {MIN_MOVE_WINDOW})")
    ]


def bond_findings(
    params: Params, txs: Mapping[TxName, GraphTx], outputs: Mapping[OutputRef, GraphOutput]
) -> list[Finding]:
    """Version 2 (:mod:`ocp.game.bond`): per game, the bond covers the honest
    operator's worst case (every token at least dust, and the operator not out of
    pocket at the maximum fee rate, ``amounts.dispute_fee_rate``), and every way the
    challenger wins pays its registered key its bond back and a reward beyond its
    own costs at that rate."""
    from ocp.game.bond import game_costs
    from taptrees.tree import TaprootOutput

    out = []
    for cost in game_costs(params, txs, outputs):
        minimum, bond, rate = cost.minimum_bond, params.bond, cost.max_fee_rate
        worst = cost.worst_operator_path
        why = (
            f"the honest operator's worst game, {worst.moves} moves after the Open ({worst.vbytes} vB, "
            f"{worst.party_vbytes(Role.OPERATOR)} vB its own), paid at the {params.fee_rate} sat/vB floor "
            f"from the bond and bumped to {rate} sat/vB (amounts.dispute_fee_rate), with dust left"
        )
        subject = f"amounts.bond ({cost.label})"
        if bond >= minimum:
            out.append(Finding(True, "bond", subject, f"{bond} sat (minimum {minimum}: {why})"))
        else:
            out.append(Finding(False, "bond", subject, f"{bond} sat is below the minimum {minimum} sat ({why})"))
        key = params.challengers[(cost.open.game or 1) - 1]
        owner = TaprootOutput(key).script_pubkey
        stray = [
            str(p.end.name)
            for p in cost.paths
            if p.winner is Role.CHALLENGER and txs[p.end.name].tx.outputs[0].script_pubkey != owner
        ]
        least = cost.smallest_reward(bond)
        if stray:
            out.append(Finding(False, "reward", subject, f"{stray[0]} does not pay the challenger's registered key"))
        elif least is not None:
            path, reward = least
            paid = path.end.token_out
            text = (
                f"a winning challenger is paid at least {paid} sat at its registered key ({path.end.name}): "
                f"its {bond} sat bond and, after its own costs at {rate} sat/vB, a reward of {reward} sat"
            )
            if reward <= 0:
                text += "; raise amounts.operator_stake (half of it is the reward, half is burned)"
            out.append(Finding(reward > 0, "reward", subject, text))
    return out


def graph_rules(
    params: Params, txs: Mapping[TxName, GraphTx], outputs: Mapping[OutputRef, GraphOutput], n_asserts: int
) -> list[Finding]:
    if params.games:
        return [
            *bond_findings(params, txs, outputs),
            *amount_findings(txs),
            *stack_findings(params, outputs),
            *game_window_findings(params),
            *covenant_findings(params, txs, outputs),
        ]
    return [
        *amount_findings(txs),
        *stack_findings(params, outputs),
        *window_findings(params, n_asserts),
        *covenant_findings(params, txs, outputs),
        *punish_fee_findings(params, txs, outputs),
        *challenge_fee_findings(params, txs),
    ]


def enforce(findings: list[Finding]) -> None:
    """Refuse the first broken rule, naming it (what the builder does)."""
    for f in findings:
        if not f.ok:
            raise UserError(f"{f.check}: {f.subject}: {f.message}")
