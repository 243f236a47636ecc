"""What the picture of a graph shows, before any drawing syntax (:mod:`ocp.draw.dot`
writes it as DOT).

* a **box** per transaction, or per numbered family of one operator (``Assert_j``,
  ``Slash_j``, ``Disprove_i``; in a version-2 graph, of one game: ``Reveal_r``,
  ``Choose_r``, ``OperatorSilent_s``...) collapsed into one box unless ``full``: its name,
  who broadcasts it, its purpose, and its payments, anchors and burns as small
  lines;
* an **output** node per protocol output (D, V, P, C, S_j, A), grouped like the
  boxes that create them (``S1..S11``);
* a **coin** per role's own funding coin (spent by key path);
* a **spend** edge per (output, spending box, leaf kind, timelock, signers,
  status): the leaf, the relative timelock the spending input's nSequence sets
  (BIP68), who signs, and the inputs' signature status (:mod:`ocp.draw.status`);
  a game's data output is spent by whichever of its leaves the mover picks ("any
  of N leaves"), and its node's tooltip counts its leaves by kind;
* **clusters**: the deposit's part, shared by every operator (Deposit, Confirm,
  Refund, D, V), and one per operator;
* with a drill overlay (:mod:`ocp.draw.overlay`): each box's moves in timeline
  order, accepted or refused, and the spends the accepted moves made.

Every name is rendered from the typed graph (:class:`ocp.ids.TxName`,
:class:`ocp.leaves.LeafName`), never parsed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ocp.draw.overlay import DrillEvent, DrillOverlay
from ocp.draw.status import InputKey, InputStatus
from ocp.gamefile import leaf_kinds
from ocp.graph import ANCHOR_AMOUNT, Graph, GraphTx
from ocp.ids import SHARED_KINDS, FundingRef, OutputRef, Role, TxKind, TxName
from ocp.leaves import LeafKind, LeafName, Signer
from taptrees.opcodes import OP_RETURN
from taptrees.tree import TaprootOutput
from taptrees.tx import SEQUENCE_LOCKTIME_DISABLE_FLAG, TxOut

#: BIP68: the relative lock counts 512-second units instead of blocks.
SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22
SEQUENCE_LOCKTIME_MASK = 0xFFFF

#: A cluster: None for the deposit's part shared by every operator, else the
#: operator's number (1 when the deposit has one operator).
Cluster = int | None


@dataclass(frozen=True)
class Box:
    """One transaction, or a collapsed family of them."""

    id: str
    names: tuple[TxName, ...]
    label: str
    role: Role  # who broadcasts it
    purpose: str
    template: bool  # completed by a challenger
    cluster: Cluster
    outputs: tuple[str, ...]  # payments, anchors, burns, change: one short line each
    tooltip: str
    events: tuple[DrillEvent, ...] = ()


@dataclass(frozen=True)
class OutputNode:
    """A protocol output, or the outputs of a collapsed family that have the same leaves."""

    id: str
    refs: tuple[OutputRef, ...]
    label: str
    amount: str
    cluster: Cluster
    tooltip: str


@dataclass(frozen=True)
class Coin:
    """A role's own funding coin, spent by key path."""

    id: str
    ref: FundingRef
    label: str
    amount: str
    cluster: Cluster


@dataclass(frozen=True)
class Spend:
    """Inputs of one box that spend one node the same way."""

    source: str  # an OutputNode's or a Coin's id
    target: str  # a Box's id
    inputs: tuple[InputKey, ...]
    leaf: str  # "payout", "disprove0..511", "key path"
    lock: str  # "after 144 blocks", or ""
    signers: str  # "committee 3-of-3 + operator"
    status: InputStatus
    tooltip: str
    accepted: tuple[int, ...] = ()  # timeline order of the accepted moves that made these spends


@dataclass(frozen=True)
class Creation:
    """A box creates an output node."""

    source: str
    target: str


@dataclass(frozen=True)
class Picture:
    title: str
    subtitle: str
    clusters: tuple[tuple[Cluster, str], ...]  # (cluster, its label), in drawing order
    boxes: tuple[Box, ...]
    outputs: tuple[OutputNode, ...]
    coins: tuple[Coin, ...]
    spends: tuple[Spend, ...]
    creations: tuple[Creation, ...]
    statuses: Mapping[InputStatus, int]  # inputs per status
    overlay: DrillOverlay | None
    full: bool
    #: drawn --full: each numbered family's boxes in index order, to be stacked in
    #: rows (512 Disproves side by side would be a picture 100 boxes wide)
    stacks: tuple[tuple[str, ...], ...] = ()

    @property
    def collapsed(self) -> dict[str, int]:
        """Family label -> number of transactions drawn as that one box."""
        return {b.label: len(b.names) for b in self.boxes if len(b.names) > 1}


