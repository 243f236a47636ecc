"""A graph file with any one value replaced by junk is either still the same graph
or refused with an InputError naming the problem -- never another exception."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocp.builder import build_graph
from ocp.drill.world import Actors
from ocp.graph import params_id
from ocp.graphfile import graph_from_json, graph_to_json
from ocp.ots import ValueSigner
from ocp.params import Funding, Params, Windows, parse_params
from ocp.program import U32Program
from taptrees.errors import InputError
from taptrees.tx import OutPoint

JUNK = [None, 0, -1, 2**70, "", "zz", [], {}, [1], {"a": 1}, 1.5, True, "00" * 32]


@pytest.fixture(scope="module")
def graph_json() -> dict:
    actors = Actors.make(b"fuzz", 2)
    params = Params(
        "regtest",
        tuple(k.pubkey for k in actors.committee),
        (actors.operator.pubkey,),
        actors.depositor.pubkey,
        100_000_000,
        20_000_000,
        100_000,
        2.0,
        Windows(6, 14, 6, 10),
        U32Program.sample(4),
        Funding(OutPoint("ab" * 32, 0), 100_200_000),
        (Funding(OutPoint("cd" * 32, 1), 30_000_000),),
    )
    signer = ValueSigner(actors.operator.secret, params_id(params), 4)
    return graph_to_json(build_graph(params, [signer.public()]), with_asm=False)


def _paths(obj, prefix=()):
    if prefix:
        yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            yield from _paths(v, (*prefix, i))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_junk_anywhere_is_refused_cleanly(graph_json, data):
    paths = sorted(_paths(graph_json), key=repr)
    path = data.draw(st.sampled_from(paths))
    junk = data.draw(st.sampled_from(JUNK))
    mutated = copy.deepcopy(graph_json)
    node = mutated
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = junk
    try:
        graph_from_json(mutated)
    except InputError:
        return


def test_params_network_of_wrong_type(graph_json):
    params = copy.deepcopy(graph_json["params"])
    params["network"] = ["regtest"]
    with pytest.raises(InputError, match="network"):
        parse_params(params)
