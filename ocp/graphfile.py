"""``graph.json``: the graph as users, auditors and signers see it.

The file holds the params, each operator's Winternitz public keys, every
transaction (hex, PSBT, role, purpose, fee, what each input spends and by which
leaf, each output's leaves with ASM, size and purpose), the committee (its
form and, for MuSig2, the aggregate key and how it is formed) and the signatures
collected so far.  Loading *rebuilds* the graph from the params and keys, adds
the file's signatures, writes the whole file again in memory and refuses any
difference, naming the first field that differs: a tampered transaction, PSBT,
amount, fee, txid, script or graph id cannot slip through a ceremony.  What
loading cannot catch -- one-time keys swapped for someone else's -- the graph
id shows (it commits to them) and the operator's own check refuses
(:func:`ocp.otsfile.check_own_ots`).

A version-2 graph (a zkVM program disputed by games) has its own, smaller file:
:mod:`ocp.gamefile` (format ``ocp-graph-v2/1``); the functions here dispatch to it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ocp.builder import build_graph
from ocp.errors import UserError
from ocp.fileio import read_json, write_json
from ocp.graph import GRAPH_FORMAT, Graph, GraphOutput
from ocp.ids import OutputRef, TxName
from ocp.ots import ValueKeys
from ocp.params import parse_params
from taptrees.descriptors import tr_descriptor, with_checksum
from taptrees.errors import InputError
from taptrees.psbt import add_tap_key_sig, add_tap_script_sig, encode_psbt, psbt_for


def output_descriptor(out: GraphOutput, network: str) -> str:
    """A descriptor Bitcoin Core can watch the output with: ``tr(H,{...})`` (BIP386)
    when every leaf is miniscript, else ``addr(<address>)`` (BIP385: the output is
    still watched, its leaves are in the file, not in the descriptor)."""
    by_name = {str(leaf.name): leaf for leaf in out.leaves}
    full = tr_descriptor(out.output, lambda tap: by_name[tap.name].miniscript)
    return full if full is not None else with_checksum(f"addr({out.output.address(network)})")


def graph_psbt(graph: Graph, name: TxName) -> str:
    """BIP174/371 PSBT (base64) of one graph transaction: witness UTXOs, the leaf each
    input spends with its control block, and every valid pre-signature collected so
    far (a PSBT carries no signature that does not verify)."""
    g = graph.tx(name)
    leaves = []
    for spend in g.spends:
        if spend.leaf is None or spend.any_leaf:  # a game's data output: its leaf is picked at play time
            leaves.append(None)
            continue
        out, _ = graph.spend_leaf(spend)
        tap = out.tapleaf(spend.leaf)
        leaves.append((out.control_block(spend.leaf), tap.script.raw, tap.version))
    psbt = psbt_for(g.tx, g.spent, leaves)
    for index, spend in enumerate(g.spends):
        if spend.hash_type:  # BIP174 PSBT_IN_SIGHASH_TYPE: Core's finalizer checks signatures against it
            inputs = list(psbt.inputs)
            inputs[index] = replace(inputs[index], sighash_type=spend.hash_type)
            psbt = replace(psbt, inputs=tuple(inputs))
    for index, sigs in sorted(graph.signatures.get(name, {}).items()):
        spend = g.spends[index]
        if spend.any_leaf:
            continue
        if spend.leaf is None:  # a role's own coin, spent by key path (BIP86)
            for pubkey, sig in sigs.items():
                try:
                    psbt = add_tap_key_sig(psbt, index, pubkey, sig)
                except InputError:
                    continue
            continue
        out, _ = graph.spend_leaf(spend)
        leaf_hash = out.tapleaf(spend.leaf).hash
        for pubkey, sig in sorted(sigs.items()):
            try:
                psbt = add_tap_script_sig(psbt, index, pubkey, leaf_hash, sig)
            except InputError:
                continue  # an invalid signature stays in "signatures", where verify names it
    return encode_psbt(psbt)


def graph_to_json(graph: Graph, with_asm: bool = True) -> dict:
    """The graph file's content (a version-2 graph's: :func:`ocp.gamefile.games_graph_to_json`,
    which never lists leaf scripts)."""
    if graph.game_keys is not None:
        from ocp.gamefile import games_graph_to_json

        return games_graph_to_json(graph)
    txs = []
    for name, g in graph.txs.items():
        inputs = []
        for i, (txin, spend, spent) in enumerate(zip(g.tx.inputs, g.spends, g.spent, strict=True)):
            inputs.append(
                {
                    "index": i,
                    "outpoint": str(txin.prevout),
                    "spends": str(spend.source),
                    "amount": spent.value,
                    "leaf": None if spend.leaf is None else str(spend.leaf),
                    "sequence": txin.sequence,
                    "signers": [{"role": r.value, "key": k.hex()} for r, k in spend.signers],
                    "hash_type": spend.hash_type,
                    "presigned": spend.presigned,
                }
            )
        outputs = []
        for vout, out in enumerate(g.tx.outputs):
            entry: dict = {"vout": vout, "value": out.value, "script_pubkey": out.script_pubkey.hex()}
            gout = graph.outputs.get(OutputRef(name, vout))
            if gout is not None:
                entry["label"] = gout.label
                entry["address"] = gout.output.address(graph.params.network)
                entry["descriptor"] = output_descriptor(gout, graph.params.network)
                entry["leaves"] = [
                    {
                        "name": str(leaf.name),
                        "purpose": leaf.purpose,
                        "miniscript": leaf.miniscript,
                        "signers": [r.value for r in leaf.signers],
                        "size": leaf.script.size,
                        "depth": gout.output.tree.depth_of(k),
                        **({"asm": leaf.script.asm()} if with_asm else {}),
                    }
                    for k, leaf in enumerate(gout.leaves)
                ]
            outputs.append(entry)
        txs.append(
            {
                "name": str(name),
                "role": g.role.value,
                "purpose": g.purpose,
                "template": g.template,
                "txid": g.txid,
                "hex": g.tx.hex(),
                "psbt": graph_psbt(graph, name),
                "fee": sum(o.value for o in g.spent) - sum(o.value for o in g.tx.outputs),
                "inputs": inputs,
                "outputs": outputs,
            }
        )
    return {
        "format": GRAPH_FORMAT,
        "graph_id": graph.graph_id.hex(),
        "params": graph.params.to_json(),
        "committee": graph.params.n_of_n.to_json(),
        "ots": [keys.to_json() for keys in graph.ots],
        "chunks": [list(c) for c in graph.chunks],
        "transactions": txs,
        "signatures": signatures_to_json(graph),
    }


def save_graph(graph: Graph, path: str | Path) -> None:
    write_json(path, graph_to_json(graph))


def graph_from_json(
    obj: object, source: str = "graph", program: str | Path | None = None, beside: str | Path | None = None
) -> Graph:
    """Rebuild the graph a file describes and refuse any difference.  For a version-2
    graph, ``program`` is where its ELF is when not at the params' path (nor in the
    folder ``beside``)."""
    from ocp.gamefile import GAMES_FORMAT, games_graph_from_json

    if not isinstance(obj, dict):
        raise UserError(f"{source}: not a graph file (a JSON object is expected)")
    if obj.get("format") == GAMES_FORMAT:
        return games_graph_from_json(obj, source, program, beside)
    if program is not None:
        raise UserError(f"{source}: --program is for a version-2 (zkVM) graph; this is a version-1 graph")
    if obj.get("format") != GRAPH_FORMAT:
        raise UserError(f"{source}: format {obj.get('format')!r} is not {GRAPH_FORMAT!r} or {GAMES_FORMAT!r}")
    if not isinstance(obj.get("params"), dict):
        raise UserError(f"{source}: 'params' is missing")
    params = parse_params(obj["params"])
    ots = obj.get("ots")
    if not isinstance(ots, list) or len(ots) != len(params.operators):
        raise UserError(f"{source}: 'ots' must list one set of one-time keys per operator")
    graph = build_graph(params, [ValueKeys.from_json(keys) for keys in ots])
    graph = replace(graph, signatures=parse_signatures(graph, obj.get("signatures", {}), source))
    difference = _first_difference(graph_to_json(graph, with_asm=_has_asm(obj)), obj, "")
    if difference is not None:
        raise UserError(
            f"{source}: {difference} differs from the graph its params, one-time keys and "
            "signatures build (tampered or corrupted?)"
        )
    return graph


def _has_asm(obj: dict) -> bool:
    """Whether the file lists leaf scripts as ASM (``graph_to_json(with_asm=...)``)."""
    txs = obj.get("transactions")
    for tx in txs if isinstance(txs, list) else []:
        outs = tx.get("outputs") if isinstance(tx, dict) else None
        for out in outs if isinstance(outs, list) else []:
            leaves = out.get("leaves") if isinstance(out, dict) else None
            for leaf in leaves if isinstance(leaves, list) else []:
                return isinstance(leaf, dict) and "asm" in leaf
    return True


def signatures_to_json(graph: Graph) -> dict:
    """The ``signatures`` object of graph.json: tx -> input -> x-only key -> signature."""
    return {
        str(tx): {str(i): {pk.hex(): sig.hex() for pk, sig in s.items()} for i, s in per.items()}
        for tx, per in graph.signatures.items()
    }


def parse_signatures(graph: Graph, sigs: object, source: str) -> dict[TxName, dict[int, dict[bytes, bytes]]]:
    """Read a ``signatures`` object for ``graph`` (well-formed; whether each verifies
    is :func:`ocp.signing.outstanding_signatures`' question)."""
    if not isinstance(sigs, dict):
        raise UserError(f"{source}: 'signatures' must be an object")
    by_label = {str(name): name for name in graph.txs}
    parsed: dict[TxName, dict[int, dict[bytes, bytes]]] = {}
    for label, per in sigs.items():
        name = by_label.get(label)
        if name is None:
            raise UserError(f"{source}: signature for unknown transaction {label!r}")
        if not isinstance(per, dict):
            raise UserError(f"{source}: signatures of {label} must be an object")
        n_inputs = len(graph.txs[name].spends)
        for idx, by_key in per.items():
            if not str(idx).isdigit() or int(idx) >= n_inputs or not isinstance(by_key, dict):
                raise UserError(f"{source}: signatures of {label}: bad input index {idx!r}")
            slot = parsed.setdefault(name, {}).setdefault(int(idx), {})
            for pk, sig in by_key.items():
                if not _is_hex(pk, 32) or not (_is_hex(sig, 64) or _is_hex(sig, 65)):
                    raise UserError(f"{source}: signature of {label} input {idx} is malformed")
                slot[bytes.fromhex(pk)] = bytes.fromhex(sig)
    return parsed


def _first_difference(expected: object, found: object, path: str) -> str | None:
    """The path of the first field where ``found`` is not ``expected`` (JSON values)."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found), key=str):
            if key not in found:
                return f"{path}.{key} (missing)".lstrip(".")
            if key not in expected:
                return f"{path}.{key} (unknown field)".lstrip(".")
            diff = _first_difference(expected[key], found[key], f"{path}.{key}")
            if diff is not None:
                return diff
        return None
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            return f"{path} (has {len(found)} entries, not {len(expected)})".lstrip(".")
        for i, (e, f) in enumerate(zip(expected, found, strict=True)):
            diff = _first_difference(e, f, f"{path}[{i}]")
            if diff is not None:
                return diff
        return None
    same = expected == found and type(expected) is type(found)
    return None if same else (path.lstrip(".") or "the file")


def _is_hex(text: object, n_bytes: int) -> bool:
    if not isinstance(text, str) or len(text) != 2 * n_bytes:
        return False
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def load_graph(path: str | Path, program: str | Path | None = None) -> Graph:
    """A graph file, rebuilt and checked (a version-2 graph's program: ``program``, else
    the params' path, else next to the graph file)."""
    return graph_from_json(read_json(path, "graph file"), str(path), program, Path(path).parent)