# --- naming -------------------------------------------------------------------------------


def sats(value: int) -> str:
    return f"{value:,} sat"


def sat_range(values: Sequence[int]) -> str:
    lo, hi = min(values), max(values)
    return sats(lo) if lo == hi else f"{lo:,}..{hi:,} sat"


def family_label(names: Sequence[TxName]) -> str:
    """``Disprove_0..511@2 (512)`` for a numbered family, ``Reveal_0..14/c1 (8)`` for one
    of a game, ``Kickoff@2`` for one transaction (rendered from the names' fields, as
    :class:`TxName` renders one)."""
    if len(names) == 1:
        return str(names[0])
    first, last = names[0], names[-1]
    operator = "" if first.operator is None else f"@{first.operator}"
    game = "" if first.game is None else f"/c{first.game}"
    return f"{first.kind.value}_{first.index}..{last.index}{operator}{game} ({len(names)})"


def leaves_label(names: Sequence[LeafName]) -> str:
    """``payout``, or ``disprove0..511`` for the leaves of a collapsed family."""
    distinct = list(dict.fromkeys(names))
    if len(distinct) == 1:
        return str(distinct[0])
    indices = [n.index for n in distinct]
    if all(i is not None for i in indices):
        return f"{LeafName(distinct[0].kind, min(indices))}..{max(indices)}"
    return " / ".join(str(n) for n in distinct)


def signers_label(signers: Sequence[Signer]) -> str:
    """``committee 3-of-3 + operator``: each role that signs, in first-seen order."""
    counts: dict[Role, int] = {}
    for role, _ in signers:
        counts[role] = counts.get(role, 0) + 1
    return " + ".join(f"{role} {n}-of-{n}" if role is Role.COMMITTEE else str(role) for role, n in counts.items())


def relative_lock(gtx: GraphTx, index: int) -> str:
    """The relative timelock input ``index``'s nSequence sets (BIP68; version 2
    transactions), or "" when none."""
    sequence = gtx.tx.inputs[index].sequence
    if gtx.tx.version < 2 or sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
        return ""
    value = sequence & SEQUENCE_LOCKTIME_MASK
    if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG:
        return f"after {value * 512:,} s"
    if value == 0:
        return ""
    return f"after {value} block" + ("" if value == 1 else "s")


def parties(graph: Graph) -> dict[bytes, str]:
    """scriptPubKey of each role's own key -> the role (``operator 2`` with several)."""
    params = graph.params
    out = {TaprootOutput(params.depositor).script_pubkey: "depositor"}
    several = len(params.operators) > 1
    for k, key in enumerate(params.operators, start=1):
        out[TaprootOutput(key).script_pubkey] = f"operator {k}" if several else "operator"
    for k, key in enumerate(params.challengers, start=1):
        out[TaprootOutput(key).script_pubkey] = f"challenger {k}"
    return out


def output_line(txout: TxOut, payees: Mapping[bytes, str]) -> str:
    """What a payment, anchor, burn or data output is, without its amount."""
    spk = txout.script_pubkey
    if spk[:1] == bytes([OP_RETURN]):
        return "burn (OP_RETURN)" if txout.value else "OP_RETURN data"
    payee = payees.get(spk)
    if payee is None:
        return "→ another script"
    return f"anchor → {payee}" if txout.value == ANCHOR_AMOUNT else f"→ {payee}"


# --- the picture ----------------------------------------------------------------------------


def _cluster_of_tx(name: TxName) -> Cluster:
    return None if name.kind in SHARED_KINDS else (name.operator or 1)


FamilyKey = tuple[TxKind, int | None, int | None]


def _families(graph: Graph, full: bool) -> list[tuple[TxName, ...]]:
    """The graph's transactions as the boxes draw them, in graph order: a numbered
    family of one operator (and one game) is one box unless ``full``."""
    members: dict[FamilyKey, list[TxName]] = {}
    for name in graph.txs:
        if name.index is not None and not full:
            members.setdefault((name.kind, name.operator, name.game), []).append(name)
    out: list[tuple[TxName, ...]] = []
    seen: set[FamilyKey] = set()
    for name in graph.txs:
        key = (name.kind, name.operator, name.game)
        if name.index is None or full:
            out.append((name,))
        elif key not in seen:
            seen.add(key)
            out.append(tuple(sorted(members[key], key=lambda n: n.index or 0)))
    return out


def _box(graph: Graph, names: tuple[TxName, ...], payees: Mapping[bytes, str], events: tuple[DrillEvent, ...]) -> Box:
    first = graph.tx(names[0])
    lines = []
    members = set(names)
    protocol = {ref.vout for ref in graph.outputs if ref.tx in members}
    for vout, txout in enumerate(first.tx.outputs):
        if vout in protocol:
            continue
        values = [graph.tx(n).tx.outputs[vout].value for n in names if vout < len(graph.tx(n).tx.outputs)]
        line = output_line(txout, payees)
        lines.append(f"{line} {sat_range(values)}" if any(values) else line)
    if first.template:
        lines.append("+ a challenger's inputs and outputs")
    if len(names) == 1:
        fee = sum(o.value for o in first.spent) - sum(o.value for o in first.tx.outputs)
        tip = [
            f"{names[0]}: {first.purpose}",
            f"broadcast by the {first.role}",
            f"txid {first.txid}",
            f"vsize {first.tx.vsize} vB unsigned, fee {fee:,} sat",
        ]
    else:
        last = graph.tx(names[-1])
        tip = [
            f"{len(names)} transactions, one per index, each broadcast by the {first.role}",
            f"{names[0]}: {first.purpose}",
            f"{names[-1]}: {last.purpose}",
        ]
    return Box(
        id=f"tx {family_label(names)}",
        names=names,
        label=family_label(names),
        role=first.role,
        purpose=first.purpose if len(names) == 1 else f"{names[0]}: {first.purpose}",
        template=first.template,
        cluster=_cluster_of_tx(names[0]),
        outputs=tuple(lines),
        tooltip="\n".join(tip),
        events=events,
    )


def _output_node(graph: Graph, refs: list[OutputRef], cluster: Cluster) -> OutputNode:
    outs = [graph.output(ref) for ref in refs]
    labels = [o.label for o in outs]
    label = labels[0] if len(labels) == 1 else f"{labels[0]}..{labels[-1]} ({len(labels)})"
    values = [graph.tx(ref.tx).tx.outputs[ref.vout].value for ref in refs]
    kinds: dict[LeafKind, list] = {}
    for leaf in outs[0].leaves:
        kinds.setdefault(leaf.name.kind, []).append(leaf)
    tip = [f"{label}: {sat_range(values)}, created by {refs[0]}" + (f"..{refs[-1]}" if len(refs) > 1 else "")]
    checks = kinds.pop(LeafKind.CHECK, [])
    if checks:  # a game's data output: its check leaves counted by kind (thousands in a catch state)
        counts = leaf_kinds(leaf for out in outs for leaf in out.leaves if leaf.name.kind is LeafKind.CHECK)
        each = "" if len(outs) == 1 else f" in {len(outs)} outputs"
        tip.append(
            f"{sum(counts.values())} check leaves{each}, the mover's: "
            + ", ".join(f"{kind} {n}" for kind, n in counts.items())
        )
    for leaves in kinds.values():
        names = leaves_label([leaf.name for leaf in leaves])
        more = f" ({len(leaves)} leaves)" if len(leaves) > 1 else ""
        tip.append(f"{names}{more}: {leaves[0].purpose}")
    return OutputNode(f"out {refs[0]}", tuple(refs), label, sat_range(values), cluster, "\n".join(tip))


def _coin_label(ref: FundingRef, several: bool) -> str:
    if ref.role is Role.CHALLENGER:
        against = "" if ref.against is None else f" (operator {ref.against})"
        return f"challenger {ref.operator}'s bond coin{against}"
    if ref.operator is not None and several:
        return f"operator {ref.operator}'s coin"
    return f"{ref.role}'s coin"


def build_picture(
    graph: Graph,
    statuses: Mapping[InputKey, InputStatus],
    overlay: DrillOverlay | None = None,
    full: bool = False,
) -> Picture:
    """The picture of ``graph`` with each input's status (:func:`ocp.draw.status.input_statuses`)
    and, if given, a drill's timeline."""
    params = graph.params
    several = len(params.operators) > 1
    payees = parties(graph)
    events = overlay.events if overlay else ()

    families = _families(graph, full)
    box_of: dict[TxName, str] = {}
    boxes = []
    for names in families:
        members = set(names)
        mine = tuple(e for e in events if e.tx in members)
        box = _box(graph, names, payees, mine)
        boxes.append(box)
        for name in names:
            box_of[name] = box.id

    # output nodes: grouped by the box that creates them, the vout and the leaf kinds
    groups: dict[tuple[str, int, tuple[LeafKind, ...]], list[OutputRef]] = {}
    for ref, out in graph.outputs.items():
        kinds = tuple(sorted({leaf.name.kind for leaf in out.leaves}))
        groups.setdefault((box_of[ref.tx], ref.vout, kinds), []).append(ref)
    node_of: dict[OutputRef, str] = {}
    outputs = []
    creations = []
    for (box_id, _, _), refs in groups.items():
        node = _output_node(graph, refs, _cluster_of_tx(refs[0].tx))
        outputs.append(node)
        creations.append(Creation(box_id, node.id))
        for ref in refs:
            node_of[ref] = node.id

    accepted_by: dict[TxName, list[int]] = {}
    for e in events:
        if e.accepted and e.tx is not None:
            accepted_by.setdefault(e.tx, []).append(e.order)

    coins: dict[FundingRef, Coin] = {}
    edges: dict[tuple, dict] = {}
    counts = dict.fromkeys(InputStatus, 0)
    for name, gtx in graph.txs.items():
        for index, spend in enumerate(gtx.spends):
            status = statuses[(name, index)]
            counts[status] += 1
            if isinstance(spend.source, FundingRef):
                ref = spend.source
                if ref not in coins:
                    cluster = None if ref.role is Role.DEPOSITOR else (ref.operator or 1)
                    if ref.role is Role.CHALLENGER:  # beside the game it opens
                        cluster = _cluster_of_tx(name)
                    coins[ref] = Coin(
                        f"coin {ref}", ref, _coin_label(ref, several), sats(gtx.spent[index].value), cluster
                    )
                source = coins[ref].id
            else:
                source = node_of[spend.source]
            lock = relative_lock(gtx, index)
            signers = signers_label(spend.signers)
            kind = None if spend.leaf is None else spend.leaf.kind
            key = (source, box_of[name], kind, lock, signers, status, spend.any_leaf)
            edge = edges.setdefault(key, {"inputs": [], "leaves": [], "purpose": "", "accepted": [], "any": 0})
            edge["inputs"].append((name, index))
            edge["accepted"] += accepted_by.get(name, [])
            if spend.any_leaf:  # a game's data output: the mover picks the leaf when it moves
                edge["any"] = max(edge["any"], len(graph.output(spend.source).leaves))  # type: ignore[arg-type]
                edge["purpose"] = "the mover spends the leaf its move needs (signed when it moves)"
            elif spend.leaf is not None:
                edge["leaves"].append(spend.leaf)
                if not edge["purpose"]:
                    edge["purpose"] = graph.spend_leaf(spend)[1].purpose
            elif not edge["purpose"]:
                edge["purpose"] = f"key-path spend of the {spend.source.role}'s own coin"
    spends = []
    for (source, target, _, lock, signers, status, _), e in edges.items():
        leaf = leaves_label(e["leaves"]) if e["leaves"] else "key path"
        if e["any"]:
            leaf = f"any of {e['any']} leaves" if e["any"] > 1 else "its leaf"
        inputs = tuple(e["inputs"])
        where = f"{inputs[0][0]} input {inputs[0][1]}" + (f" and {len(inputs) - 1} more" if len(inputs) > 1 else "")
        tip = f"{leaf}: {e['purpose']}\n{where}\nsignatures: {status} ({status.meaning})"
        spends.append(
            Spend(source, target, inputs, leaf, lock, signers, status, tip, tuple(sorted(set(e["accepted"]))))
        )

    stacks = []
    if full:
        numbered: dict[FamilyKey, list[str]] = {}
        for name in graph.txs:
            if name.index is not None:
                numbered.setdefault((name.kind, name.operator, name.game), []).append(box_of[name])
        stacks = [tuple(ids) for ids in numbered.values() if len(ids) > 1]

    operators = range(1, len(params.operators) + 1)
    clusters: list[tuple[Cluster, str]] = [(None, "deposit, shared by every operator" if several else "deposit")]
    clusters += [(k, f"operator {k}" if several else "operator") for k in operators]
    n = len(params.committee)
    if graph.game_keys is not None:
        comp = params.computation
        m = len(params.challengers)
        subtitle = (
            f"zkVM program {Path(comp.program).name} (digest {comp.digest.hex()[:16]}...), "  # type: ignore[attr-defined]
            f"search over 2^{comp.search.log_steps} steps, {comp.search.n}-ary, "  # type: ignore[attr-defined]
            f"committee {n}-of-{n}, {len(params.operators)} operator{'s' if several else ''}, "
            f"{m} challenger{'s' if m != 1 else ''} (a game each), {len(graph.txs)} transactions"
        )
    else:
        subtitle = (
            f"{params.computation.n_steps} steps, committee {n}-of-{n}, {len(params.operators)} "
            f"operator{'s' if several else ''}, {graph.n_chunks} Assert{'s' if graph.n_chunks != 1 else ''}"
            f"{' each' if several else ''}, {len(graph.txs)} transactions"
        )
    if overlay is not None:
        subtitle += f"; drill {overlay.drill}: {len(events)} moves"
    return Picture(
        title=f"OCP graph {graph.graph_id.hex()}",
        subtitle=subtitle,
        clusters=tuple(clusters),
        boxes=tuple(boxes),
        outputs=tuple(outputs),
        coins=tuple(coins.values()),
        spends=tuple(spends),
        creations=tuple(creations),
        statuses=counts,
        overlay=overlay,
        full=full,
        stacks=tuple(stacks),
    )
